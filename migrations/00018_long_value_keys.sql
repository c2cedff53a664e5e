-- Values that come from records reach index keys: customer ids and MSISDNs,
-- the subjects, predicates and objects of the knowledge graph, the entities
-- and relations of models. A btree or GIN key holds at most about 2,700
-- bytes (a third of a page), and ingest takes strings of up to 1 MiB, so one
-- record with a 12,000-character externalId made every graph build fail
-- ("index row requires 12056 bytes, maximum size is 8191"), and one long
-- customer id failed the write of its whole batch. From here on a key holds
-- a bounded stand-in for such a value, and the column keeps the value:
--
--   value_key(v)      the SHA-256 of v, where the key must be unique;
--   value_prefix(v)   v's first 200 characters (at most 800 bytes), where
--                     the key only finds rows: queries compare the whole
--                     value too;
--   value_prefixes(a) value_prefix of each element, for GIN.
--
-- Queries must name the same expression to use an index (store does).
-- kg_triples loses its unique (subject, predicate, object): the build's
-- GROUP BY makes the triples distinct, and a hash of three columns per row
-- would slow a rebuild. Going down fails while a value too long for the old
-- keys is stored.
-- +goose Up
-- convert_to is stable only because encodings are; a database's never changes.
CREATE FUNCTION value_key(value text) RETURNS bytea
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN sha256(convert_to(value, 'UTF8'));
CREATE FUNCTION value_prefix(value text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN left(value, 200);
CREATE FUNCTION value_prefixes(vals text[]) RETURNS text[]
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN ARRAY(SELECT left(v, 200) FROM unnest(vals) AS v);

DROP INDEX customer_records_version_key;
DROP INDEX customer_records_current_key;
DROP INDEX customer_records_msisdns_idx;
CREATE UNIQUE INDEX customer_records_version_key ON customer_records (value_key(customer_id), version);
CREATE UNIQUE INDEX customer_records_current_key ON customer_records (value_key(customer_id)) WHERE current;
CREATE INDEX customer_records_msisdns_idx ON customer_records USING gin (value_prefixes(msisdns));

ALTER TABLE kg_triples DROP CONSTRAINT kg_triples_spo_key;
DROP INDEX kg_triples_object_idx;
CREATE INDEX kg_triples_subject_idx ON kg_triples (value_prefix(subject), value_prefix(predicate));
CREATE INDEX kg_triples_object_idx ON kg_triples (value_prefix(object));

ALTER TABLE model_entities DROP CONSTRAINT model_entities_pkey;
CREATE UNIQUE INDEX model_entities_key ON model_entities (model_id, value_key(entity));
ALTER TABLE model_relations DROP CONSTRAINT model_relations_pkey;
CREATE UNIQUE INDEX model_relations_key ON model_relations (model_id, value_key(relation));

-- +goose Down
DROP INDEX model_relations_key;
ALTER TABLE model_relations ADD PRIMARY KEY (model_id, relation);
DROP INDEX model_entities_key;
ALTER TABLE model_entities ADD PRIMARY KEY (model_id, entity);

DROP INDEX kg_triples_object_idx;
DROP INDEX kg_triples_subject_idx;
ALTER TABLE kg_triples ADD CONSTRAINT kg_triples_spo_key UNIQUE (subject, predicate, object);
CREATE INDEX kg_triples_object_idx ON kg_triples (object);

DROP INDEX customer_records_msisdns_idx;
DROP INDEX customer_records_current_key;
DROP INDEX customer_records_version_key;
CREATE INDEX customer_records_msisdns_idx ON customer_records USING gin (msisdns);
CREATE UNIQUE INDEX customer_records_current_key ON customer_records (customer_id) WHERE current;
CREATE UNIQUE INDEX customer_records_version_key ON customer_records (customer_id, version);

DROP FUNCTION value_prefixes(text[]);
DROP FUNCTION value_prefix(text);
DROP FUNCTION value_key(text);
