-- The model registry. A model is trained (state training), then its
-- embeddings are written and indexed and it becomes ready, or it failed.
-- At most one model is active; activation swaps the state of two rows in one
-- transaction, so readers always see one complete model.
-- Entity embeddings live in model_entities, with per-model partial HNSW
-- indexes created when the model is stored, over a cast to the model's
-- dimension: one for its distance (L1 or L2, for link prediction), one for
-- cosine (similar entities). The untyped embeddings table of migration 7
-- had no model registry behind it and is replaced.
-- +goose Up
DROP TABLE embeddings;

CREATE TABLE models (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	version         text NOT NULL UNIQUE,
	state           text NOT NULL DEFAULT 'training' CHECK (state IN ('training', 'ready', 'failed', 'active')),
	-- corpus, or dataset:NAME for a benchmark dataset.
	source          text NOT NULL,
	fingerprint     text NOT NULL,
	dim             integer NOT NULL CHECK (dim BETWEEN 1 AND 2000),
	norm            text NOT NULL CHECK (norm IN ('L1', 'L2')),
	hyperparameters jsonb NOT NULL DEFAULT '{}',
	metrics         jsonb NOT NULL DEFAULT '{}',
	calibration     jsonb NOT NULL DEFAULT '{}',
	progress        jsonb NOT NULL DEFAULT '{}',
	entities        integer NOT NULL DEFAULT 0,
	relations       integer NOT NULL DEFAULT 0,
	job_id          bigint UNIQUE,
	error           text NOT NULL DEFAULT '',
	created_by      text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
	trained_at      timestamptz,
	activated_at    timestamptz
);
CREATE UNIQUE INDEX models_one_active ON models ((true)) WHERE state = 'active';

-- The last checkpoint of a training, from which a retried job resumes.
CREATE TABLE model_checkpoints (
	model_id   bigint PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
	epoch      integer NOT NULL,
	data       bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- kind is 'entity' for the entities of records and 'value' for categorical
-- literals, which the plausibility of unseen records is built from.
CREATE TABLE model_entities (
	model_id  bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
	entity    text NOT NULL,
	kind      text NOT NULL CHECK (kind IN ('entity', 'value')),
	embedding vector NOT NULL,
	PRIMARY KEY (model_id, entity)
);

-- tails are the categorical objects seen with the relation in training, most
-- frequent first: the candidates a suggestion picks from. facts counts the
-- relation's categorical facts and singletons the values seen once, which
-- estimate how often a correct fact has a value never seen before.
CREATE TABLE model_relations (
	model_id   bigint NOT NULL REFERENCES models (id) ON DELETE CASCADE,
	relation   text NOT NULL,
	embedding  vector NOT NULL,
	tails      text[] NOT NULL DEFAULT '{}',
	facts      integer NOT NULL DEFAULT 0,
	singletons integer NOT NULL DEFAULT 0,
	PRIMARY KEY (model_id, relation)
);

-- +goose Down
DROP TABLE model_relations;
DROP TABLE model_entities;
DROP TABLE model_checkpoints;
DROP TABLE models;
CREATE TABLE embeddings (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	entity        text NOT NULL,
	entity_type   text NOT NULL DEFAULT '',
	model_version text NOT NULL,
	embedding     vector NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	CONSTRAINT embeddings_model_entity_key UNIQUE (model_version, entity)
);
CREATE INDEX embeddings_128_cosine_idx ON embeddings
	USING hnsw ((embedding::vector(128)) vector_cosine_ops)
	WITH (m = 16, ef_construction = 64)
	WHERE vector_dims(embedding) = 128;
