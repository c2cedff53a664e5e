package console

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

func (c *Console) executions() (*executions.Service, error) {
	if c.cfg.Executions == nil {
		return nil, problem.Unavailablef(0, "fix flows are off: configure the BSS systems (bss.systems.<name>.clusters) and restart")
	}
	return c.cfg.Executions, nil
}

type flowsData struct {
	Enabled    bool
	File       *store.Knowledge
	Flows      []string
	Problems   []knowledge.Problem
	Errors     int
	Executions []store.Execution
	State      string
	States     []string
	Next       string
}

var executionStates = []string{store.ExecAwaitingApproval, store.ExecRunning, store.ExecPaused, store.ExecPlanned,
	store.ExecSucceeded, store.ExecPartiallyFailed, store.ExecCancelled}

func (c *Console) flowsPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	ctx := r.Context()
	d := flowsData{Enabled: c.cfg.Executions != nil, State: r.URL.Query().Get("state"), States: executionStates}
	list, err := c.cfg.Library.List(ctx, knowledge.KindFlows, knowledge.Filter{Limit: 100})
	if err != nil {
		return err
	}
	for i := range list {
		if list[i].Active {
			k, err := c.cfg.Library.Get(ctx, knowledge.KindFlows, list[i].ID)
			if err != nil {
				return err
			}
			d.File = &k
			if f, _ := flows.Parse(k.Name+"."+k.Format, []byte(k.Content)); f != nil {
				for _, fl := range f.Flows {
					d.Flows = append(d.Flows, fl.Name)
				}
			}
			d.Problems = c.lint(knowledge.KindFlows, k)
			for _, pr := range d.Problems {
				if pr.Severity == "error" {
					d.Errors++
				}
			}
			break
		}
	}
	if svc := c.cfg.Executions; svc != nil {
		before, err := int64Param(r.URL.Query(), "before")
		if err != nil {
			return err
		}
		list, err := svc.List(ctx, store.ExecutionFilter{State: d.State, Before: before, Limit: pageSize + 1})
		if err != nil {
			return err
		}
		d.Executions = list
		if len(list) > pageSize {
			d.Executions = list[:pageSize]
			next := url.Values{"before": {strconv.FormatInt(d.Executions[pageSize-1].ID, 10)}}
			if d.State != "" {
				next.Set("state", d.State)
			}
			d.Next = Prefix + "/flows?" + next.Encode()
		}
	}
	return c.page(w, r, p, http.StatusOK, "flows", "Fix flows", "flows", d)
}

type executionData struct {
	Execution store.Execution
	Lines     []store.Line
	LineState string
	States    []string
	Next      string
	// Controls are the actions the execution's state allows.
	Controls []control
	Live     bool
	Progress float64
}

type control struct {
	Action, Label, Confirm string
	Danger                 bool
}

var lineStates = []string{store.LineQueued, store.LineRunning, store.LineWaitingApproval, store.LineSucceeded,
	store.LineFailed, store.LineNeedsReview, store.LineCancelled}

// controls are what may be done to an execution in its state, as the
// service allows them.
func controls(e store.Execution) []control {
	var out []control
	switch e.State {
	case store.ExecAwaitingApproval:
		out = append(out, control{Action: "approve", Label: "Approve", Confirm: "Approve this execution? Its lines will run."})
	case store.ExecRunning:
		out = append(out, control{Action: "pause", Label: "Pause"})
	case store.ExecPaused:
		out = append(out, control{Action: "resume", Label: "Resume"})
	case store.ExecPlanned:
		out = append(out, control{Action: "apply", Label: "Apply the plan", Confirm: "Run this plan for real? Writes will be sent to BSS."})
	}
	if !e.Final() && e.State != store.ExecPlanned {
		out = append(out, control{Action: "cancel", Label: "Cancel", Danger: true, Confirm: "Cancel this execution? No write is sent after it."})
	}
	if e.Failed > 0 || e.NeedsReview > 0 {
		out = append(out, control{Action: "retry", Label: "Retry failed lines"})
	}
	return out
}

