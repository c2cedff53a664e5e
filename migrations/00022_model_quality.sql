-- The quality gate's figures, measured when a model is activated on records
-- it did not train on (clean held-out records and the same records with a
-- fault of every kind): clean records flagged, recall per fault kind,
-- calibration. Stored with the model so `pff models` and the API show them
-- and a second activation need not measure again.
-- +goose Up
ALTER TABLE models ADD COLUMN quality jsonb NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE models DROP COLUMN quality;
