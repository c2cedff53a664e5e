package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/pff/pff/store"
)

// revalidatePage is how many record ids one query of a re-validation
// selects.
const revalidatePage = 5000

// revalidatePoll is how often a re-validation looks at its validation jobs
// while they run. Between looks it is snoozed, so it holds no worker: with
// one worker, the validations it waits for could not run otherwise.
const revalidatePoll = time.Second

// RevalidateArgs re-validates the current records that match a filter, by
// enqueuing validation jobs for them, and completes when they have.
type RevalidateArgs struct {
	MSISDN     string `json:"msisdn,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`
	Decision   string `json:"decision,omitempty"`
	Rule       string `json:"rule,omitempty"`
}

// Kind is the job kind stored in river_job.
func (RevalidateArgs) Kind() string { return "revalidate_records" }

// revalidateOutput is a re-validation's progress, its output while it runs
// and when it is done: the records and validation jobs it queued, and how
// many of those jobs completed, failed (discarded or cancelled), or are
// running or waiting.
type revalidateOutput struct {
	Phase     string `json:"phase"` // validating, done
	Records   int    `json:"records"`
	Jobs      int    `json:"jobs"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed"`
	Running   int    `json:"running"`
	Waiting   int    `json:"waiting"`
}

// RevalidateWorker fans a re-validation out into validation jobs and waits
// for them.
type RevalidateWorker struct {
	river.WorkerDefaults[RevalidateArgs]
	Store *store.Store
}

// Work queues the validation jobs once, with the job's output marking them
// queued in the same transaction, and then, each time the job runs again
// after a snooze, counts its validation jobs by state: it completes when
// every one of them has ended.
func (w *RevalidateWorker) Work(ctx context.Context, job *river.Job[RevalidateArgs]) error {
	var out revalidateOutput
	if raw := job.Output(); len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return fmt.Errorf("read progress: %w", err)
		}
	}
	if out.Phase == "" {
		var err error
		if out, err = w.fanOut(ctx, job); err != nil {
			return err
		}
	}
	counts, err := w.Store.ChildJobCounts(ctx, job.ID)
	if err != nil {
		return err
	}
	out.Completed, out.Failed, out.Running, out.Waiting = 0, 0, 0, 0
	for state, n := range counts {
		switch state {
		case "completed":
			out.Completed += n
		case "discarded", "cancelled":
			out.Failed += n
		case "running":
			out.Running += n
		default:
			out.Waiting += n
		}
	}
	if out.Running+out.Waiting == 0 {
		out.Phase = "done"
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		return fmt.Errorf("record output: %w", err)
	}
	if out.Phase != "done" {
		return river.JobSnooze(revalidatePoll)
	}
	return nil
}

// fanOut pages through the matching records by id and queues their
// validation, all in one transaction with the job's output, so that a
// retried job queues them once.
func (w *RevalidateWorker) fanOut(ctx context.Context, job *river.Job[RevalidateArgs]) (revalidateOutput, error) {
	client := river.ClientFromContext[pgx.Tx](ctx)
	filter := store.RecordFilter{
		MSISDN: job.Args.MSISDN, CustomerID: job.Args.CustomerID,
		Decision: job.Args.Decision, Rule: job.Args.Rule, Limit: revalidatePage,
	}
	var ids []int64
	for {
		page, err := w.Store.ListRecordIDs(ctx, filter)
		if err != nil {
			return revalidateOutput{}, err
		}
		if len(page) == 0 {
			break
		}
		ids = append(ids, page...)
		filter.AfterID = page[len(page)-1]
	}
	params := validationJobs(ids, job.ID)
	out := revalidateOutput{Phase: "validating", Records: len(ids), Jobs: len(params)}
	raw, err := json.Marshal(out)
	if err != nil {
		return out, err
	}
	err = w.Store.SetJobOutputWith(ctx, job.ID, raw, func(ctx context.Context, tx pgx.Tx) error {
		if len(params) == 0 {
			return nil
		}
		_, err := client.InsertManyFastTx(ctx, tx, params)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("enqueue validation of %d records: %w", len(ids), err)
	}
	return out, nil
}
