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
	// Written counts documents whose batches were written or rejected, for
	// saying where an interrupted ingest stopped.
	Written int `json:"-"`
}

// Writer groups documents into batches and writes each with one call of its
// WriteFunc. It is not safe for concurrent use.
type Writer struct {
	write     WriteFunc
	batchSize int
	pending   []ingest.Document
	bytes     int
	result    Result
	// Written counts documents whose batch has been written, for progress.
	written int
}

// NewWriter returns a writer of batches of batchSize documents (0 means
// DefaultBatchSize).
func NewWriter(write WriteFunc, batchSize int) *Writer {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	return &Writer{write: write, batchSize: batchSize, result: Result{Rejected: []Rejection{}}}
}

// Add takes one document and writes the batch when it is full. The writer
// keeps d.Data until then: the caller must not reuse it.
func (w *Writer) Add(ctx context.Context, d ingest.Document) error {
	w.result.Received++
	w.pending = append(w.pending, d)
	w.bytes += len(d.Data)
	if len(w.pending) >= w.batchSize || w.bytes >= maxBatchBytes {
		return w.Flush(ctx)
	}
	return nil
}

// Reject counts an input the reader refused.
func (w *Writer) Reject(r ingest.Rejection) {
	w.result.Received++
	w.result.Rejected = append(w.result.Rejected, Rejection{Source: r.Source, Reason: r.Reason})
}

// Flush writes what is pending. Documents that are not customer records are
// rejected; a customer that appears twice is written in order, the later
// document as a new version of the earlier.
func (w *Writer) Flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
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
		return err
	}
	batch := make([]store.NewRecord, 0, len(prepared))
	inBatch := make(map[string]bool, len(prepared))
	for i, rec := range prepared {
		if failed[i] != nil {
			w.result.Rejected = append(w.result.Rejected, Rejection{Source: w.pending[i].Source, Reason: failed[i].Error()})
			continue
		}
		if inBatch[rec.CustomerID] {
			if err := w.writeBatch(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
			clear(inBatch)
		}
		inBatch[rec.CustomerID] = true
		batch = append(batch, rec)
	}
	if err := w.writeBatch(ctx, batch); err != nil {
		return err
	}
	w.written += len(w.pending)
	clear(w.pending) // let the documents go
	w.pending = w.pending[:0]
	w.bytes = 0
	return nil
}

func (w *Writer) writeBatch(ctx context.Context, batch []store.NewRecord) error {
	if len(batch) == 0 {
		return nil
	}
	counts, err := w.write(ctx, batch)
	if err != nil {
		return err
	}
	w.result.WriteResult = w.result.WriteResult.Add(counts)
	return nil
}

// Written counts the documents whose batches have been written or rejected.
func (w *Writer) Written() int { return w.written }

// Result is what has become of the documents so far.
func (w *Writer) Result() Result { return w.result }
