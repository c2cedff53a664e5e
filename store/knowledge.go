package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Knowledge is one version of a JSON Schema, Horn rule set or check set.
type Knowledge struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	Format  string `json:"format"`
	// SHA256 is the hex digest of the content.
	SHA256    string    `json:"sha256"`
	Size      int       `json:"size"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Active    bool      `json:"active"`
	// Mode says whether a rule or check set adds to the embedded defaults
	// ("add") or replaces them ("replace"); other kinds have no defaults.
	Mode string `json:"mode"`
	// Content is the document itself; lists leave it out.
	Content string `json:"content,omitempty"`
}

// NewKnowledge is what CreateKnowledge stores. An empty Mode is "add".
type NewKnowledge struct {
	Kind, Name, Format, Content, CreatedBy, Mode string
}

// KnowledgeFilter selects versions for ListKnowledge, newest first.
type KnowledgeFilter struct {
	Kind string
	// Name, when set, selects the versions of one name.
	Name string
	// Before is the id the previous page ended with.
	Before int64
	Limit  int
}

// ActiveKnowledge names the version of a kind in use.
type ActiveKnowledge struct {
	Kind    string `json:"kind"`
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	SHA256  string `json:"sha256"`
	Mode    string `json:"mode"`
}

const knowledgeColumns = `k.id, k.kind, k.name, k.version, k.format, k.sha256, octet_length(k.content), k.created_by, k.created_at,
	EXISTS (SELECT 1 FROM knowledge_active a WHERE a.knowledge_id = k.id), k.mode`

func scanKnowledge(row pgx.Row, content ...any) (Knowledge, error) {
	var k Knowledge
	dest := append([]any{&k.ID, &k.Kind, &k.Name, &k.Version, &k.Format, &k.SHA256, &k.Size, &k.CreatedBy, &k.CreatedAt, &k.Active, &k.Mode}, content...)
	err := row.Scan(dest...)
	return k, err
}

// CreateKnowledge stores content as the next version of its kind and name,
// inactive. Content and mode equal to the latest version's are not stored
// again: that version is returned, with created false.
func (s *Store) CreateKnowledge(ctx context.Context, nk NewKnowledge) (k Knowledge, created bool, err error) {
	digest, mode := ContentDigest([]byte(nk.Content)), nk.Mode
	if mode == "" {
		mode = "add"
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Versions of one name are numbered in turn: concurrent uploads wait here.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('knowledge/' || $1 || '/' || $2, 0))`, nk.Kind, nk.Name); err != nil {
			return err
		}
		k, err = scanKnowledge(tx.QueryRow(ctx, `
			SELECT `+knowledgeColumns+` FROM knowledge k
			WHERE k.kind = $1 AND k.name = $2 AND k.sha256 = $3 AND k.mode = $4
				AND k.version = (SELECT max(version) FROM knowledge WHERE kind = $1 AND name = $2)`,
			nk.Kind, nk.Name, digest, mode))
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		created = true
		k, err = scanKnowledge(tx.QueryRow(ctx, `
			WITH k AS (
				INSERT INTO knowledge (kind, name, version, format, content, sha256, created_by, mode)
				SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7
				FROM knowledge WHERE kind = $1 AND name = $2
				RETURNING *
			)
			SELECT `+knowledgeColumns+` FROM k`,
			nk.Kind, nk.Name, nk.Format, nk.Content, digest, nk.CreatedBy, mode))
		return err
	})
	return k, created, wrap(err, "create %s %q", nk.Kind, nk.Name)
}

// ListKnowledge returns versions of a kind without their content, newest
// first.
func (s *Store) ListKnowledge(ctx context.Context, f KnowledgeFilter) ([]Knowledge, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+knowledgeColumns+` FROM knowledge k
		WHERE k.kind = $1 AND ($2 = '' OR k.name = $2) AND ($3 = 0 OR k.id < $3)
		ORDER BY k.id DESC LIMIT $4`,
		f.Kind, f.Name, f.Before, f.Limit)
	if err != nil {
		return nil, wrap(err, "list %s", f.Kind)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Knowledge, error) { return scanKnowledge(row) })
	return list, wrap(err, "list %s", f.Kind)
}

// KnowledgeByID returns a version of a kind with its content.
func (s *Store) KnowledgeByID(ctx context.Context, kind string, id int64) (Knowledge, error) {
	var content string
	k, err := scanKnowledge(s.pool.QueryRow(ctx, `SELECT `+knowledgeColumns+`, k.content FROM knowledge k WHERE k.id = $1 AND k.kind = $2`, id, kind), &content)
	k.Content = content
	return k, wrap(err, "get %s %d", kind, id)
}

// ActivateKnowledge makes a version the one of its kind in use, in place
// of any other, in one statement.
func (s *Store) ActivateKnowledge(ctx context.Context, kind string, id int64, by string) (Knowledge, error) {
	k, err := scanKnowledge(s.pool.QueryRow(ctx, `
		WITH a AS (
			INSERT INTO knowledge_active (kind, knowledge_id, activated_by)
			SELECT kind, id, $3 FROM knowledge WHERE id = $1 AND kind = $2
			ON CONFLICT (kind) DO UPDATE
				SET knowledge_id = excluded.knowledge_id, activated_by = excluded.activated_by, activated_at = clock_timestamp()
			RETURNING knowledge_id
		)
		SELECT k.id, k.kind, k.name, k.version, k.format, k.sha256, octet_length(k.content), k.created_by, k.created_at, true, k.mode
		FROM knowledge k JOIN a ON a.knowledge_id = k.id`,
		id, kind, by))
	if isForeignKeyViolation(err) { // deleted while being activated
		err = pgx.ErrNoRows
	}
	return k, wrap(err, "activate %s %d", kind, id)
}

// DeactivateKnowledge leaves a kind without an active version.
func (s *Store) DeactivateKnowledge(ctx context.Context, kind string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM knowledge_active WHERE kind = $1`, kind)
	return wrap(err, "deactivate %s", kind)
}

// DeleteKnowledge deletes a version. The active version of a kind is a
// *ConflictError: activate another first.
func (s *Store) DeleteKnowledge(ctx context.Context, kind string, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM knowledge WHERE id = $1 AND kind = $2`, id, kind)
	if isForeignKeyViolation(err) {
		return fmt.Errorf("store: delete active %s %d: %w", kind, id, &ConflictError{Constraint: "knowledge_active_knowledge_fkey"})
	}
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return wrap(err, "delete %s %d", kind, id)
}

// ActiveKnowledgeVersions names the version in use of each kind that has
// one, the active model included (kind "model", its version as name): a
// single small query, cheap enough to ask before every use.
func (s *Store) ActiveKnowledgeVersions(ctx context.Context) ([]ActiveKnowledge, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT k.kind, k.id, k.name, k.version, k.sha256, k.mode
		FROM knowledge_active a JOIN knowledge k ON k.id = a.knowledge_id
		UNION ALL
		SELECT 'model', id, version, 0, fingerprint, '' FROM models WHERE state = 'active'
		ORDER BY 1`)
	if err != nil {
		return nil, wrap(err, "active knowledge")
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ActiveKnowledge])
	return list, wrap(err, "active knowledge")
}

// ContentDigest is how PFF names the content of a document of knowledge,
// the same offline and on the server: the hex SHA-256 of its bytes.
func ContentDigest(content []byte) string {
	sum := sha256.Sum256(content)
	return hex.EncodeToString(sum[:])
}

func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}
