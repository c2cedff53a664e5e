package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// batchSender sends a batch of statements in one round trip: a pgx.Tx, or
// a pipelinedTx.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pipelinedTx is a transaction for the engine's hot paths (a line's
// journal and its end): its BEGIN goes with its first batch and its COMMIT
// with its last, where pgx.Begin costs a round trip of its own for each,
// and round trips are most of a flush's time.
type pipelinedTx struct {
	conn  *pgxpool.Conn
	begun bool
}

func (s *Store) beginPipelined(ctx context.Context) (*pipelinedTx, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pipelinedTx{conn: conn}, nil
}

// SendBatch sends b, after BEGIN if the transaction has not begun; b may
// end with COMMIT (queueCommit).
func (t *pipelinedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.begun {
		return t.conn.SendBatch(ctx, b)
	}
	t.begun = true
	withBegin := &pgx.Batch{QueuedQueries: append([]*pgx.QueuedQuery{{SQL: "BEGIN"}}, b.QueuedQueries...)}
	br := t.conn.SendBatch(ctx, withBegin)
	if _, err := br.Exec(); err != nil {
		return &failedResults{BatchResults: br, err: fmt.Errorf("begin: %w", err)}
	}
	return br
}

// queueCommit ends a batch with COMMIT; read its result with Exec.
func queueCommit(b *pgx.Batch) { b.Queue("COMMIT") }

// commit commits a transaction whose last batch did not.
func (t *pipelinedTx) commit(ctx context.Context) error {
	_, err := t.conn.Exec(ctx, "COMMIT")
	return err
}

// end rolls back what was not committed and gives the connection back.
func (t *pipelinedTx) end(ctx context.Context) {
	if t.conn.Conn().PgConn().TxStatus() != 'I' && !t.conn.Conn().IsClosed() {
		_, _ = t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	}
	t.conn.Release()
}

// failedResults are the results of a batch whose BEGIN failed: every
// statement after it fails the same way.
type failedResults struct {
	pgx.BatchResults
	err error
}

func (f *failedResults) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, f.err }
func (f *failedResults) Query() (pgx.Rows, error)         { return nil, f.err }
func (f *failedResults) QueryRow() pgx.Row                { return errRow{f.err} }
func (f *failedResults) Close() error                     { return errors.Join(f.err, f.BatchResults.Close()) }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
