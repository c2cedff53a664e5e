-- Sessions of the operator console (app/console): a browser signs in once
-- and carries a cookie whose random secret is stored here only as its
-- SHA-256, so a leaked table does not leak sessions. Sessions live in
-- PostgreSQL so that every replica of `pff serve` knows them, a sign-out
-- ends one session everywhere at once, and idle and absolute expiry are the
-- server's to enforce. token_version is the user's at sign-in: logging out
-- of the API, a new password or role, or disabling the user bumps the
-- user's version and so ends their console sessions too.
-- +goose Up
CREATE TABLE console_sessions (
	id_hash       bytea PRIMARY KEY CHECK (length(id_hash) = 32),
	user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_version bigint NOT NULL,
	-- csrf is the session's synchronizer token, sent back in every form.
	csrf          text NOT NULL,
	client_ip     text NOT NULL DEFAULT '',
	user_agent    text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	last_seen_at  timestamptz NOT NULL,
	expires_at    timestamptz NOT NULL
);
CREATE INDEX console_sessions_user_idx ON console_sessions (user_id);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);
CREATE INDEX console_sessions_seen_idx ON console_sessions (last_seen_at);

-- +goose Down
DROP TABLE console_sessions;
