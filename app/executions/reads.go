package executions

import (
	"context"
	"errors"
	"slices"

	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// executionStates and lineStates are what the filters accept.
var (
	executionStates = []string{store.ExecPlanned, store.ExecAwaitingApproval, store.ExecRunning, store.ExecPaused,
		store.ExecSucceeded, store.ExecPartiallyFailed, store.ExecCancelled}
	lineStates = []string{store.LineQueued, store.LineRunning, store.LineWaitingApproval, store.LineSucceeded,
		store.LineFailed, store.LineNeedsReview, store.LineCancelled}
)

// List lists executions newest first.
func (s *Service) List(ctx context.Context, f store.ExecutionFilter) ([]store.Execution, error) {
	if f.State != "" && !slices.Contains(executionStates, f.State) {
		return nil, problem.FieldError("state", "must be one of %v", executionStates)
	}
	return s.cfg.Store.ListExecutions(ctx, f)
}

// Get returns an execution with its counters.
func (s *Service) Get(ctx context.Context, id int64) (store.Execution, error) {
	e, err := s.cfg.Store.ExecutionByID(ctx, id)
	return e, controlProblem(id, err)
}

// Lines lists an execution's lines in input order.
func (s *Service) Lines(ctx context.Context, id int64, f store.LineFilter) ([]store.Line, error) {
	if f.State != "" && !slices.Contains(lineStates, f.State) {
		return nil, problem.FieldError("state", "must be one of %v", lineStates)
	}
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	return s.cfg.Store.ExecutionLines(ctx, id, f)
}

// LineDetail is a line with its journal.
type LineDetail struct {
	store.Line
	Steps []store.Step `json:"steps"`
}

// Line returns a line of an execution with its journal, step by step.
func (s *Service) Line(ctx context.Context, executionID, lineID int64) (LineDetail, error) {
	l, err := s.cfg.Store.LineByID(ctx, lineID)
	if errors.Is(err, store.ErrNotFound) || err == nil && l.ExecutionID != executionID {
		return LineDetail{}, problem.NotFoundf("no line %d in execution %d", lineID, executionID)
	}
	if err != nil {
		return LineDetail{}, err
	}
	steps, err := s.cfg.Store.LineSteps(ctx, lineID)
	if steps == nil {
		steps = []store.Step{}
	}
	return LineDetail{Line: l, Steps: steps}, err
}

// Events returns an execution's events after seq, oldest first.
func (s *Service) Events(ctx context.Context, id, after int64, limit int) ([]store.Event, error) {
	return s.cfg.Store.Events(ctx, id, after, limit)
}
