package executions

import (
	"context"
	"errors"

	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// controlProblem says why a control does not fit the execution's state.
func controlProblem(id int64, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problem.NotFoundf("no execution %d", id)
	case errors.Is(err, store.ErrExecutionState):
		return problem.Conflictf("execution_state", "%s", trimStore(err))
	}
	return err
}

func trimStore(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"store: "} {
		if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
			msg = msg[len(prefix):]
		}
	}
	return msg
}

// Cancel stops an execution: lines not yet running at once, running lines
// at their next step boundary; no write is sent after it.
func (s *Service) Cancel(ctx context.Context, id int64) (store.Execution, error) {
	e, err := s.cfg.Store.CancelExecution(ctx, id)
	s.cfg.Engine.states.forget(id)
	return e, controlProblem(id, err)
}

// Pause stops starting steps; running lines go back to the queue at their
// next step boundary.
func (s *Service) Pause(ctx context.Context, id int64) (store.Execution, error) {
	e, err := s.cfg.Store.PauseExecution(ctx, id, "paused by a person")
	s.cfg.Engine.states.forget(id)
	return e, controlProblem(id, err)
}

// Resume runs a paused execution on, past its canary.
func (s *Service) Resume(ctx context.Context, id int64) (store.Execution, error) {
	e, err := s.cfg.Store.ResumeExecution(ctx, id, s.cfg.Queue.EnqueueLines)
	s.cfg.Engine.states.forget(id)
	return e, controlProblem(id, err)
}

// Approve lets an execution that waits for a second person run; the person
// who started it cannot approve it.
func (s *Service) Approve(ctx context.Context, id int64, by string) (store.Execution, error) {
	e, err := s.cfg.Store.ExecutionByID(ctx, id)
	if err != nil {
		return e, controlProblem(id, err)
	}
	if e.CreatedBy == by {
		return e, problem.Forbiddenf("the person who started an execution cannot approve it: ask another operator or admin")
	}
	e, err = s.cfg.Store.ApproveExecution(ctx, id, by, s.cfg.Queue.EnqueueLines)
	return e, controlProblem(id, err)
}

// Apply runs a finished plan's lines for real. Each write is resolved again
// before it is sent; a line whose writes differ from the plan stops in
// needs_review. An execution whose flows can destroy, or of many lines,
// waits for a second person's approval first.
func (s *Service) Apply(ctx context.Context, id int64) (store.Execution, error) {
	e, err := s.cfg.Store.ExecutionByID(ctx, id)
	if err != nil {
		return e, controlProblem(id, err)
	}
	file, err := s.cfg.Engine.files.get(ctx, e.FlowsID)
	if err != nil {
		return e, err
	}
	if legacy(file) {
		approved, err := s.cfg.Store.FlowsApproved(ctx, e.FlowsID)
		if err != nil {
			return e, err
		}
		if !approved {
			return e, problem.Conflictf("plan_only", "this flow file came from the legacy engine: an admin must approve it (having reviewed this plan) before it applies")
		}
	}
	used, err := s.flowsOf(ctx, id)
	if err != nil {
		return e, err
	}
	e, err = s.cfg.Store.ApplyPlan(ctx, id, s.approvalNeeded(file, used, e.Lines) != "", s.cfg.Queue.EnqueueLines)
	s.cfg.Engine.states.forget(id)
	return e, controlProblem(id, err)
}

// flowsOf are the flows an execution's lines run.
func (s *Service) flowsOf(ctx context.Context, id int64) (map[string]bool, error) {
	used := map[string]bool{}
	for after := 0; ; {
		lines, err := s.cfg.Store.ExecutionLines(ctx, id, store.LineFilter{AfterNo: after, Limit: 5000})
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			used[l.Flow] = true
		}
		if len(lines) < 5000 {
			return used, nil
		}
		after = lines[len(lines)-1].LineNo
	}
}

// Retry queues again the lines that failed or need review (all, or those
// listed) from the step that stopped them; their journals keep every write
// that was applied, which is never sent again.
func (s *Service) Retry(ctx context.Context, id int64, lineIDs []int64) (store.Execution, int, error) {
	e, n, err := s.cfg.Store.RetryLines(ctx, id, lineIDs, s.cfg.Queue.EnqueueLines)
	s.cfg.Engine.states.forget(id)
	return e, n, controlProblem(id, err)
}

// ApproveStep approves a line's approve step, and the line goes on; the
// person who started the execution cannot approve its steps.
func (s *Service) ApproveStep(ctx context.Context, lineID int64, key, by string) (store.Line, error) {
	l, err := s.cfg.Store.LineByID(ctx, lineID)
	if errors.Is(err, store.ErrNotFound) {
		return l, problem.NotFoundf("no line %d", lineID)
	}
	if err != nil {
		return l, err
	}
	e, err := s.cfg.Store.ExecutionByID(ctx, l.ExecutionID)
	if err != nil {
		return l, err
	}
	if e.CreatedBy == by {
		return l, problem.Forbiddenf("the person who started an execution cannot approve its steps")
	}
	l, err = s.cfg.Store.ApproveStep(ctx, lineID, key, by, s.cfg.Queue.EnqueueLines)
	if errors.Is(err, store.ErrNotFound) {
		return l, problem.Conflictf("nothing_to_approve", "line %d has no step %q waiting for approval", lineID, key)
	}
	return l, err
}
