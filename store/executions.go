package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Execution states.
const (
	ExecPlanned          = "planned"
	ExecAwaitingApproval = "awaiting_approval"
	ExecRunning          = "running"
	ExecPaused           = "paused"
	ExecSucceeded        = "succeeded"
	ExecPartiallyFailed  = "partially_failed"
	ExecCancelled        = "cancelled"
)

// Line states.
const (
	LineQueued          = "queued"
	LineRunning         = "running"
	LineWaitingApproval = "waiting_approval"
	LineSucceeded       = "succeeded"
	LineFailed          = "failed"
	LineNeedsReview     = "needs_review"
	LineCancelled       = "cancelled"
)

// LineFinal reports whether a line state is final: the line will not run
// again unless someone retries it.
func LineFinal(state string) bool {
	switch state {
	case LineSucceeded, LineFailed, LineNeedsReview, LineCancelled:
		return true
	}
	return false
}

// Execution is a run (or a plan) of a flow file on many customer lines.
type Execution struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// FlowsID is the flow file version the execution runs, pinned at start.
	FlowsID      int64  `json:"flows_id"`
	FlowsName    string `json:"flows_name"`
	FlowsVersion int    `json:"flows_version"`
	Mode         string `json:"mode"`
	State        string `json:"state"`
	// Generation counts applies of a plan: a plan's lines run as 0, its
	// apply as 1.
	Generation   int    `json:"generation"`
	PausedReason string `json:"paused_reason,omitempty"`
	// Approval says why a second person must approve before lines run.
	Approval        string     `json:"approval,omitempty"`
	Canary          int        `json:"canary"`
	CanaryPassed    bool       `json:"canary_passed"`
	MaxFailureRatio float64    `json:"max_failure_ratio"`
	Lines           int        `json:"lines"`
	Done            int        `json:"done"`
	Succeeded       int        `json:"succeeded"`
	Failed          int        `json:"failed"`
	NeedsReview     int        `json:"needs_review"`
	Cancelled       int        `json:"cancelled"`
	Writes          int        `json:"writes"`
	LastEvent       int64      `json:"last_event"`
	CreatedBy       string     `json:"created_by"`
	ApprovedBy      string     `json:"approved_by,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	StartedAt       *time.Time `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
}

// Final reports whether the execution has ended.
func (e Execution) Final() bool {
	switch e.State {
	case ExecSucceeded, ExecPartiallyFailed, ExecCancelled, ExecPlanned:
		return true
	}
	return false
}

const executionColumns = `e.id, e.name, e.flows_id, k.name, k.version, e.mode, e.state, e.generation, e.paused_reason, e.approval,
	e.canary, e.canary_passed, e.max_failure_ratio, e.lines, e.done, e.succeeded, e.failed, e.needs_review, e.cancelled,
	e.writes, e.last_event, e.created_by, e.approved_by, e.created_at, e.started_at, e.finished_at`

func scanExecution(row pgx.Row) (Execution, error) {
	var e Execution
	err := row.Scan(executionFields(&e)...)
	return e, err
}

// executionFields are the scan targets of executionColumns.
func executionFields(e *Execution) []any {
	return []any{&e.ID, &e.Name, &e.FlowsID, &e.FlowsName, &e.FlowsVersion, &e.Mode, &e.State, &e.Generation, &e.PausedReason,
		&e.Approval, &e.Canary, &e.CanaryPassed, &e.MaxFailureRatio, &e.Lines, &e.Done, &e.Succeeded, &e.Failed, &e.NeedsReview,
		&e.Cancelled, &e.Writes, &e.LastEvent, &e.CreatedBy, &e.ApprovedBy, &e.CreatedAt, &e.StartedAt, &e.FinishedAt}
}

