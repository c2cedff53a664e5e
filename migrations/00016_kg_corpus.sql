-- The corpus knowledge graph: the triples of all current records, counted
-- once per distinct (subject, predicate, object), with the class the record
-- builder gave the object and whether the fact is fit to learn from.
-- Learnable facts are entity edges and categorical literals of predicates
-- with at most kg_builds.max_category_values distinct objects; ids, free
-- numbers, dates and dangling references are kept out. kg_learning is what
-- training reads. A rebuild rewrites the whole table, so it keeps only the
-- indexes lookups need: by subject (the unique key) and by object; the
-- (predicate, object) index made a rebuild of 380,000 triples 3x slower.
-- +goose Up
DROP INDEX kg_triples_predicate_object_idx;
ALTER TABLE kg_triples
	DROP COLUMN confidence,
	ADD COLUMN count     integer NOT NULL DEFAULT 1 CHECK (count >= 1),
	ADD COLUMN class     text NOT NULL DEFAULT 'value' CHECK (class IN ('value', 'category', 'edge', 'dangling')),
	ADD COLUMN learnable boolean NOT NULL DEFAULT false;

CREATE TABLE kg_builds (
	id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	-- SHA-256 over the content hashes of the current records, in customer
	-- order: two builds of the same corpus have the same fingerprint.
	fingerprint         text NOT NULL,
	records             integer NOT NULL,
	triples             bigint NOT NULL,
	learnable           bigint NOT NULL,
	max_category_values integer NOT NULL,
	built_at            timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE VIEW kg_learning AS
	SELECT subject, predicate, object, class, count FROM kg_triples WHERE learnable;

-- +goose Down
CREATE INDEX kg_triples_predicate_object_idx ON kg_triples (predicate, object);
DROP VIEW kg_learning;
DROP TABLE kg_builds;
ALTER TABLE kg_triples
	DROP COLUMN learnable,
	DROP COLUMN class,
	DROP COLUMN count,
	ADD COLUMN confidence real NOT NULL DEFAULT 1 CHECK (confidence BETWEEN 0 AND 1);
