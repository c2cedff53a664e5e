-- +goose Up
CREATE TABLE kg_triples (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	subject    text NOT NULL,
	predicate  text NOT NULL,
	object     text NOT NULL,
	confidence real NOT NULL DEFAULT 1 CHECK (confidence BETWEEN 0 AND 1),
	created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	CONSTRAINT kg_triples_spo_key UNIQUE (subject, predicate, object)
);
-- The unique constraint serves lookups by subject; these serve the other two.
CREATE INDEX kg_triples_predicate_object_idx ON kg_triples (predicate, object);
CREATE INDEX kg_triples_object_idx ON kg_triples (object);

-- +goose Down
DROP TABLE kg_triples;
