package console

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/pff/pff/jobs"
)

type jobsData struct {
	Filter jobs.Filter
	Jobs   []jobs.View
	Kinds  []string
	States []string
	Queues []string
	Next   string
}

func (c *Console) jobsPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	f := jobs.Filter{Kind: q.Get("kind"), State: q.Get("state"), Queue: q.Get("queue"), Limit: pageSize + 1}
	var err error
	if f.AfterID, err = int64Param(q, "after"); err != nil {
		return err
	}
	ctx := r.Context()
	d := jobsData{Filter: f, Queues: []string{"default", jobs.QueueFlows}}
	for _, s := range rivertype.JobStates() {
		d.States = append(d.States, string(s))
	}
	counts, err := c.cfg.Store.JobCounts(ctx)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, jc := range counts {
		if !seen[jc.Kind] {
			seen[jc.Kind] = true
			d.Kinds = append(d.Kinds, jc.Kind)
		}
	}
	sort.Strings(d.Kinds)
	list, err := c.cfg.Jobs.List(ctx, f)
	if err != nil {
		return err
	}
	d.Jobs = list
	if len(list) > pageSize {
		d.Jobs = list[:pageSize]
		next := url.Values{"after": {strconv.FormatInt(d.Jobs[pageSize-1].ID, 10)}}
		for k, v := range map[string]string{"kind": f.Kind, "state": f.State, "queue": f.Queue} {
			if v != "" {
				next.Set(k, v)
			}
		}
		d.Next = Prefix + "/jobs?" + next.Encode()
	}
	return c.page(w, r, p, http.StatusOK, "jobs", "Jobs", "jobs", d)
}

type jobData struct {
	Job jobs.View
	// Cancellable and Retryable say which controls the job's state allows.
	Cancellable, Retryable bool
}

func jobDataOf(j jobs.View) jobData {
	return jobData{Job: j, Cancellable: !j.Final(), Retryable: j.State != string(rivertype.JobStateRunning) && j.State != string(rivertype.JobStateAvailable)}
}

func (c *Console) jobPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := c.cfg.Jobs.Get(r.Context(), id)
	if err != nil {
		return err
	}
	return c.page(w, r, p, http.StatusOK, "job", fmt.Sprintf("Job %d: %s", j.ID, j.Kind), "jobs", jobDataOf(j))
}

// jobEvents re-renders a job's panel whenever it changes, until it ends.
func (c *Console) jobEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := c.cfg.Jobs.Get(r.Context(), id); err != nil {
		return err
	}
	var last []byte
	//nolint:contextcheck // the closure reads with r.Context()
	return c.stream(w, r, 500*time.Millisecond, func(send func(string, []byte) error) (bool, error) {
		j, err := c.cfg.Jobs.Get(r.Context(), id)
		if err != nil {
			return true, err
		}
		html, err := c.fragment("job", "job-panel", view{User: p, Data: jobDataOf(j)})
		if err != nil {
			return true, err
		}
		if !bytes.Equal(html, last) {
			last = html
			if err := send("job", html); err != nil {
				return true, err
			}
		}
		return j.Final(), nil
	})
}

func (c *Console) cancelJob(w http.ResponseWriter, r *http.Request, a *act) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := c.cfg.Jobs.Cancel(r.Context(), id, a.Role)
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"kind": j.Kind, "state": j.State}
	setFlash(w, flash{Message: fmt.Sprintf("Job %d (%s) cancelled; it is %s.", j.ID, j.Kind, j.State)})
	redirect(w, r, backTo(r, fmt.Sprintf("%s/jobs/%d", Prefix, id)))
	return nil
}

func (c *Console) retryJob(w http.ResponseWriter, r *http.Request, a *act) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := c.cfg.Jobs.Retry(r.Context(), id, a.Role)
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"kind": j.Kind, "state": j.State}
	setFlash(w, flash{Message: fmt.Sprintf("Job %d (%s) will run again; it is %s.", j.ID, j.Kind, j.State)})
	redirect(w, r, backTo(r, fmt.Sprintf("%s/jobs/%d", Prefix, id)))
	return nil
}
