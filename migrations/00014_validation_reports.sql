-- A report per validation of a record version. The latest report of a record
-- is the one its filters and statistics use; violated lists the ids of the
-- violated rules and checks, so "records violating rule X" is an index lookup.
-- +goose Up
CREATE TABLE validation_reports (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	record_id  bigint NOT NULL REFERENCES customer_records (id) ON DELETE CASCADE,
	latest     boolean NOT NULL DEFAULT true,
	decision   text NOT NULL CHECK (decision IN ('ACCEPT', 'REVIEW', 'REJECT')),
	score      double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
	violated   text[] NOT NULL DEFAULT '{}',
	report     jsonb NOT NULL,
	versions   jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX validation_reports_record_idx ON validation_reports (record_id, id DESC);
CREATE UNIQUE INDEX validation_reports_latest_key ON validation_reports (record_id) WHERE latest;
CREATE INDEX validation_reports_decision_idx ON validation_reports (decision, record_id) WHERE latest;
CREATE INDEX validation_reports_violated_idx ON validation_reports USING gin (violated) WHERE latest;

-- +goose Down
DROP TABLE validation_reports;
