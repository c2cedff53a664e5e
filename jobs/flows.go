package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/pff/pff/app/executions"
)

// FlowLineArgs runs one line of a fix-flow execution.
type FlowLineArgs struct {
	LineID int64 `json:"line_id"`
}

// Kind is the job kind stored in river_job.
func (FlowLineArgs) Kind() string { return "flow_line" }

// QueueFlows is the queue of fix-flow lines: apart from the default queue,
// so that a process can work lines alone (pff run), and an execution of
// thousands of lines does not hold up validations.
const QueueFlows = "flows"

// InsertOpts retry a line whose worker failed: the line replays its journal,
// so a retry never repeats a completed step.
func (FlowLineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, Queue: QueueFlows}
}

// FlowLineWorker runs lines with the engine.
type FlowLineWorker struct {
	river.WorkerDefaults[FlowLineArgs]
	Engine *executions.Engine
}

// Timeout lets a line wait for rate limits, retries and slow BSS answers;
// a line that runs out of time resumes from its journal.
func (w *FlowLineWorker) Timeout(*river.Job[FlowLineArgs]) time.Duration { return 15 * time.Minute }

// Work runs the line.
func (w *FlowLineWorker) Work(ctx context.Context, job *river.Job[FlowLineArgs]) error {
	return w.Engine.RunLine(ctx, job.Args.LineID, job.ID)
}

// EnqueueLines queues a job per line inside the transaction that makes the
// lines runnable: executions.Queue.
func (c *Client) EnqueueLines(ctx context.Context, tx pgx.Tx, lineIDs []int64) error {
	params := make([]river.InsertManyParams, len(lineIDs))
	for i, id := range lineIDs {
		params[i] = river.InsertManyParams{Args: FlowLineArgs{LineID: id}}
	}
	if _, err := c.river.InsertManyFastTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: enqueue %d flow lines: %w", len(lineIDs), err)
	}
	return nil
}
