-- Knowledge gets one meaning for activation and a new kind.
--
-- mode: a rule set or check set either adds to the embedded defaults
-- ('add', the new default, what `pff validate --rules` always did) or
-- replaces them ('replace', what activating a set through the API did so
-- far: the versions stored before this migration keep that meaning).
--
-- constraints: learned (or written) constraint sets, JSON, versioned and
-- activated like rule sets. The list of kinds moves from a CHECK into the
-- application (as fix flows need too).
-- +goose Up
ALTER TABLE knowledge DROP CONSTRAINT IF EXISTS knowledge_kind_check;
ALTER TABLE knowledge ADD COLUMN mode text NOT NULL DEFAULT 'add' CHECK (mode IN ('add', 'replace'));
UPDATE knowledge SET mode = 'replace' WHERE kind IN ('rules', 'checks');

-- +goose Down
DELETE FROM knowledge_active WHERE kind = 'constraints';
DELETE FROM knowledge WHERE kind = 'constraints';
ALTER TABLE knowledge DROP COLUMN mode;
ALTER TABLE knowledge DROP CONSTRAINT IF EXISTS knowledge_kind_check;
ALTER TABLE knowledge ADD CONSTRAINT knowledge_kind_check CHECK (kind IN ('schema', 'rules', 'checks'));
