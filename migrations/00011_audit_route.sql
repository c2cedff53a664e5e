-- API audit entries name the route template and the HTTP status, so the log
-- can be filtered by what was called and how it ended.
-- +goose Up
ALTER TABLE audit_log
	ADD COLUMN method text NOT NULL DEFAULT '',
	ADD COLUMN route text NOT NULL DEFAULT '',
	ADD COLUMN status_code integer;
CREATE INDEX audit_log_route_idx ON audit_log (route, occurred_at DESC);

-- +goose Down
DROP INDEX audit_log_route_idx;
ALTER TABLE audit_log DROP COLUMN method, DROP COLUMN route, DROP COLUMN status_code;
