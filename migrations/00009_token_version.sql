-- Access tokens carry the user's token version; bumping it (logout, password
-- or role change, disabling) revokes every token issued before.
-- +goose Up
ALTER TABLE users ADD COLUMN token_version bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN token_version;
