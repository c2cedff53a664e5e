package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Model states.
const (
	ModelTraining = "training"
	ModelReady    = "ready"
	ModelFailed   = "failed"
	ModelActive   = "active"
)

// Model is an entry of the model registry.
type Model struct {
	ID          int64  `json:"id"`
	Version     string `json:"version"`
	State       string `json:"state"`
	Source      string `json:"source"`
	Fingerprint string `json:"fingerprint"`
	Dim         int    `json:"dim"`
	Norm        string `json:"norm"`
	// Hyperparameters, Metrics, Calibration and Progress are JSON objects
	// the learning package defines.
	Hyperparameters json.RawMessage `json:"hyperparameters"`
	Metrics         json.RawMessage `json:"metrics"`
	Calibration     json.RawMessage `json:"calibration"`
	Progress        json.RawMessage `json:"progress"`
	Entities        int             `json:"entities"`
	Relations       int             `json:"relations"`
	JobID           *int64          `json:"job_id"`
	Error           string          `json:"error,omitempty"`
	CreatedBy       string          `json:"created_by"`
	CreatedAt       time.Time       `json:"created_at"`
	TrainedAt       *time.Time      `json:"trained_at"`
	ActivatedAt     *time.Time      `json:"activated_at"`
	// Quality holds the quality gate's figures (a JSON object the learning
	// package defines), {} until the model was measured.
	Quality json.RawMessage `json:"quality"`
}

// NewModel is a model about to be trained.
type NewModel struct {
	Version, Source, Fingerprint string
	Dim                          int
	Norm                         string
	Hyperparameters              json.RawMessage
	JobID                        *int64
	CreatedBy                    string
}

// ErrModelActive refuses to delete the active model.
var ErrModelActive = errors.New("the model is active: activate another one first")

// ErrModelNotReady refuses to activate a model that is not ready.
var ErrModelNotReady = errors.New("the model is not ready")

const modelColumns = `id, version, state, source, fingerprint, dim, norm, hyperparameters, metrics, calibration,
	progress, quality, entities, relations, job_id, error, created_by, created_at, trained_at, activated_at`

func scanModel(row pgx.Row) (Model, error) {
	var m Model
	err := row.Scan(&m.ID, &m.Version, &m.State, &m.Source, &m.Fingerprint, &m.Dim, &m.Norm, &m.Hyperparameters,
		&m.Metrics, &m.Calibration, &m.Progress, &m.Quality, &m.Entities, &m.Relations, &m.JobID, &m.Error, &m.CreatedBy,
		&m.CreatedAt, &m.TrainedAt, &m.ActivatedAt)
	return m, err
}

// CreateModel registers a model in state training.
func (s *Store) CreateModel(ctx context.Context, nm NewModel) (Model, error) {
	hp := nm.Hyperparameters
	if hp == nil {
		hp = json.RawMessage("{}")
	}
	m, err := scanModel(s.pool.QueryRow(ctx, `
INSERT INTO models (version, source, fingerprint, dim, norm, hyperparameters, job_id, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+modelColumns,
		nm.Version, nm.Source, nm.Fingerprint, nm.Dim, nm.Norm, hp, nm.JobID, nm.CreatedBy))
	return m, wrap(err, "create model %s", nm.Version)
}

// ModelByVersion returns the model with this version.
func (s *Store) ModelByVersion(ctx context.Context, version string) (Model, error) {
	m, err := scanModel(s.pool.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE version = $1`, version))
	return m, wrap(err, "model %s", version)
}

// ModelByJob returns the model a training job registered.
func (s *Store) ModelByJob(ctx context.Context, jobID int64) (Model, error) {
	m, err := scanModel(s.pool.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE job_id = $1`, jobID))
	return m, wrap(err, "model of job %d", jobID)
}

// ActiveModel returns the active model.
func (s *Store) ActiveModel(ctx context.Context) (Model, error) {
	m, err := scanModel(s.pool.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE state = 'active'`))
	return m, wrap(err, "active model")
}

// ListModels returns every model, newest first.
func (s *Store) ListModels(ctx context.Context) ([]Model, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+modelColumns+` FROM models ORDER BY id DESC`)
	if err != nil {
		return nil, wrap(err, "list models")
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Model, error) { return scanModel(row) })
	return ms, wrap(err, "list models")
}

