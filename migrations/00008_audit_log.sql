-- What was done, by whom, and how it ended: API mutations and job executions.
-- +goose Up
CREATE TABLE audit_log (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor_id    uuid REFERENCES users (id) ON DELETE SET NULL,
	actor       text NOT NULL DEFAULT '',
	action      text NOT NULL,
	target      text NOT NULL DEFAULT '',
	status      text NOT NULL CHECK (status IN ('started', 'succeeded', 'failed', 'denied', 'cancelled')),
	request_id  text NOT NULL DEFAULT '',
	detail      jsonb NOT NULL DEFAULT '{}',
	updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at DESC);
CREATE INDEX audit_log_actor_id_idx ON audit_log (actor_id, occurred_at DESC);
CREATE TRIGGER audit_log_set_updated_at BEFORE UPDATE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- +goose Down
DROP TABLE audit_log;
