package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// recordsPerJob is how many records one validation job takes: enough that a
// job's overhead (a fetch, two queries) is small beside validating them,
// few enough that the workers share a batch.
const recordsPerJob = 50

// ValidateRecordsArgs validates record versions and stores their reports.
type ValidateRecordsArgs struct {
	RecordIDs []int64 `json:"record_ids"`
	// ParentID is the re-validation that queued the job, if any; it counts
	// its jobs by this.
	ParentID int64 `json:"parent_id,omitempty"`
}

// Kind is the job kind stored in river_job.
func (ValidateRecordsArgs) Kind() string { return "validate_records" }

// validateOutput is what a validation job records as its output.
type validateOutput struct {
	Validated int            `json:"validated"`
	Decisions map[string]int `json:"decisions"`
	// Missing are ids of records deleted since the job was queued.
	Missing int `json:"missing,omitempty"`
	// Failed are records the validator could not judge.
	Failed []recordFailure `json:"failed,omitempty"`
}

type recordFailure struct {
	RecordID int64  `json:"record_id"`
	Error    string `json:"error"`
}

// ValidateRecordsWorker judges records with the active validator.
type ValidateRecordsWorker struct {
	river.WorkerDefaults[ValidateRecordsArgs]
	Store *store.Store
	// Validators gives the active validator; nil means the embedded defaults.
	Validators validation.ValidatorSource

	defaults    sync.Once
	defaultsErr error
	defaultsSrc validation.ValidatorSource
}

func (w *ValidateRecordsWorker) source() (validation.ValidatorSource, error) {
	if w.Validators != nil {
		return w.Validators, nil
	}
	w.defaults.Do(func() { w.defaultsSrc, w.defaultsErr = validation.DefaultSource() })
	return w.defaultsSrc, w.defaultsErr
}

// Work validates the records and stores a report for each in one
// transaction, so a retried job never leaves half its reports.
func (w *ValidateRecordsWorker) Work(ctx context.Context, job *river.Job[ValidateRecordsArgs]) error {
	src, err := w.source()
	if err != nil {
		return err
	}
	v, err := src.Validator(ctx)
	if err != nil {
		return fmt.Errorf("active validator: %w", err)
	}
	docs, err := w.Store.RecordDocuments(ctx, job.Args.RecordIDs)
	if err != nil {
		return err
	}
	out := validateOutput{Decisions: map[string]int{}, Missing: len(job.Args.RecordIDs) - len(docs)}
	reports := make([]store.NewReport, 0, len(docs))
	for _, d := range docs {
		report, err := v.Validate(ctx, d.Document)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Not a record any more (stored before a stricter validator):
			// retrying cannot help, so it is reported instead, and gets a
			// report that says why, so it is never left unvalidated.
			out.Failed = append(out.Failed, recordFailure{RecordID: d.ID, Error: err.Error()})
			report = v.FailedReport(d.CustomerID, err)
		}
		stored, err := storedReport(d.ID, report)
		if err != nil {
			return err
		}
		reports = append(reports, stored)
		out.Decisions[string(report.Decision)]++
	}
	if err := w.Store.SaveReports(ctx, reports); err != nil {
		return err
	}
	out.Validated = len(reports)
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}

// validationJobs splits ids into validation jobs of the parent job, if
// not 0. A parent's jobs come after other work of the same priority, and
// after their parent: when it is due to count them, it runs first, briefly,
// even while its jobs keep every worker busy.
func validationJobs(ids []int64, parentID int64) []river.InsertManyParams {
	var opts *river.InsertOpts
	if parentID != 0 {
		opts = &river.InsertOpts{Priority: 2}
	}
	params := make([]river.InsertManyParams, 0, (len(ids)+recordsPerJob-1)/recordsPerJob)
	for chunk := range slices.Chunk(ids, recordsPerJob) {
		params = append(params, river.InsertManyParams{Args: ValidateRecordsArgs{RecordIDs: chunk, ParentID: parentID}, InsertOpts: opts})
	}
	return params
}

// EnqueueValidations queues the validation of newly written records inside
// the transaction that writes them: pass it to store.WriteRecords.
func (c *Client) EnqueueValidations(ctx context.Context, tx pgx.Tx, recordIDs []int64) error {
	if _, err := c.river.InsertManyFastTx(ctx, tx, validationJobs(recordIDs, 0)); err != nil {
		return fmt.Errorf("jobs: enqueue validation of %d records: %w", len(recordIDs), err)
	}
	return nil
}

// storedReport is r as the store keeps it for record version recordID.
func storedReport(recordID int64, r *validation.Report) (store.NewReport, error) {
	report, err := json.Marshal(r)
	if err != nil {
		return store.NewReport{}, fmt.Errorf("jobs: encode report of record %d: %w", recordID, err)
	}
	versions, err := json.Marshal(r.Versions)
	if err != nil {
		return store.NewReport{}, fmt.Errorf("jobs: encode versions of record %d: %w", recordID, err)
	}
	violated := make([]string, 0, len(r.Violations))
	for _, v := range r.Violations {
		if !slices.Contains(violated, v.ID) {
			violated = append(violated, v.ID)
		}
	}
	return store.NewReport{
		RecordID: recordID, Decision: string(r.Decision), Score: r.Score,
		Violated: violated, Report: report, Versions: versions,
	}, nil
}
