package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
)

// ErrLineTaken is returned by ClaimLine for a line another job holds or
// that is no longer queued.
var ErrLineTaken = errors.New("the line is held by another job or not queued")

// ClaimLine takes a queued line for job jobID, or takes back the line the
// same job held before its worker died (River retries a rescued job with
// its id). It returns the line and its execution. A queued line of an
// execution that is paused or waits for an approval is not taken: it stays
// queued for the job its resume or approval queues, and ErrLineTaken says
// so (taking it only to hand it back would cost two transactions a line).
//
// The claim takes no lock on the execution, so lines start without waiting
// for one another: the line's "running" event (LineEvent) is the caller's
// to save, with the line's next journal entries.
func (s *Store) ClaimLine(ctx context.Context, lineID, jobID int64) (Line, Execution, error) {
	var l Line
	var e Execution
	row := s.pool.QueryRow(ctx, `
		UPDATE execution_lines l SET state = 'running', job_id = $2, started_at = coalesce(l.started_at, clock_timestamp()),
			updated_at = clock_timestamp()
		FROM executions e JOIN knowledge k ON k.id = e.flows_id
		WHERE l.id = $1 AND e.id = l.execution_id
			AND (l.state = 'queued' AND e.state NOT IN ('paused', 'awaiting_approval') OR l.state = 'running' AND l.job_id = $2)
		RETURNING `+lineColumns+`, `+executionColumns, lineID, jobID)
	err := row.Scan(append(lineFields(&l), executionFields(&e)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, e, fmt.Errorf("store: claim line %d: %w", lineID, ErrLineTaken)
	}
	return l, e, wrap(err, "claim line %d", lineID)
}

// LineEvent is the event of a line's change of state.
func LineEvent(l Line, state, errorCode string) NewEvent {
	return lineEvent(l.ID, l.LineNo, l.MSISDN, state, errorCode)
}

func lineEvent(id int64, no int, msisdn, state, errorCode string) NewEvent {
	data := map[string]any{"line_id": id, "line_no": no, "msisdn": msisdn, "state": state}
	if errorCode != "" {
		data["error_code"] = errorCode
	}
	return NewEvent{LineID: &id, Kind: "line", Data: data}
}

// StepWrite is a journal entry to insert or update, with what goes with it
// in the same transaction.
type StepWrite struct {
	ExecutionID int64
	LineID      int64
	Steps       []Step
	// Events go to the execution's stream.
	Events []NewEvent
	// Audit entries record writes sent to BSS.
	Audit []AuditEntry
	// Writes counts the writes applied, added to the line's and execution's.
	Writes int
	// WhileRunning saves the entries only if the execution is running, as
	// seen under its row lock: a write's intent, so that no write is sent
	// after a cancel or a pause committed. Refused, nothing is saved and the
	// error wraps ErrExecutionState.
	WhileRunning bool
}

// SaveSteps writes journal entries (an entry with the same key and
// generation is replaced) in one transaction.
func (s *Store) SaveSteps(ctx context.Context, w StepWrite) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return saveSteps(ctx, tx, w) })
	return wrap(err, "save steps of line %d", w.LineID)
}

// SaveStepsMany writes the step writes of many lines in one transaction,
// so that they share its commit: the journal's group commit. Each write
// gets its own outcome: nil when saved, or an error wrapping
// ErrExecutionState for a WhileRunning write whose execution is not
// running (nothing of it is saved). The error is for the transaction.
func (s *Store) SaveStepsMany(ctx context.Context, ws []StepWrite) ([]error, error) {
	outcomes := make([]error, len(ws))
	live := make([]StepWrite, 0, len(ws))
	at := make([]int, 0, len(ws))
	for {
		live, at = live[:0], at[:0]
		for i, w := range ws {
			if outcomes[i] == nil {
				live, at = append(live, w), append(at, i)
			}
		}
		if len(live) == 0 {
			return outcomes, nil
		}
		stopped, err := s.saveStepsOnce(ctx, live)
		if err != nil {
			return outcomes, wrap(err, "save steps of %d lines", len(live))
		}
		if len(stopped) == 0 {
			return outcomes, nil
		}
		for j, w := range live {
			if w.WhileRunning && stopped[w.ExecutionID] {
				outcomes[at[j]] = fmt.Errorf("store: save steps of line %d: the execution is not running: %w", w.LineID, ErrExecutionState)
			}
		}
	}
}

