package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/pff/pff/store"
)

// revalidatePage is how many record ids one step of a re-validation selects
// and then enqueues: the select and the insert are two statements, so a
// record that changes in between is validated by its own ingest's job.
const revalidatePage = 5000

// RevalidateArgs re-validates the current records that match a filter, by
// enqueuing validation jobs for them in pages.
type RevalidateArgs struct {
	MSISDN     string `json:"msisdn,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	Decision   string `json:"decision,omitempty"`
	Rule       string `json:"rule,omitempty"`
}

// Kind is the job kind stored in river_job.
func (RevalidateArgs) Kind() string { return "revalidate_records" }

// revalidateOutput is what a re-validation records as its output.
type revalidateOutput struct {
	Records int `json:"records"`
	Jobs    int `json:"jobs"`
}

// RevalidateWorker fans a re-validation out into validation jobs.
type RevalidateWorker struct {
	river.WorkerDefaults[RevalidateArgs]
	Store *store.Store
}

// Work pages through the matching records by id. A retry after a failure
// enqueues the pages again; validating a record twice is harmless.
func (w *RevalidateWorker) Work(ctx context.Context, job *river.Job[RevalidateArgs]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	filter := store.RecordFilter{
		MSISDN: job.Args.MSISDN, CustomerID: job.Args.CustomerID,
		Decision: job.Args.Decision, Rule: job.Args.Rule, Limit: revalidatePage,
	}
	var out revalidateOutput
	for {
		ids, err := w.Store.ListRecordIDs(ctx, filter)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		params := validationJobs(ids)
		if _, err := client.InsertManyFast(ctx, params); err != nil {
			return fmt.Errorf("enqueue validation of %d records: %w", len(ids), err)
		}
		out.Records += len(ids)
		out.Jobs += len(params)
		filter.AfterID = ids[len(ids)-1]
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	return nil
}
