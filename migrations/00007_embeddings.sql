-- Models differ in dimension, so the column is an unconstrained vector and each
-- dimension gets its own partial HNSW index over a cast to that dimension.
-- 128 is the default TransE dimension; later models add their own index.
-- +goose Up
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

-- +goose Down
DROP TABLE embeddings;