func (c *Console) executionData(r *http.Request) (executionData, error) {
	svc, err := c.executions()
	if err != nil {
		return executionData{}, err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return executionData{}, err
	}
	ctx := r.Context()
	e, err := svc.Get(ctx, id)
	if err != nil {
		return executionData{}, err
	}
	q := r.URL.Query()
	d := executionData{Execution: e, LineState: q.Get("state"), States: lineStates, Controls: controls(e),
		Live: !e.Final() && e.State != store.ExecPlanned}
	if e.Lines > 0 {
		d.Progress = float64(e.Done) / float64(e.Lines)
	}
	after, err := int64Param(q, "after")
	if err != nil {
		return executionData{}, err
	}
	lines, err := svc.Lines(ctx, id, store.LineFilter{State: d.LineState, MSISDN: strings.TrimSpace(q.Get("msisdn")), AfterNo: int(after), Limit: pageSize + 1})
	if err != nil {
		return executionData{}, err
	}
	d.Lines = lines
	if len(lines) > pageSize {
		d.Lines = lines[:pageSize]
		next := url.Values{"after": {strconv.Itoa(d.Lines[pageSize-1].LineNo)}}
		if d.LineState != "" {
			next.Set("state", d.LineState)
		}
		d.Next = fmt.Sprintf("%s/flows/executions/%d?%s", Prefix, id, next.Encode())
	}
	return d, nil
}

func (c *Console) executionPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	d, err := c.executionData(r)
	if err != nil {
		return err
	}
	e := d.Execution
	title := fmt.Sprintf("Execution %d", e.ID)
	if e.Name != "" {
		title += ": " + e.Name
	}
	return c.page(w, r, p, http.StatusOK, "execution", title, "flows", d)
}

// executionEvents re-renders the execution's summary and lines whenever its
// event stream moves, as server-sent events htmx swaps into the page; the
// stream ends when the execution settles.
func (c *Console) executionEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := c.executions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := svc.Get(r.Context(), id); err != nil {
		return err
	}
	lastEvent := int64(-1)
	return c.stream(w, r, 500*time.Millisecond, func(send func(string, []byte) error) (bool, error) {
		d, err := c.executionData(r)
		if err != nil {
			return true, err
		}
		e := d.Execution
		if e.LastEvent == lastEvent {
			return false, nil
		}
		lastEvent = e.LastEvent
		v := view{User: p, Data: d}
		for _, part := range []string{"summary", "lines"} {
			html, err := c.fragment("execution", "exec-"+part, v)
			if err != nil {
				return true, err
			}
			if err := send(part, html); err != nil {
				return true, err
			}
		}
		return !d.Live, nil
	})
}

