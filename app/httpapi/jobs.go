package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/jobs"
)

func (a *api) jobRoutes() []route {
	const tag = "jobs"
	return []route{
		{Method: http.MethodGet, Path: Prefix + "/jobs", Role: auth.RoleViewer, Tag: tag, Summary: "List background jobs, newest first",
			Query:    []param{{"kind", "only jobs of this kind"}, {"state", "only jobs in this state (available, running, completed, ...)"}, {"queue", "only jobs of this queue (default, flows)"}, cursorParam, limitParam},
			Response: page[jobs.View]{Items: []jobs.View{jobExample}}, Handler: a.listJobs},
		{Method: http.MethodGet, Path: Prefix + "/jobs/:id", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a background job: its state, output and errors", Response: jobExample, Handler: a.getJob},
		{Method: http.MethodGet, Path: Prefix + "/jobs/:id/events", Role: auth.RoleViewer, Tag: tag, Group: groupRead,
			Summary: "Stream a job's progress as server-sent events (event: job, data: the job) until it ends",
			Timeout: jobEventsTimeout, ResponseType: "text/event-stream", Response: jobExample, Handler: a.jobEvents},
		{Method: http.MethodPost, Path: Prefix + "/jobs/:id/cancel", Role: auth.RoleOperator, Tag: tag,
			Summary:  "Cancel a queued or running job; a running job stops at its next check. It needs the role that starting a job of its kind needs (admin for trainings and rule mining)",
			Response: jobExample, Handler: a.cancelJob},
		{Method: http.MethodPost, Path: Prefix + "/jobs/:id/retry", Role: auth.RoleOperator, Tag: tag,
			Summary: "Run a job that ended, or waits for its next attempt, again at once (409 while it runs); it needs the role that starting a job of its kind needs", Response: jobExample, Handler: a.retryJob},
	}
}

func (a *api) listJobs(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := jobs.Filter{Kind: c.QueryParam("kind"), State: c.QueryParam("state"), Queue: c.QueryParam("queue"), Limit: limit + 1}
	if f.AfterID, err = cursorID(after); err != nil {
		return err
	}
	views, err := a.jobs.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(views, limit, func(j jobs.View) string { return strconv.FormatInt(j.ID, 10) }))
}

func (a *api) getJob(c echo.Context) error {
	id, err := idParam(c, "job")
	if err != nil {
		return err
	}
	job, err := a.jobs.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (a *api) cancelJob(c echo.Context) error {
	id, err := idParam(c, "job")
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	job, err := a.jobs.Cancel(c.Request().Context(), id, p.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (a *api) retryJob(c echo.Context) error {
	id, err := idParam(c, "job")
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	job, err := a.jobs.Retry(c.Request().Context(), id, p.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
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
	id, err := idParam(c, "job")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	job, err := a.jobs.Get(ctx, id)
	if err != nil {
		return err
	}
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
		data, err := json.Marshal(job)
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
		if job.Final() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		if job, err = a.jobs.Get(ctx, job.ID); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Headers are sent; the error can only end the stream.
			fmt.Fprintf(w, "event: error\ndata: {\"message\":\"the job could not be read\"}\n\n")
			return nil
		}
	}
}
