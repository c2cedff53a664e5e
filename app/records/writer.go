package records

import (
	"context"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/store"
)

// DefaultBatchSize is how many documents a batch holds when not configured.
const DefaultBatchSize = 500

// maxBatchBytes bounds a batch's documents, so memory stays flat whatever
// the documents' sizes.
const maxBatchBytes = 16 << 20

// WriteFunc writes one batch atomically: store.WriteRecords with the
// validation jobs enqueued in the same transaction.
type WriteFunc func(ctx context.Context, batch []store.NewRecord) (store.WriteResult, error)

// Rejection is a document that was not taken, and why.
type Rejection struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Result is what became of an upload's documents.
type Result struct {
	// Received counts documents, taken or rejected.
	Received int `json:"received"`
	store.WriteResult
	Rejected []Rejection `json:"rejected"`
}

// Writer groups documents into batches and writes each with one call of its
// WriteFunc. A batch is written in the background while the caller reads and
// identifies the next one, so reading and the database work at the same
// time; at most one batch is in flight. A failed write stops the writer: Add
// and Flush then return its error. A Writer is not safe for concurrent use.
type Writer struct {
	write     WriteFunc
	batchSize int
	pending   []ingest.Document
	bytes     int
	result    Result
	// written counts documents whose batches are written (or rejected).
	written  int
	inflight chan writeOutcome
	err      error
}

// writeOutcome is what became of a batch written in the background.
type writeOutcome struct {
	counts store.WriteResult
	docs   int
	err    error
}

// NewWriter returns a writer of batches of batchSize documents (0 means
// DefaultBatchSize).
func NewWriter(write WriteFunc, batchSize int) *Writer {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	return &Writer{write: write, batchSize: batchSize, result: Result{Rejected: []Rejection{}}}
}

// Add takes one document and starts writing the batch when it is full. The
// writer keeps d.Data until then: the caller must not reuse it.
func (w *Writer) Add(ctx context.Context, d ingest.Document) error {
	if w.err != nil {
		return w.err
	}
	w.result.Received++
	w.pending = append(w.pending, d)
	w.bytes += len(d.Data)
	if len(w.pending) >= w.batchSize || w.bytes >= maxBatchBytes {
		return w.dispatch(ctx)
	}
	return nil
}

// Reject counts an input the reader refused.
func (w *Writer) Reject(r ingest.Rejection) {
	w.result.Received++
	w.result.Rejected = append(w.result.Rejected, Rejection{Source: r.Source, Reason: r.Reason})
}

// Flush writes what is pending and waits until every batch is written.
func (w *Writer) Flush(ctx context.Context) error {
	if w.err != nil {
		return w.err
	}
	if len(w.pending) > 0 {
		if err := w.dispatch(ctx); err != nil {
			return err
		}
	}
	return w.Wait()
}

// dispatch identifies the pending documents, waits for the batch in flight,
// and starts writing these.
func (w *Writer) dispatch(ctx context.Context) error {
	batches, err := w.prepare(ctx)
	if err != nil {
		w.err = err
		return err
	}
	docs := len(w.pending)
	clear(w.pending) // let the documents go
	w.pending = w.pending[:0]
	w.bytes = 0
	if err := w.Wait(); err != nil {
		return err
	}
	done := make(chan writeOutcome, 1)
	w.inflight = done
	go func() {
		var total store.WriteResult
		for _, batch := range batches {
			counts, err := w.write(ctx, batch)
			if err != nil {
				done <- writeOutcome{err: err}
				return
			}
			total = total.Add(counts)
		}
		done <- writeOutcome{counts: total, docs: docs}
	}()
	return nil
}

// Wait waits for the batch in flight, if any, and counts it, without
// starting to write what is pending: after a failed read, it makes Result
// final.
func (w *Writer) Wait() error {
	if w.inflight == nil {
		return nil
	}
	outcome := <-w.inflight
	w.inflight = nil
	if outcome.err != nil {
		w.err = outcome.err
		return outcome.err
	}
	w.result.WriteResult = w.result.WriteResult.Add(outcome.counts)
	w.written += outcome.docs
	return nil
}

// prepare identifies the pending documents on every core. Documents that
// are not customer records are rejected; a customer that appears twice
// splits the batch, so the later document is written as a new version of
// the earlier.
func (w *Writer) prepare(ctx context.Context) ([][]store.NewRecord, error) {
	prepared := make([]store.NewRecord, len(w.pending))
	failed := make([]error, len(w.pending))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, d := range w.pending {
		g.Go(func() error {
			prepared[i], failed[i] = Prepare(d)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var batches [][]store.NewRecord
	batch := make([]store.NewRecord, 0, len(prepared))
	inBatch := make(map[string]bool, len(prepared))
	for i, rec := range prepared {
		if failed[i] != nil {
			w.result.Rejected = append(w.result.Rejected, Rejection{Source: w.pending[i].Source, Reason: failed[i].Error()})
			continue
		}
		if inBatch[rec.CustomerID] {
			batches = append(batches, batch)
			batch = make([]store.NewRecord, 0, len(prepared)-i)
			clear(inBatch)
		}
		inBatch[rec.CustomerID] = true
		batch = append(batch, rec)
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	return batches, nil
}

// Written counts the documents whose batches have been written or rejected.
func (w *Writer) Written() int { return w.written }

// Result is what has become of the documents so far.
func (w *Writer) Result() Result { return w.result }
