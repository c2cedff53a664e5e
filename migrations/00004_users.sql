-- +goose Up
CREATE TABLE users (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	username      text NOT NULL,
	email         text NOT NULL,
	password_hash text NOT NULL,
	role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	active        boolean NOT NULL DEFAULT true,
	created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Usernames and emails are unique whatever their case.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- +goose Down
DROP TABLE users;
