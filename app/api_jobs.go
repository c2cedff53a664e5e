package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// jobView is a background job as the API shows it: what it was asked to do,
// how far it got, and how each failed attempt ended.
type jobView struct {
	ID          int64                    `json:"id"`
	Kind        string                   `json:"kind"`
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

func newJobView(j *rivertype.JobRow) jobView {
	output := json.RawMessage(j.Output())
	if output == nil {
		output = json.RawMessage("null")
	}
	errs := j.Errors
	if errs == nil {
		errs = []rivertype.AttemptError{}
	}
	return jobView{
		ID: j.ID, Kind: j.Kind, State: string(j.State), Args: j.EncodedArgs, Output: output,
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, Errors: errs,
		CreatedAt: j.CreatedAt, ScheduledAt: j.ScheduledAt, AttemptedAt: j.AttemptedAt, FinalizedAt: j.FinalizedAt,
	}
}

func (a *api) jobRoutes() []route {
	const tag = "jobs"
	return []route{
		{Method: http.MethodGet, Path: apiPrefix + "/jobs", Role: auth.RoleViewer, Tag: tag, Summary: "List background jobs, newest first",
			Query:    []param{{"kind", "only jobs of this kind"}, {"state", "only jobs in this state (available, running, completed, ...)"}, cursorParam, limitParam},
			Response: page[jobView]{}, Handler: a.listJobs},
		{Method: http.MethodGet, Path: apiPrefix + "/jobs/:id", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a background job: its state, output and errors", Response: jobView{}, Handler: a.getJob},
		{Method: http.MethodGet, Path: apiPrefix + "/jobs/:id/events", Role: auth.RoleViewer, Tag: tag, Group: groupRead,
			Summary: "Stream a job's progress as server-sent events (event: job, data: the job) until it ends",
			Timeout: jobEventsTimeout, Response: jobView{}, Handler: a.jobEvents},
		{Method: http.MethodPost, Path: apiPrefix + "/jobs/:id/cancel", Role: auth.RoleOperator, Tag: tag,
			Summary: "Cancel a queued or running job; a running job stops at its next check", Response: jobView{}, Handler: a.cancelJob},
	}
}

func (a *api) listJobs(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	params := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit + 1)
	if kind := c.QueryParam("kind"); kind != "" {
		params = params.Kinds(kind)
	}
	if state := c.QueryParam("state"); state != "" {
		if !slices.Contains(rivertype.JobStates(), rivertype.JobState(state)) {
			var problems fieldErrors
			problems.add("state", "must be one of %v", rivertype.JobStates())
			return problems.err()
		}
		params = params.States(rivertype.JobState(state))
	}
	if after != "" {
		// Jobs are listed by id alone, so a job with just its id is a cursor.
		id, err := strconv.ParseInt(after, 10, 64)
		if err != nil {
			return badRequest("invalid_cursor", "cursor is not one this API returned")
		}
		params = params.After(river.JobListCursorFromJob(&rivertype.JobRow{ID: id}))
	}
	res, err := a.jobs.River().JobList(c.Request().Context(), params)
	if err != nil {
		return fmt.Errorf("list jobs: %w", err)
	}
	views := make([]jobView, len(res.Jobs))
	for i, j := range res.Jobs {
		views[i] = newJobView(j)
	}
	return c.JSON(http.StatusOK, newPage(views, limit, func(j jobView) string { return strconv.FormatInt(j.ID, 10) }))
}

func (a *api) getJob(c echo.Context) error {
	job, err := a.job(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newJobView(job))
}

// job fetches the job named by :id.
func (a *api) job(c echo.Context) (*rivertype.JobRow, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("job %q: %w", c.Param("id"), store.ErrNotFound)
	}
	job, err := a.jobs.River().JobGet(c.Request().Context(), id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("job %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	return job, nil
}

func (a *api) cancelJob(c echo.Context) error {
	job, err := a.job(c)
	if err != nil {
		return err
	}
	job, err = a.jobs.River().JobCancel(c.Request().Context(), job.ID)
	if err != nil {
		return fmt.Errorf("cancel job: %w", err)
	}
	return c.JSON(http.StatusOK, newJobView(job))
}

// Server-sent events of a job: how often it is read, how often an idle
// stream sends a comment so proxies keep it open, and how long it may last.
const (
	jobEventsPoll      = 500 * time.Millisecond
	jobEventsKeepAlive = 15 * time.Second
	jobEventsTimeout   = 6 * time.Hour
)

// jobEvents streams the job as an "event: job" whenever its state, attempt
// or output changes, and ends with the job in a final state.
func (a *api) jobEvents(c echo.Context) error {
	job, err := a.job(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no") // nginx would hold the events back
	w.WriteHeader(http.StatusOK)
	var last []byte
	lastWrite := time.Now()
	ticker := time.NewTicker(jobEventsPoll)
	defer ticker.Stop()
	for {
		data, err := json.Marshal(newJobView(job))
		if err != nil {
			return fmt.Errorf("job %d: %w", job.ID, err)
		}
		if !slices.Equal(data, last) {
			if _, err := fmt.Fprintf(w, "event: job\nid: %d\ndata: %s\n\n", job.ID, data); err != nil {
				return nil // the client left
			}
			w.Flush()
			last, lastWrite = data, time.Now()
		} else if time.Since(lastWrite) >= jobEventsKeepAlive {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
			lastWrite = time.Now()
		}
		if job.FinalizedAt != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		if job, err = a.jobs.River().JobGet(ctx, job.ID); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Headers are sent; the error can only end the stream.
			fmt.Fprintf(w, "event: error\ndata: {\"message\":\"the job could not be read\"}\n\n")
			return nil
		}
	}
}
