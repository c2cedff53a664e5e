-- Fix flows: executions of a flow on many customer lines, durably.
--
-- Flow files and BSS operation catalogue overlays are versioned knowledge
-- (kinds 'flows' and 'operations' of the knowledge table), so the list of
-- kinds moves from a CHECK into the application, which knows what each
-- kind means. A flow file imported from the legacy engine runs only as a
-- plan until an admin approves it after reviewing one: flow_approvals.
--
-- An execution pins the flow file version it runs; each line has a journal
-- of its steps (line_steps) that a resumed line replays, so a step that
-- completed is never done again; a write is recorded as an intent before it
-- is sent. generation separates a plan's journal from its apply's.
-- execution_events feed the server-sent events: their seq is taken under
-- the execution's row lock in the transaction that writes them, so events
-- become visible in seq order and a reader resuming after seq N misses none.
-- +goose Up
ALTER TABLE knowledge DROP CONSTRAINT IF EXISTS knowledge_kind_check;

CREATE TABLE flow_approvals (
	knowledge_id      bigint PRIMARY KEY REFERENCES knowledge (id) ON DELETE CASCADE,
	approved_by       text NOT NULL,
	approved_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
	plan_execution_id bigint NOT NULL
);

CREATE TABLE executions (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name              text NOT NULL,
	flows_id          bigint NOT NULL REFERENCES knowledge (id),
	mode              text NOT NULL CHECK (mode IN ('run', 'plan')),
	state             text NOT NULL CHECK (state IN ('planned', 'awaiting_approval', 'running', 'paused', 'succeeded', 'partially_failed', 'cancelled')),
	generation        integer NOT NULL DEFAULT 0,
	paused_reason     text NOT NULL DEFAULT '',
	-- approval says why a second person must approve before lines run:
	-- destructive operations, or more lines than flows.approval_lines.
	approval          text NOT NULL DEFAULT '',
	canary            integer NOT NULL DEFAULT 0 CHECK (canary >= 0),
	canary_passed     boolean NOT NULL DEFAULT false,
	max_failure_ratio double precision NOT NULL DEFAULT 0 CHECK (max_failure_ratio BETWEEN 0 AND 1),
	lines             integer NOT NULL CHECK (lines > 0),
	-- counters of lines in a final state of the current generation
	done              integer NOT NULL DEFAULT 0,
	succeeded         integer NOT NULL DEFAULT 0,
	failed            integer NOT NULL DEFAULT 0,
	needs_review      integer NOT NULL DEFAULT 0,
	cancelled         integer NOT NULL DEFAULT 0,
	writes            integer NOT NULL DEFAULT 0,
	last_event        bigint NOT NULL DEFAULT 0,
	created_by        text NOT NULL,
	approved_by       text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
	started_at        timestamptz,
	finished_at       timestamptz,
	updated_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX executions_flows_id ON executions (flows_id);

CREATE TABLE execution_lines (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	execution_id  bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	line_no       integer NOT NULL,
	msisdn        text NOT NULL,
	flow          text NOT NULL,
	columns       jsonb NOT NULL DEFAULT '{}',
	payload       jsonb,
	state         text NOT NULL CHECK (state IN ('queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'needs_review', 'cancelled')),
	generation    integer NOT NULL DEFAULT 0,
	-- job_id is the River job that holds the line while it runs: a rescued
	-- job takes its line back, a second job for the same line does not.
	job_id        bigint,
	observations  text NOT NULL DEFAULT '',
	artefacts     jsonb NOT NULL DEFAULT '{}',
	error_code    text NOT NULL DEFAULT '',
	error_message text NOT NULL DEFAULT '',
	stopped_at    text NOT NULL DEFAULT '',
	writes        integer NOT NULL DEFAULT 0,
	started_at    timestamptz,
	finished_at   timestamptz,
	updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	CONSTRAINT execution_lines_line_no_key UNIQUE (execution_id, line_no)
);
-- Lines of an execution by state: controls (cancel, retry, resume) select them.
CREATE INDEX execution_lines_state ON execution_lines (execution_id, state);

CREATE TABLE line_steps (
	line_id         bigint NOT NULL REFERENCES execution_lines (id) ON DELETE CASCADE,
	generation      integer NOT NULL,
	key             text NOT NULL,
	seq             integer NOT NULL,
	method          text NOT NULL,
	effect          text NOT NULL,
	args            jsonb NOT NULL DEFAULT '{}',
	-- request is a write as it was (or would be) sent: method, path, body.
	request         jsonb,
	state           text NOT NULL CHECK (state IN ('intent', 'completed', 'failed', 'planned', 'awaiting_approval', 'approved')),
	outcome         text NOT NULL DEFAULT '',
	status          integer NOT NULL DEFAULT 0,
	value           jsonb,
	error           text NOT NULL DEFAULT '',
	idempotency_key text NOT NULL DEFAULT '',
	attempts        integer NOT NULL DEFAULT 0,
	actor           text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
	completed_at    timestamptz,
	PRIMARY KEY (line_id, generation, key)
);

CREATE TABLE execution_events (
	execution_id bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	seq          bigint NOT NULL,
	line_id      bigint,
	kind         text NOT NULL,
	data         jsonb NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (execution_id, seq)
);

-- +goose Down
DROP TABLE execution_events;
DROP TABLE line_steps;
DROP TABLE execution_lines;
DROP TABLE executions;
DROP TABLE flow_approvals;
DELETE FROM knowledge_active WHERE kind IN ('flows', 'operations');
DELETE FROM knowledge WHERE kind IN ('flows', 'operations');
ALTER TABLE knowledge ADD CONSTRAINT knowledge_kind_check CHECK (kind IN ('schema', 'rules', 'checks'));
