package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// checkpointChunk is the size of the pieces a checkpoint is stored in: what
// a save or a resume holds of it in memory at once.
const checkpointChunk = 1 << 20

// SaveCheckpoint replaces the latest checkpoint of a training with the
// state that state writes, in one transaction: a save that fails leaves
// the previous checkpoint whole. The state streams to PostgreSQL in chunks
// and is never held in memory whole.
func (s *Store) SaveCheckpoint(ctx context.Context, modelID int64, epoch int, state io.WriterTo) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `
INSERT INTO model_checkpoints (model_id, epoch) VALUES ($1, $2)
ON CONFLICT (model_id) DO UPDATE SET epoch = excluded.epoch, updated_at = clock_timestamp()`, modelID, epoch); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM model_checkpoint_chunks WHERE model_id = $1`, modelID); err != nil {
			return err
		}
		// COPY encodes each chunk straight into the connection's buffer,
		// where an INSERT would allocate two copies of it: garbage that,
		// next to a trainer's hundreds of megabytes, would raise the peak.
		r, w := io.Pipe()
		written := make(chan error, 1)
		go func() {
			_, err := state.WriteTo(w)
			_ = w.CloseWithError(err)
			written <- err
		}()
		src := &chunkSource{r: r, modelID: modelID, seq: -1, buf: make([]byte, checkpointChunk)}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"model_checkpoint_chunks"}, []string{"model_id", "seq", "data"}, src)
		notStored := errors.New("checkpoint not stored")
		_ = r.CloseWithError(notStored) // ends the writer if COPY stopped reading
		// The first failure is the one to report: the state's, unless it
		// failed only because COPY had stopped.
		if werr := <-written; werr != nil && !errors.Is(werr, notStored) {
			return fmt.Errorf("write state: %w", werr)
		}
		return err
	})
	return wrap(err, "save checkpoint of model %d at epoch %d", modelID, epoch)
}

// chunkSource reads a state from r as rows of checkpointChunk bytes.
type chunkSource struct {
	r       io.Reader
	modelID int64
	seq     int
	buf     []byte
	n       int
	err     error
}

func (c *chunkSource) Next() bool {
	c.n, c.err = io.ReadFull(c.r, c.buf)
	if errors.Is(c.err, io.EOF) || errors.Is(c.err, io.ErrUnexpectedEOF) {
		c.err = nil
	}
	c.seq++
	return c.err == nil && c.n > 0
}

// Values returns the chunk in the source's buffer: COPY encodes it before
// it asks for the next.
func (c *chunkSource) Values() ([]any, error) { return []any{c.modelID, c.seq, c.buf[:c.n]}, nil }

func (c *chunkSource) Err() error { return c.err }

// CheckpointEpoch returns the epoch of the latest checkpoint of a
// training, or ErrNotFound.
func (s *Store) CheckpointEpoch(ctx context.Context, modelID int64) (int, error) {
	var epoch int
	err := s.pool.QueryRow(ctx, `SELECT epoch FROM model_checkpoints WHERE model_id = $1`, modelID).Scan(&epoch)
	return epoch, wrap(err, "checkpoint of model %d", modelID)
}

// ReadCheckpoint passes the latest checkpoint of a training to read, as
// its epoch and a stream of its state, or returns ErrNotFound. The stream
// is valid only until read returns.
func (s *Store) ReadCheckpoint(ctx context.Context, modelID int64, read func(epoch int, state io.Reader) error) error {
	rows, err := s.pool.Query(ctx, `
SELECT c.epoch, k.data FROM model_checkpoints c JOIN model_checkpoint_chunks k USING (model_id)
WHERE c.model_id = $1 ORDER BY k.seq`, modelID)
	if err != nil {
		return wrap(err, "checkpoint of model %d", modelID)
	}
	defer rows.Close()
	r := &chunkReader{rows: rows}
	if !r.next() {
		if r.err == nil {
			r.err = pgx.ErrNoRows
		}
		return wrap(r.err, "checkpoint of model %d", modelID)
	}
	if err := read(r.epoch, r); err != nil {
		return fmt.Errorf("store: read checkpoint of model %d: %w", modelID, err)
	}
	return nil
}

// chunkReader reads the chunks of a checkpoint in order, each in the
// driver's own buffer.
type chunkReader struct {
	rows  pgx.Rows
	epoch int
	chunk pgtype.DriverBytes
	err   error
}

func (r *chunkReader) next() bool {
	if !r.rows.Next() {
		r.err = r.rows.Err()
		return false
	}
	r.err = r.rows.Scan(&r.epoch, &r.chunk)
	return r.err == nil
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.chunk) == 0 && !r.next() {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p, r.chunk)
	r.chunk = r.chunk[n:]
	return n, nil
}
