package records

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// Queue is where work on records goes: the job queue.
type Queue interface {
	// EnqueueValidations queues the validation of records inside the
	// transaction that writes them.
	EnqueueValidations(ctx context.Context, tx pgx.Tx, recordIDs []int64) error
	// EnqueueRevalidation queues the re-validation of the current records that
	// match the filter and returns the job's id.
	EnqueueRevalidation(ctx context.Context, f RevalidateRequest) (int64, error)
}

// Config are the dependencies of a Service.
type Config struct {
	Store *store.Store
	Queue Queue
	// Validators gives the validator of one-off validations.
	Validators validation.ValidatorSource
	// Limits bound every upload.
	Limits ingest.Limits
	// BatchSize is how many records one transaction writes; 0 means DefaultBatchSize.
	BatchSize int
}

// Service stores, lists and validates customer records.
type Service struct {
	cfg Config
}

// NewService makes the records service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Queue == nil || cfg.Validators == nil {
		return nil, errors.New("records: Config needs Store, Queue and Validators")
	}
	return &Service{cfg: cfg}, nil
}

// ReadFunc reads documents, handing each to add and each input it refuses to
// reject: ingest.Read of an upload, ingest.ReadPaths of files.
type ReadFunc func(add func(ingest.Document) error, reject func(ingest.Rejection)) error

// Ingest writes the documents read in batches, each one transaction that
// also queues the records' validation. Batches written before an error stay
// written: the result so far comes with it, in an error's Details.
func (s *Service) Ingest(ctx context.Context, read ReadFunc) (Result, error) {
	w := NewWriter(func(ctx context.Context, batch []store.NewRecord) (store.WriteResult, error) {
		return s.cfg.Store.WriteRecords(ctx, batch, s.cfg.Queue.EnqueueValidations)
	}, s.cfg.BatchSize)
	err := read(func(d ingest.Document) error { return w.Add(ctx, d) }, w.Reject)
	if err == nil {
		err = w.Flush(ctx)
	}
	res := w.Result()
	res.Written = w.Written()
	if err != nil {
		return res, readProblem(err, res)
	}
	return res, nil
}

// Upload ingests one upload: JSON, a JSON array, NDJSON, gzip, multipart
// files or a ZIP, as its content type and name say. An upload of which
// every document was rejected is an Unprocessable problem, whose Details
// are the result; when some were stored, the result says which were not.
func (s *Service) Upload(ctx context.Context, body io.Reader, name, contentType string) (Result, error) {
	if name == "" {
		name = "upload"
	}
	res, err := s.Ingest(ctx, func(add func(ingest.Document) error, reject func(ingest.Rejection)) error {
		return ingest.Read(ctx, body, name, contentType, s.cfg.Limits, add, reject)
	})
	if err == nil && res.Received > 0 && len(res.Rejected) == res.Received {
		// Nothing was stored: an answer of success would hide it.
		return res, &problem.Error{Kind: problem.Unprocessable, Code: "all_rejected", Details: res,
			Message: fmt.Sprintf("none of the %d document(s) was stored: every one was rejected (details.rejected says why)", res.Received)}
	}
	return res, err
}

// readProblem explains why reading stopped, with the counts so far.
func readProblem(err error, sofar Result) error {
	var limit *ingest.LimitError
	switch {
	case errors.As(err, &limit):
		msg := fmt.Sprintf("the upload exceeds %s (%g)", config.LimitKey(limit.Limit), limit.Value)
		if limit.Source != "" {
			msg += " at " + limit.Source
		}
		kind := problem.Invalid
		if limit.TooLarge {
			kind = problem.TooLarge
		}
		return &problem.Error{Kind: kind, Code: "limit_exceeded", Message: msg, Details: sofar}
	case errors.Is(err, ingest.ErrInput):
		return &problem.Error{Kind: problem.Invalid, Code: "invalid_upload", Message: err.Error(), Details: sofar}
	}
	return err
}

