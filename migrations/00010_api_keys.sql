-- API keys for machines. Only a hash of the secret is stored; the key is
-- shown once, when it is created.
-- +goose Up
CREATE TABLE api_keys (
	id           text PRIMARY KEY,
	user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         text NOT NULL CHECK (name <> ''),
	secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
	created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	expires_at   timestamptz,
	last_used_at timestamptz,
	revoked_at   timestamptz,
	CONSTRAINT api_keys_user_name_key UNIQUE (user_id, name)
);

-- +goose Down
DROP TABLE api_keys;