// Line is one customer line of an execution.
type Line struct {
	ID           int64           `json:"id"`
	ExecutionID  int64           `json:"execution_id"`
	LineNo       int             `json:"line_no"`
	MSISDN       string          `json:"msisdn"`
	Flow         string          `json:"flow"`
	Columns      json.RawMessage `json:"columns"`
	Payload      json.RawMessage `json:"payload"`
	State        string          `json:"state"`
	Generation   int             `json:"generation"`
	JobID        *int64          `json:"job_id"`
	Observations string          `json:"observations"`
	Artefacts    json.RawMessage `json:"artefacts"`
	ErrorCode    string          `json:"error_code,omitempty"`
	ErrorMessage string          `json:"error_message,omitempty"`
	// StoppedAt is the key of the step that stopped the line.
	StoppedAt  string     `json:"stopped_at,omitempty"`
	Writes     int        `json:"writes"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

const lineColumns = `l.id, l.execution_id, l.line_no, l.msisdn, l.flow, l.columns, l.payload, l.state, l.generation, l.job_id,
	l.observations, l.artefacts, l.error_code, l.error_message, l.stopped_at, l.writes, l.started_at, l.finished_at`

func scanLine(row pgx.Row) (Line, error) {
	var l Line
	err := row.Scan(lineFields(&l)...)
	return l, err
}

// lineFields are the scan targets of lineColumns.
func lineFields(l *Line) []any {
	return []any{&l.ID, &l.ExecutionID, &l.LineNo, &l.MSISDN, &l.Flow, &l.Columns, &l.Payload, &l.State, &l.Generation, &l.JobID,
		&l.Observations, &l.Artefacts, &l.ErrorCode, &l.ErrorMessage, &l.StoppedAt, &l.Writes, &l.StartedAt, &l.FinishedAt}
}

// Step is one entry of a line's journal: a call the flow made, and how it
// ended. A write is an intent before it is sent.
type Step struct {
	LineID     int64           `json:"line_id"`
	Generation int             `json:"generation"`
	Key        string          `json:"key"`
	Seq        int             `json:"seq"`
	Method     string          `json:"method"`
	Effect     string          `json:"effect"`
	Args       json.RawMessage `json:"args"`
	// Request is a write as sent (or planned): method, path and body.
	Request        json.RawMessage `json:"request"`
	State          string          `json:"state"`
	Outcome        string          `json:"outcome,omitempty"`
	Status         int             `json:"status,omitempty"`
	Value          json.RawMessage `json:"value"`
	Error          string          `json:"error,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Attempts       int             `json:"attempts"`
	Actor          string          `json:"actor,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	CompletedAt    *time.Time      `json:"completed_at"`
}

// Journal step states.
const (
	StepIntent           = "intent"
	StepCompleted        = "completed"
	StepFailed           = "failed" // known not applied: it may be sent again
	StepPlanned          = "planned"
	StepAwaitingApproval = "awaiting_approval"
	StepApproved         = "approved"
)

// Event is one entry of an execution's event stream.
type Event struct {
	Seq       int64           `json:"seq"`
	LineID    *int64          `json:"line_id"`
	Kind      string          `json:"kind"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// NewEvent is an event to append.
type NewEvent struct {
	LineID *int64
	Kind   string
	Data   any
}

// appendEvents appends events to an execution's stream in tx. The seq is
// taken under the execution's row lock, held until the transaction ends,
// so events become visible in seq order.
func appendEvents(ctx context.Context, tx pgx.Tx, executionID int64, events []NewEvent) error {
	if len(events) == 0 {
		return nil
	}
	sql, args, err := bumpExecution(executionID, events, 0, false)
	if err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("events: no execution %d: %w", executionID, ErrNotFound)
	}
	return nil
}

// bumpExecution is one statement that takes the execution's row lock, adds
// writes to its count and appends events with the seqs it takes: the lock
// is held from there to the commit, so callers send it last. With
// whileRunning it changes nothing unless the execution is running. It
// returns one row: 1 when the execution was changed, 0 when not.
func bumpExecution(executionID int64, events []NewEvent, writes int, whileRunning bool) (string, []any, error) {
	lineIDs := make([]*int64, len(events))
	kinds := make([]string, len(events))
	data := make([]string, len(events))
	for i, e := range events {
		lineIDs[i], kinds[i] = e.LineID, e.Kind
		b, err := json.Marshal(e.Data)
		if err != nil {
			return "", nil, fmt.Errorf("event %s: %w", e.Kind, err)
		}
		data[i] = string(b)
	}
	return `
		WITH x AS (
			UPDATE executions SET last_event = last_event + $2, writes = writes + $3
			WHERE id = $1 AND (NOT $4 OR state = 'running')
			RETURNING last_event
		), ev AS (
			INSERT INTO execution_events (execution_id, seq, line_id, kind, data)
			SELECT $1, x.last_event - $2 + e.ord, e.line_id, e.kind, e.data::jsonb
			FROM x, unnest($5::bigint[], $6::text[], $7::text[]) WITH ORDINALITY AS e(line_id, kind, data, ord)
		)
		SELECT count(*) FROM x`,
		[]any{executionID, len(events), writes, whileRunning, lineIDs, kinds, data}, nil
}

// Events returns an execution's events after seq, oldest first.
func (s *Store) Events(ctx context.Context, executionID, after int64, limit int) ([]Event, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT seq, line_id, kind, data, created_at FROM execution_events
		WHERE execution_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, executionID, after, limit)
	if err != nil {
		return nil, wrap(err, "events of execution %d", executionID)
	}
	events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Event])
	return events, wrap(err, "events of execution %d", executionID)
}

// LineCount is how many lines of running executions run a flow and are in
// a state.
type LineCount struct {
	Flow  string
	State string
	Count int64
}

// FlowLineCounts counts the lines of executions that have not ended, by flow
// and state, and says how long the oldest queued line of a running
// execution has waited.
func (s *Store) FlowLineCounts(ctx context.Context) ([]LineCount, time.Duration, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT l.flow, l.state, count(*) FROM execution_lines l JOIN executions e ON e.id = l.execution_id
		WHERE e.state IN ('running', 'paused', 'awaiting_approval') GROUP BY 1, 2`)
	if err != nil {
		return nil, 0, wrap(err, "count flow lines")
	}
	counts, err := pgx.CollectRows(rows, pgx.RowToStructByPos[LineCount])
	if err != nil {
		return nil, 0, wrap(err, "count flow lines")
	}
	var lag float64
	err = s.pool.QueryRow(ctx, `
		SELECT coalesce(extract(epoch FROM clock_timestamp() - min(l.updated_at)), 0)
		FROM execution_lines l JOIN executions e ON e.id = l.execution_id
		WHERE e.state = 'running' AND l.state = 'queued'`).Scan(&lag)
	return counts, time.Duration(lag * float64(time.Second)), wrap(err, "flow line lag")
}