// SetModelProgress records a training's progress on the model and, when
// jobID is not zero, as the output of its running job, where the jobs API
// shows it before the job completes.
func (s *Store) SetModelProgress(ctx context.Context, modelID, jobID int64, progress json.RawMessage) error {
	_, err := s.pool.Exec(ctx, `UPDATE models SET progress = $2 WHERE id = $1`, modelID, progress)
	if err == nil && jobID != 0 {
		_, err = s.pool.Exec(ctx, `
UPDATE river_job SET metadata = jsonb_set(metadata, '{output}', $2::jsonb) WHERE id = $1 AND state = 'running'`,
			jobID, progress)
	}
	return wrap(err, "progress of model %d", modelID)
}

// FailModel marks a training as failed with the reason.
func (s *Store) FailModel(ctx context.Context, modelID int64, reason string) error {
	_, err := s.pool.Exec(ctx, `UPDATE models SET state = 'failed', error = $2 WHERE id = $1 AND state = 'training'`, modelID, reason)
	return wrap(err, "fail model %d", modelID)
}

// ActivateModel makes the model with this version the active one, and the
// previously active one ready, in one transaction.
func (s *Store) ActivateModel(ctx context.Context, version string) (Model, error) {
	var m Model
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Activations take turns: two at once would both demote the same
		// active row, and the second would then break models_one_active.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('models/activate', 0))`); err != nil {
			return err
		}
		var err error
		m, err = scanModel(tx.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE version = $1 FOR UPDATE`, version))
		if err != nil {
			return err
		}
		switch m.State {
		case ModelActive:
			return nil
		case ModelReady:
		default:
			return fmt.Errorf("%w (it is %s)", ErrModelNotReady, m.State)
		}
		if _, err := tx.Exec(ctx, `UPDATE models SET state = 'ready' WHERE state = 'active'`); err != nil {
			return err
		}
		m, err = scanModel(tx.QueryRow(ctx, `
UPDATE models SET state = 'active', activated_at = clock_timestamp() WHERE id = $1 RETURNING `+modelColumns, m.ID))
		return err
	})
	return m, wrap(err, "activate model %s", version)
}

// SetModelQuality stores the quality gate's figures with a model.
func (s *Store) SetModelQuality(ctx context.Context, modelID int64, quality json.RawMessage) error {
	tag, err := s.pool.Exec(ctx, `UPDATE models SET quality = $2 WHERE id = $1`, modelID, quality)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	return wrap(err, "quality of model %d", modelID)
}

// DeactivateModel makes the active model ready again, leaving none active,
// and returns it; ErrNotFound when none was.
func (s *Store) DeactivateModel(ctx context.Context) (Model, error) {
	var m Model
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The same turns as activations take, so the two never interleave.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('models/activate', 0))`); err != nil {
			return err
		}
		var err error
		m, err = scanModel(tx.QueryRow(ctx, `UPDATE models SET state = 'ready' WHERE state = 'active' RETURNING `+modelColumns))
		return err
	})
	return m, wrap(err, "deactivate the active model")
}

// DeleteModel deletes a model that is not active, with its embeddings and
// their indexes.
func (s *Store) DeleteModel(ctx context.Context, version string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		m, err := scanModel(tx.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE version = $1 FOR UPDATE`, version))
		if err != nil {
			return err
		}
		if m.State == ModelActive {
			return ErrModelActive
		}
		// DROP INDEX waits for a model being stored, and searches would queue
		// behind it: give up instead.
		if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '5s'`); err != nil {
			return err
		}
		for _, idx := range modelIndexes(m.ID) {
			if _, err := tx.Exec(ctx, `DROP INDEX IF EXISTS `+idx.name); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM models WHERE id = $1`, m.ID)
		return err
	})
	return wrap(err, "delete model %s", version)
}

// ModelByID returns the model with this id.
func (s *Store) ModelByID(ctx context.Context, id int64) (Model, error) {
	m, err := scanModel(s.pool.QueryRow(ctx, `SELECT `+modelColumns+` FROM models WHERE id = $1`, id))
	return m, wrap(err, "model %d", id)
}
