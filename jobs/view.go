package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/problem"
)

// View is a background job as people see it: what it was asked to do, how
// far it got, and how each failed attempt ended.
type View struct {
	ID          int64                    `json:"id"`
	Kind        string                   `json:"kind"`
	Queue       string                   `json:"queue"`
	State       string                   `json:"state"`
	Args        json.RawMessage          `json:"args"`
	Output      json.RawMessage          `json:"output"`
	Attempt     int                      `json:"attempt"`
	MaxAttempts int                      `json:"max_attempts"`
	Errors      []rivertype.AttemptError `json:"errors"`
	CreatedAt   time.Time                `json:"created_at"`
	ScheduledAt time.Time                `json:"scheduled_at"`
	AttemptedAt *time.Time               `json:"attempted_at"`
	FinalizedAt *time.Time               `json:"finalized_at"`
}

func newView(j *rivertype.JobRow) View {
	output := json.RawMessage(j.Output())
	if output == nil {
		output = json.RawMessage("null")
	}
	errs := j.Errors
	if errs == nil {
		errs = []rivertype.AttemptError{}
	}
	return View{
		ID: j.ID, Kind: j.Kind, Queue: j.Queue, State: string(j.State), Args: j.EncodedArgs, Output: output,
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, Errors: errs,
		CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
	}
}

// Final reports whether the job has ended and will not run again.
func (v View) Final() bool { return v.FinalizedAt != nil }

// Filter selects jobs to list.
type Filter struct {
	Kind  string
	Queue string
	// State is one of River's job states (available, running, completed, ...).
	State string
	// AfterID is the id the previous page ended with; newest come first.
	AfterID int64
	Limit   int
}

// List lists jobs newest first.
func (c *Client) List(ctx context.Context, f Filter) ([]View, error) {
	params := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(f.Limit)
	if f.Kind != "" {
		params = params.Kinds(f.Kind)
	}
	if f.Queue != "" {
		params = params.Queues(f.Queue)
	}
	if f.State != "" {
		if !slices.Contains(rivertype.JobStates(), rivertype.JobState(f.State)) {
			return nil, problem.FieldError("state", "must be one of %v", rivertype.JobStates())
		}
		params = params.States(rivertype.JobState(f.State))
	}
	if f.AfterID != 0 {
		// Jobs are listed by id alone, so a job with just its id is a cursor.
		params = params.After(river.JobListCursorFromJob(&rivertype.JobRow{ID: f.AfterID}))
	}
	res, err := c.river.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	views := make([]View, len(res.Jobs))
	for i, j := range res.Jobs {
		views[i] = newView(j)
	}
	return views, nil
}

// Get returns a job.
func (c *Client) Get(ctx context.Context, id int64) (View, error) {
	job, err := c.river.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return View{}, problem.NotFoundf("no job %d", id)
	}
	if err != nil {
		return View{}, fmt.Errorf("jobs: get %d: %w", id, err)
	}
	return newView(job), nil
}

// Cancel cancels a queued or running job on behalf of a caller with the
// role, which must be the role that starting a job of its kind needs
// (RoleToStart); a running job stops at its next check of its context.
func (c *Client) Cancel(ctx context.Context, id int64, by auth.Role) (View, error) {
	if _, err := c.authorize(ctx, id, by); err != nil {
		return View{}, err
	}
	job, err := c.river.JobCancel(ctx, id)
	if err != nil {
		return View{}, fmt.Errorf("jobs: cancel %d: %w", id, err)
	}
	return newView(job), nil
}

// Retry makes a job that ended (failed, cancelled, discarded or completed)
// or waits for its next attempt available to run again at once, on behalf
// of a caller with the role, which must be the role that starting a job of
// its kind needs (RoleToStart); a running job is left alone.
func (c *Client) Retry(ctx context.Context, id int64, by auth.Role) (View, error) {
	current, err := c.authorize(ctx, id, by)
	if err != nil {
		return View{}, err
	}
	if current.State == string(rivertype.JobStateRunning) {
		return View{}, problem.Conflictf("job_running", "job %d is running; cancel it first or wait for it to end", id)
	}
	job, err := c.river.JobRetry(ctx, id)
	if err != nil {
		return View{}, fmt.Errorf("jobs: retry %d: %w", id, err)
	}
	return newView(job), nil
}
