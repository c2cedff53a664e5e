-- A checkpoint of a large graph's training is hundreds of megabytes (the
-- model and its optimizer's state): as one bytea value, the worker writing
-- it held it in memory twice more (built, then encoded) and the worker
-- resuming from it once more. Stored as chunks in order, it streams both
-- ways. The floats do not compress, so PostgreSQL is not asked to try.
-- +goose Up
CREATE TABLE model_checkpoint_chunks (
	model_id bigint NOT NULL REFERENCES model_checkpoints (model_id) ON DELETE CASCADE,
	seq      integer NOT NULL,
	data     bytea NOT NULL,
	PRIMARY KEY (model_id, seq)
);
ALTER TABLE model_checkpoint_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
INSERT INTO model_checkpoint_chunks (model_id, seq, data) SELECT model_id, 0, data FROM model_checkpoints;
ALTER TABLE model_checkpoints DROP COLUMN data;

-- +goose Down
ALTER TABLE model_checkpoints ADD COLUMN data bytea NOT NULL DEFAULT '';
UPDATE model_checkpoints c SET data = coalesce(
	(SELECT string_agg(k.data, ''::bytea ORDER BY k.seq) FROM model_checkpoint_chunks k WHERE k.model_id = c.model_id), '');
ALTER TABLE model_checkpoints ALTER COLUMN data DROP DEFAULT;
DROP TABLE model_checkpoint_chunks;