// Validate judges one record with the active validator, without storing it.
func (s *Service) Validate(ctx context.Context, body io.Reader, contentType string) (*validation.Report, error) {
	limits := s.cfg.Limits
	limits.MaxRecords = 1
	var doc *ingest.Document
	var rejection *ingest.Rejection
	err := ingest.Read(ctx, body, "body", contentType, limits,
		func(d ingest.Document) error { doc = &d; return nil },
		func(r ingest.Rejection) { rejection = &r })
	var limit *ingest.LimitError
	switch {
	case errors.As(err, &limit) && limit.Limit == "MaxRecords":
		return nil, problem.Invalidf("one_record", "the body must be one record")
	case err != nil:
		return nil, readProblem(err, Result{})
	case rejection != nil:
		return nil, problem.Invalidf("invalid_record", "%s", rejection.Reason)
	case doc == nil:
		return nil, problem.Invalidf("one_record", "the body must be one record")
	}
	v, err := s.cfg.Validators.Validator(ctx)
	if err != nil {
		return nil, err
	}
	report, err := v.Validate(ctx, doc.Data)
	if err != nil {
		return nil, problem.Invalidf("invalid_record", "%v", err)
	}
	return report, nil
}

// Filter selects current records.
type Filter struct {
	MSISDN     string
	CustomerID string
	// Decision is ACCEPT, REVIEW or REJECT: the latest report's.
	Decision string
	// Rule keeps records whose latest report violates this rule or check.
	Rule string
	// AfterID is the id the previous page ended with.
	AfterID int64
	Limit   int
}

// List lists current records by id.
func (s *Service) List(ctx context.Context, f Filter) ([]store.Record, error) {
	if err := checkDecision("decision", f.Decision); err != nil {
		return nil, err
	}
	return s.cfg.Store.ListRecords(ctx, store.RecordFilter{MSISDN: f.MSISDN, CustomerID: f.CustomerID,
		Decision: f.Decision, Rule: f.Rule, AfterID: f.AfterID, Limit: f.Limit})
}

func checkDecision(field, d string) error {
	switch validation.Decision(d) {
	case "", validation.Accept, validation.Review, validation.Reject:
		return nil
	}
	return problem.FieldError(field, "must be ACCEPT, REVIEW or REJECT")
}

// notFound names a record version that does not exist.
func notFound(id int64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFoundf("no record %d", id)
	}
	return err
}

// Get returns a record version with its document.
func (s *Service) Get(ctx context.Context, id int64) (store.Record, error) {
	rec, err := s.cfg.Store.RecordByID(ctx, id)
	return rec, notFound(id, err)
}

// Versions lists every version of the record's customer, newest first.
func (s *Service) Versions(ctx context.Context, id int64) ([]store.Record, error) {
	versions, err := s.cfg.Store.RecordVersions(ctx, id)
	return versions, notFound(id, err)
}

// Report returns the latest validation report of a record version.
func (s *Service) Report(ctx context.Context, id int64) (store.Report, error) {
	report, err := s.cfg.Store.LatestReport(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return report, problem.NotFoundf("no report of record %d (yet)", id)
	}
	return report, err
}

// Triples is a record version's knowledge graph.
type Triples struct {
	RecordID int64 `json:"record_id"`
	*kg.Graph
}

// Triples returns a record version's knowledge-graph triples, with the JSON
// pointers they come from.
func (s *Service) Triples(ctx context.Context, id int64) (Triples, error) {
	rec, err := s.Get(ctx, id)
	if err != nil {
		return Triples{}, err
	}
	g, err := kg.Build(rec.Document)
	if err != nil {
		return Triples{}, fmt.Errorf("records: graph of record %d: %w", id, err)
	}
	return Triples{RecordID: id, Graph: g}, nil
}

// RevalidateRequest selects the current records to validate again; empty
// fields select all.
type RevalidateRequest struct {
	MSISDN     string `json:"msisdn"`
	CustomerID string `json:"customer_id"`
	Decision   string `json:"decision"`
	Rule       string `json:"rule"`
}

// Revalidate queues the re-validation of the matching records and returns
// the job's id.
func (s *Service) Revalidate(ctx context.Context, req RevalidateRequest) (int64, error) {
	if err := checkDecision("decision", req.Decision); err != nil {
		return 0, err
	}
	id, err := s.cfg.Queue.EnqueueRevalidation(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("records: enqueue re-validation: %w", err)
	}
	return id, nil
}

// Stats counts current records by decision and names the most violated rules.
func (s *Service) Stats(ctx context.Context) (store.RecordStats, error) {
	return s.cfg.Store.RecordStats(ctx, 10)
}