// saveStepsOnce saves ws in one transaction of two round trips, and
// commits it only if no WhileRunning write was refused.
func (s *Store) saveStepsOnce(ctx context.Context, ws []StepWrite) (map[int64]bool, error) {
	tx, err := s.beginPipelined(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.end(ctx)
	stopped, err := saveStepsMany(ctx, tx, ws)
	if err != nil || len(stopped) > 0 {
		return stopped, err // rolled back: the caller saves the rest without them
	}
	return nil, tx.commit(ctx)
}

func saveSteps(ctx context.Context, tx pgx.Tx, w StepWrite) error {
	stopped, err := saveStepsMany(ctx, tx, []StepWrite{w})
	if err != nil {
		return err
	}
	if stopped[w.ExecutionID] {
		return fmt.Errorf("the execution is not running: %w", ErrExecutionState)
	}
	return nil
}

// saveStepsMany queues the journal of every write, then, per execution in
// id order, one statement that takes its row lock, adds the writes and
// appends the events: one round trip, and the locks are held only from the
// end of it to the commit. It returns the executions that were not running
// when a WhileRunning write needed them to be; their statements changed
// nothing, and the caller must not commit the rest of their writes.
func saveStepsMany(ctx context.Context, tx batchSender, ws []StepWrite) (map[int64]bool, error) {
	type bump struct {
		events       []NewEvent
		writes       int
		whileRunning bool
	}
	bumps := map[int64]*bump{}
	batch := &pgx.Batch{}
	for _, w := range ws {
		queueJournal(batch, w, true)
		if len(w.Events) == 0 && w.Writes == 0 && !w.WhileRunning {
			continue
		}
		b := bumps[w.ExecutionID]
		if b == nil {
			b = &bump{}
			bumps[w.ExecutionID] = b
		}
		b.events = append(b.events, w.Events...)
		b.writes += w.Writes
		b.whileRunning = b.whileRunning || w.WhileRunning
	}
	journal := batch.Len()
	ids := slices.Sorted(maps.Keys(bumps))
	for _, id := range ids {
		sql, args, err := bumpExecution(id, bumps[id].events, bumps[id].writes, bumps[id].whileRunning)
		if err != nil {
			return nil, err
		}
		batch.Queue(sql, args...)
	}
	if batch.Len() == 0 {
		return nil, nil
	}
	br := tx.SendBatch(ctx, batch)
	for range journal {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	var stopped map[int64]bool
	for _, id := range ids {
		var n int
		if err := br.QueryRow().Scan(&n); err != nil {
			_ = br.Close()
			return nil, fmt.Errorf("execution %d: %w", id, err)
		}
		switch {
		case n == 1:
		case bumps[id].whileRunning:
			if stopped == nil {
				stopped = map[int64]bool{}
			}
			stopped[id] = true
		default:
			_ = br.Close()
			return nil, fmt.Errorf("no execution %d: %w", id, ErrNotFound)
		}
	}
	return stopped, br.Close()
}

// queueJournal queues a step write's journal entries and audit entries,
// and with lineWrites the line's count of writes; not the execution's,
// which takes its lock. A transaction that updates the line again must
// count the writes in that update instead: a second update of a row the
// transaction already changed makes PostgreSQL check the line's foreign key,
// a share lock on the execution's row that deadlocks with the same
// transaction of another line when both then lock that row.
func queueJournal(batch *pgx.Batch, w StepWrite, lineWrites bool) {
	for _, st := range w.Steps {
		batch.Queue(`
			INSERT INTO line_steps (line_id, generation, key, seq, method, effect, args, request, state, outcome, status, value,
				error, idempotency_key, attempts, actor, completed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
				CASE WHEN $9 IN ('completed', 'failed', 'planned', 'approved') THEN clock_timestamp() END)
			ON CONFLICT (line_id, generation, key) DO UPDATE SET state = EXCLUDED.state, outcome = EXCLUDED.outcome,
				status = EXCLUDED.status, value = EXCLUDED.value, error = EXCLUDED.error, request = EXCLUDED.request,
				attempts = EXCLUDED.attempts, actor = EXCLUDED.actor, completed_at = EXCLUDED.completed_at`,
			w.LineID, st.Generation, st.Key, st.Seq, st.Method, st.Effect, orEmptyObject(st.Args), nullJSON(st.Request), st.State,
			st.Outcome, st.Status, nullJSON(st.Value), st.Error, st.IdempotencyKey, st.Attempts, st.Actor)
	}
	for _, a := range w.Audit {
		detail := a.Detail
		if len(detail) == 0 {
			detail = json.RawMessage(`{}`)
		}
		batch.Queue(`
			INSERT INTO audit_log (actor_id, actor, method, route, action, target, status, status_code, request_id, detail)
			VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.ActorID, a.Actor, a.Method, a.Route, a.Action, a.Target, a.Status, a.StatusCode, a.RequestID, detail)
	}
	if lineWrites && w.Writes > 0 {
		batch.Queue(`UPDATE execution_lines SET writes = writes + $2 WHERE id = $1`, w.LineID, w.Writes)
	}
}

func nullJSON(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return v
}

// LineOutcome is how a run of a line ended.
type LineOutcome struct {
	StepWrite
	Generation   int
	State        string
	ErrorCode    string
	ErrorMessage string
	StoppedAt    string
	Observations string
	Artefacts    json.RawMessage
}

// PauseRules are when an execution pauses itself.
type PauseRules struct {
	// MinLinesForRatio is how many lines must be done before the failure
	// ratio is judged.
	MinLinesForRatio int
}

// FinishLine records how a line's run ended, with its last journal entries,
// and moves the execution on: its counters, a canary's pause, a pause above
// its failure ratio, and its final state when every line is done. It returns
// the execution as it is now.
func (s *Store) FinishLine(ctx context.Context, o LineOutcome, rules PauseRules) (Execution, error) {
	execs, err := s.FinishLines(ctx, []LineOutcome{o}, rules)
	if err != nil {
		return Execution{}, err
	}
	return execs[0], nil
}

// FinishLines records how many lines' runs ended, as FinishLine does, in one
// transaction that takes each execution's row lock once: the lines of an
// execution that end together share a commit. It returns each line's
// execution as it was right after that line. Any failure fails them all.
func (s *Store) FinishLines(ctx context.Context, os []LineOutcome, rules PauseRules) ([]Execution, error) {
	out := make([]Execution, len(os))
	tx, err := s.beginPipelined(ctx)
	if err != nil {
		return out, wrap(err, "finish %d lines", len(os))
	}
	defer tx.end(ctx)
	err = func() error {
		// One round trip for the journals, the lines and the locked
		// executions, in id order.
		batch := &pgx.Batch{}
		for _, o := range os {
			queueJournal(batch, o.StepWrite, false)
			batch.Queue(`
				UPDATE execution_lines SET state = $2, error_code = $3, error_message = $4, stopped_at = $5, observations = $6,
					artefacts = $7, finished_at = CASE WHEN $8 THEN clock_timestamp() END, updated_at = clock_timestamp(),
					writes = writes + $10
				WHERE id = $1 AND generation = $9
				RETURNING line_no, msisdn`,
				o.LineID, o.State, o.ErrorCode, o.ErrorMessage, o.StoppedAt, o.Observations, orEmptyObject(o.Artefacts),
				LineFinal(o.State), o.Generation, o.Writes)
		}
		ids := make([]int64, 0, 1)
		for _, o := range os {
			if !slices.Contains(ids, o.ExecutionID) {
				ids = append(ids, o.ExecutionID)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			batch.Queue(`SELECT `+executionColumns+`
				FROM executions e JOIN knowledge k ON k.id = e.flows_id WHERE e.id = $1 FOR NO KEY UPDATE OF e`, id)
		}
		br := tx.SendBatch(ctx, batch)
		type ended struct {
			no     int
			msisdn string
		}
		lines := make([]ended, len(os))
		for i, o := range os {
			n := len(o.Steps) + len(o.Audit)
			for range n {
				if _, err := br.Exec(); err != nil {
					_ = br.Close()
					return fmt.Errorf("journal of line %d: %w", o.LineID, err)
				}
			}
			if err := br.QueryRow().Scan(&lines[i].no, &lines[i].msisdn); err != nil {
				_ = br.Close()
				return fmt.Errorf("line %d: %w", o.LineID, err)
			}
		}
		execs := map[int64]*Execution{}
		for _, id := range ids {
			e, err := scanExecution(br.QueryRow())
			if err != nil {
				_ = br.Close()
				return fmt.Errorf("execution %d: %w", id, err)
			}
			execs[id] = &e
		}
		if err := br.Close(); err != nil {
			return err
		}

		// Each line moves its execution on, in turn.
		events := map[int64][]NewEvent{}
		writes := map[int64]int{}
		for i, o := range os {
			e := execs[o.ExecutionID]
			ev := append(slices.Clone(o.Events), lineEvent(o.LineID, lines[i].no, lines[i].msisdn, o.State, o.ErrorCode))
			before := e.State
			if LineFinal(o.State) {
				e.countFinal(o.State, 1)
				e.advance(rules)
			}
			if e.State != before || LineFinal(o.State) {
				ev = append(ev, executionEvent(*e))
			}
			events[e.ID] = append(events[e.ID], ev...)
			writes[e.ID] += o.Writes
			e.Writes += o.Writes
			e.LastEvent += int64(len(ev))
			out[i] = *e
		}
		// The new states and counters, then the events and writes, and the
		// commit, in one round trip.
		batch = &pgx.Batch{}
		for _, id := range ids {
			e := execs[id]
			batch.Queue(`
				UPDATE executions SET state = $2, paused_reason = $3, done = $4, succeeded = $5, failed = $6, needs_review = $7,
					cancelled = $8, canary_passed = $9, finished_at = $10, updated_at = clock_timestamp()
				WHERE id = $1`,
				e.ID, e.State, e.PausedReason, e.Done, e.Succeeded, e.Failed, e.NeedsReview, e.Cancelled, e.CanaryPassed, e.FinishedAt)
			sql, args, err := bumpExecution(id, events[id], writes[id], false)
			if err != nil {
				return err
			}
			batch.Queue(sql, args...)
		}
		queueCommit(batch)
		br = tx.SendBatch(ctx, batch)
		for _, id := range ids {
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return fmt.Errorf("execution %d: %w", id, err)
			}
			if err := br.QueryRow().Scan(new(int)); err != nil {
				_ = br.Close()
				return fmt.Errorf("events of execution %d: %w", id, err)
			}
		}
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return fmt.Errorf("commit: %w", err)
		}
		return br.Close()
	}()
	if len(os) == 1 {
		return out, wrap(err, "finish line %d", os[0].LineID)
	}
	return out, wrap(err, "finish %d lines", len(os))
}

// ReleaseLine hands a line back to the queue without an outcome (its
// execution paused, or waits for an approval), keeping its journal
// entries. The execution's state is checked under its row lock: when it was
// resumed, approved or cancelled meanwhile, the line's entries are saved but
// the line stays running with its job, and the error wraps
// ErrExecutionState; the caller runs it on (or ends it). Released after a
// resume, it would stay queued with no job to run it.
func (s *Store) ReleaseLine(ctx context.Context, w StepWrite) error {
	moved := ""
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := saveSteps(ctx, tx, w); err != nil {
			return err
		}
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM executions WHERE id = $1 FOR NO KEY UPDATE`, w.ExecutionID).Scan(&state); err != nil {
			return err
		}
		if state != ExecPaused && state != ExecAwaitingApproval {
			moved = state
			return nil
		}
		var no int
		var msisdn string
		if err := tx.QueryRow(ctx, `UPDATE execution_lines SET state = 'queued', job_id = NULL, updated_at = clock_timestamp()
			WHERE id = $1 AND state = 'running' RETURNING line_no, msisdn`, w.LineID).Scan(&no, &msisdn); err != nil {
			return err
		}
		return appendEvents(ctx, tx, w.ExecutionID, []NewEvent{lineEvent(w.LineID, no, msisdn, LineQueued, "")})
	})
	if err == nil && moved != "" {
		return fmt.Errorf("store: release line %d: the execution is %s again: %w", w.LineID, moved, ErrExecutionState)
	}
	return wrap(err, "release line %d", w.LineID)
}

func lockExecution(ctx context.Context, tx pgx.Tx, id int64) (Execution, error) {
	return scanExecution(tx.QueryRow(ctx, `SELECT `+executionColumns+`
		FROM executions e JOIN knowledge k ON k.id = e.flows_id WHERE e.id = $1 FOR NO KEY UPDATE OF e`, id))
}

func saveExecutionState(ctx context.Context, tx pgx.Tx, e *Execution) error {
	_, err := tx.Exec(ctx, `
		UPDATE executions SET state = $2, paused_reason = $3, done = $4, succeeded = $5, failed = $6, needs_review = $7,
			cancelled = $8, canary_passed = $9, finished_at = $10, updated_at = clock_timestamp()
		WHERE id = $1`,
		e.ID, e.State, e.PausedReason, e.Done, e.Succeeded, e.Failed, e.NeedsReview, e.Cancelled, e.CanaryPassed, e.FinishedAt)
	return err
}

func executionEvent(e Execution) NewEvent {
	return NewEvent{Kind: "execution", Data: map[string]any{"state": e.State, "paused_reason": e.PausedReason,
		"lines": e.Lines, "done": e.Done, "succeeded": e.Succeeded, "failed": e.Failed, "needs_review": e.NeedsReview,
		"cancelled": e.Cancelled}}
}

// countFinal adds n (or removes, when negative) lines in a final state.
func (e *Execution) countFinal(state string, n int) {
	e.Done += n
	switch state {
	case LineSucceeded:
		e.Succeeded += n
	case LineFailed:
		e.Failed += n
	case LineNeedsReview:
		e.NeedsReview += n
	case LineCancelled:
		e.Cancelled += n
	}
}

// advance applies the rules a finished line may trigger: the canary's
// pause, the failure ratio's pause, and the execution's end.
func (e *Execution) advance(rules PauseRules) {
	if e.Done >= e.Lines {
		e.finish()
		return
	}
	if e.State != ExecRunning {
		return
	}
	if e.Canary > 0 && !e.CanaryPassed && e.Done >= e.Canary {
		e.State, e.PausedReason = ExecPaused, fmt.Sprintf("canary: %d lines done; resume to run the rest", e.Done)
		return
	}
	bad := e.Failed + e.NeedsReview
	if e.MaxFailureRatio > 0 && e.Done >= max(rules.MinLinesForRatio, 1) && float64(bad)/float64(e.Done) > e.MaxFailureRatio {
		e.State, e.PausedReason = ExecPaused, fmt.Sprintf("failure ratio: %d of %d lines failed or need review, over %.0f%%",
			bad, e.Done, 100*e.MaxFailureRatio)
	}
}

// finish sets the final state of an execution whose lines are all done.
func (e *Execution) finish() {
	now := nowUTC()
	e.FinishedAt = &now
	switch {
	case e.State == ExecCancelled:
	case e.Mode == "plan":
		e.State = ExecPlanned
	case e.Succeeded == e.Lines:
		e.State = ExecSucceeded
	default:
		e.State = ExecPartiallyFailed
	}
	e.PausedReason = ""
}
