-- +goose Up
CREATE TABLE customer_records (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	customer_id  text NOT NULL,
	document     jsonb NOT NULL,
	msisdns      text[] NOT NULL DEFAULT '{}',
	-- SHA-256 of the canonical document: an unchanged re-upload is detected
	-- without comparing documents.
	content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
	source       text NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
	updated_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX customer_records_customer_id_idx ON customer_records (customer_id);
CREATE INDEX customer_records_msisdns_idx ON customer_records USING gin (msisdns);
CREATE INDEX customer_records_document_idx ON customer_records USING gin (document jsonb_path_ops);
CREATE TRIGGER customer_records_set_updated_at BEFORE UPDATE ON customer_records
	FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- +goose Down
DROP TABLE customer_records;
