-- What several processes must agree on, and the audit log's client address.
--
-- audit_log.client_ip: the address a call (a login attempt above all) came
-- from, as the API saw it behind its trusted proxies.
--
-- job_heartbeats: each worker process writes, every few seconds, one row per
-- job it is running. A job still `running` whose heartbeat (or, before its
-- first, its start) is older than a minute lost its worker, and any worker
-- process hands it back to the queue. River's own rescuer waits for a job's
-- whole timeout, hours for a training; the heartbeat knows within a minute.
-- Rows of jobs that are no longer running are deleted as they are found.
--
-- login_attempts: failed logins counted per (username, client) and per
-- username (client ''), the locks they led to, and the clients a username
-- logged in from (trusted, on the username's row), so that every replica
-- slows down, locks and unlocks alike. Usernames are lower case.
-- +goose Up
ALTER TABLE audit_log ADD COLUMN client_ip text NOT NULL DEFAULT '';

CREATE TABLE job_heartbeats (
	job_id  bigint PRIMARY KEY,
	attempt integer NOT NULL,
	beat_at timestamptz NOT NULL
);

CREATE TABLE login_attempts (
	username      text NOT NULL,
	client        text NOT NULL,
	failures      integer NOT NULL DEFAULT 0,
	last_at       timestamptz,
	blocked_until timestamptz,
	trusted       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (username, client)
);
CREATE INDEX login_attempts_last_at_idx ON login_attempts (last_at);

-- +goose Down
DROP TABLE login_attempts;
DROP TABLE job_heartbeats;
ALTER TABLE audit_log DROP COLUMN client_ip;