func (c *Console) exportExecution(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := c.executions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = executions.FormatCSV
	}
	types := map[string]string{executions.FormatCSV: "text/csv; charset=utf-8", executions.FormatJSONL: "application/x-ndjson",
		executions.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	ct, ok := types[format]
	if !ok {
		return problem.FieldError("format", "must be csv, xlsx or jsonl")
	}
	var buf bytes.Buffer
	if err := svc.Export(r.Context(), id, format, &buf); err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="execution-%d.%s"`, id, format))
	c.write(w, r, http.StatusOK, ct, buf.Bytes())
	return nil
}

type lineData struct {
	Execution store.Execution
	Line      executions.LineDetail
	// Approvable are the steps waiting for a person.
	Approvable []string
}

func (c *Console) linePage(w http.ResponseWriter, r *http.Request, p *principal) error {
	svc, err := c.executions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	lineID, err := pathID(r, "line")
	if err != nil {
		return err
	}
	ctx := r.Context()
	e, err := svc.Get(ctx, id)
	if err != nil {
		return err
	}
	line, err := svc.Line(ctx, id, lineID)
	if err != nil {
		return err
	}
	d := lineData{Execution: e, Line: line}
	for _, s := range line.Steps {
		if s.State == store.StepAwaitingApproval {
			d.Approvable = append(d.Approvable, s.Key)
		}
	}
	return c.page(w, r, p, http.StatusOK, "line", fmt.Sprintf("Line %d of execution %d: %s", line.LineNo, e.ID, line.MSISDN), "flows", d)
}

// startExecution starts a run or a plan of the active flow file on the
// lines of the form: MSISDNs typed one a line, or an uploaded CSV, XLSX or
// text file.
func (c *Console) startExecution(w http.ResponseWriter, r *http.Request, a *act) error {
	svc, err := c.executions()
	if err != nil {
		return err
	}
	req := executions.StartRequest{Flow: r.PostFormValue("flow"), Mode: r.PostFormValue("mode"), Name: strings.TrimSpace(r.PostFormValue("name"))}
	if raw := r.PostFormValue("canary"); raw != "" {
		if req.Canary, err = strconv.Atoi(raw); err != nil || req.Canary < 0 {
			return fieldError("canary", "must be a whole number of lines")
		}
	}
	var lines []executions.LineInput
	if file, header, ferr := r.FormFile("file"); ferr == nil {
		lines, err = executions.ParseLines(header.Filename, io.LimitReader(file, maxUpload))
		_ = file.Close()
	} else if text := strings.TrimSpace(r.PostFormValue("msisdns")); text != "" {
		lines, err = executions.ParseLines("lines.txt", strings.NewReader(text))
	} else {
		return fieldError("msisdns", "give the lines: MSISDNs one a line, or a CSV, XLSX or text file")
	}
	if err != nil {
		return err
	}
	req.Lines = lines
	e, err := svc.Start(r.Context(), req, a.Actor())
	if err != nil {
		return err
	}
	a.Target = strconv.FormatInt(e.ID, 10)
	a.Detail = map[string]any{"execution_id": e.ID, "flows_id": e.FlowsID, "mode": e.Mode, "lines": e.Lines, "state": e.State}
	msg := fmt.Sprintf("Execution %d started: %d lines, %s.", e.ID, e.Lines, e.Mode)
	if e.State == store.ExecAwaitingApproval {
		msg = fmt.Sprintf("Execution %d waits for a second person's approval: %s.", e.ID, e.Approval)
	}
	setFlash(w, flash{Message: msg})
	redirect(w, r, fmt.Sprintf("%s/flows/executions/%d", Prefix, e.ID))
	return nil
}

func (c *Console) controlExecution(w http.ResponseWriter, r *http.Request, a *act) error {
	svc, err := c.executions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	action := r.PathValue("control")
	var (
		e       store.Execution
		retried int
	)
	switch action {
	case "approve":
		e, err = svc.Approve(ctx, id, a.Actor())
	case "cancel":
		e, err = svc.Cancel(ctx, id)
	case "pause":
		e, err = svc.Pause(ctx, id)
	case "resume":
		e, err = svc.Resume(ctx, id)
	case "apply":
		e, err = svc.Apply(ctx, id)
	case "retry":
		e, retried, err = svc.Retry(ctx, id, nil)
	case "approve-flows":
		if err = c.approveFlows(ctx, svc, id, a); err == nil {
			e, err = svc.Get(ctx, id)
		}
	default:
		return notFound("there is no control %q of executions", action)
	}
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"control": action, "state": e.State}
	msg := fmt.Sprintf("Execution %d: %s done; it is %s.", e.ID, action, strings.ReplaceAll(e.State, "_", " "))
	if action == "retry" {
		msg = fmt.Sprintf("Execution %d: %d line(s) queued again.", e.ID, retried)
	}
	setFlash(w, flash{Message: msg})
	redirect(w, r, fmt.Sprintf("%s/flows/executions/%d", Prefix, id))
	return nil
}

func (c *Console) approveStep(w http.ResponseWriter, r *http.Request, a *act) error {
	svc, err := c.executions()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	lineID, err := pathID(r, "line")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := svc.Line(ctx, id, lineID); err != nil {
		return err
	}
	key := r.PostFormValue("key")
	line, err := svc.ApproveStep(ctx, lineID, key, a.Actor())
	if err != nil {
		return err
	}
	a.Target = strconv.FormatInt(lineID, 10)
	a.Detail = map[string]any{"execution_id": id, "key": key, "state": line.State}
	setFlash(w, flash{Message: fmt.Sprintf("Step %s of line %s approved.", key, line.MSISDN)})
	redirect(w, r, fmt.Sprintf("%s/flows/executions/%d/lines/%d", Prefix, id, lineID))
	return nil
}
