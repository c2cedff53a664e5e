-- What validation knows: JSON Schemas, Horn rule sets and check sets, every
-- version kept. knowledge_active names the version of each kind in use, one
-- row per kind, so activating is a single atomic upsert and the version in
-- use cannot be deleted (the foreign key refuses it).
-- +goose Up
CREATE TABLE knowledge (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind       text NOT NULL CHECK (kind IN ('schema', 'rules', 'checks')),
	name       text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
	version    integer NOT NULL CHECK (version > 0),
	format     text NOT NULL CHECK (format IN ('json', 'tsv', 'yaml')),
	content    text NOT NULL,
	sha256     text NOT NULL,
	created_by text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	CONSTRAINT knowledge_name_version_key UNIQUE (kind, name, version),
	-- the target of knowledge_active's foreign key, which keeps kinds apart
	CONSTRAINT knowledge_id_kind_key UNIQUE (id, kind)
);

CREATE TABLE knowledge_active (
	kind         text PRIMARY KEY,
	knowledge_id bigint NOT NULL,
	activated_by text NOT NULL,
	activated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	CONSTRAINT knowledge_active_knowledge_fkey FOREIGN KEY (knowledge_id, kind) REFERENCES knowledge (id, kind)
);

-- +goose Down
DROP TABLE knowledge_active;
DROP TABLE knowledge;
