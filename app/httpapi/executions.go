package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// maxExecutionBody bounds a start request: 100,000 lines of a few columns.
const maxExecutionBody = 64 << 20

type retryRequest struct {
	// LineIDs are the lines to retry; none means every failed or
	// needs_review line.
	LineIDs []int64 `json:"line_ids,omitempty"`
}

type retried struct {
	Execution store.Execution `json:"execution"`
	Retried   int             `json:"retried"`
}

type approveStepRequest struct {
	// Key is the journal key of the approve step.
	Key string `json:"key"`
}

type approveFlowsRequest struct {
	// PlanExecutionID is the finished plan of the flow file that was reviewed.
	PlanExecutionID int64 `json:"plan_execution_id"`
}

func (a *api) executionRoutes() []route {
	const tag = "executions"
	execPath := Prefix + "/executions/:id"
	control := func(action, summary string, handler echo.HandlerFunc) route {
		return route{Method: http.MethodPost, Path: execPath + "/" + action, Role: auth.RoleOperator, Tag: tag,
			Summary: summary, Response: executionExample, Handler: handler}
	}
	return []route{
		{Method: http.MethodPost, Path: Prefix + "/executions", Role: auth.RoleOperator, Tag: tag, MaxBody: maxExecutionBody,
			Summary: "Start an execution of a fix flow: JSON {flow, lines, mode}; a legacy manifest (application/yaml); or a file of " +
				"lines (text/csv, an XLSX workbook, or multipart/form-data with a file field) with ?flow= and ?mode=",
			Query:   []param{{"flow", "the flow each line runs (uploads)"}, {"mode", "run or plan (uploads and manifests)"}, {"name", "a label"}},
			Request: startExample, Response: executionExample, Status: http.StatusCreated, Handler: a.startExecution},
		{Method: http.MethodGet, Path: Prefix + "/executions", Role: auth.RoleViewer, Tag: tag, Summary: "List executions, newest first",
			Query:    []param{{"state", "only executions in this state"}, cursorParam, limitParam},
			Response: page[store.Execution]{Items: []store.Execution{executionExample}}, Handler: a.listExecutions},
		{Method: http.MethodGet, Path: execPath, Role: auth.RoleViewer, Tag: tag,
			Summary: "Get an execution and its counters", Response: executionExample, Handler: a.getExecution},
		{Method: http.MethodGet, Path: execPath + "/lines", Role: auth.RoleViewer, Tag: tag, Summary: "List an execution's lines in input order",
			Query:    []param{{"state", "only lines in this state"}, {"msisdn", "only this line"}, cursorParam, limitParam},
			Response: page[store.Line]{Items: []store.Line{lineExample}}, Handler: a.executionLines},
		{Method: http.MethodGet, Path: execPath + "/lines/:line", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a line with its journal, step by step", Response: lineDetailExample, Handler: a.executionLine},
		{Method: http.MethodGet, Path: execPath + "/events", Role: auth.RoleViewer, Tag: tag, Group: groupRead, Timeout: jobEventsTimeout,
			Summary:      "Stream execution, line and step events (server-sent events; resume with Last-Event-ID), until the execution settles",
			ResponseType: "text/event-stream", Response: eventExample, Handler: a.executionEvents},
		{Method: http.MethodGet, Path: execPath + "/export", Role: auth.RoleViewer, Tag: tag, ResponseType: "text/csv",
			Summary:  "Export the lines: MSISDN, Solicitação, Resultado, Observações, then state, writes, error and duration",
			Query:    []param{{"format", "csv (default), xlsx or jsonl"}},
			Response: "MSISDN,Solicitação,Resultado,Observações,state,writes,error,duration_s\n", Handler: a.exportExecution},
		control("apply", "Run a finished plan for real; lines whose writes differ from the plan stop in needs_review", a.applyExecution),
		control("approve", "Approve an execution that waits for a second person (not the one who started it)", a.approveExecution),
		control("cancel", "Cancel: lines not yet running at once, running lines at their next step; no write is sent after it", a.cancelExecution),
		control("pause", "Pause: running lines stop at their next step and wait", a.pauseExecution),
		control("resume", "Resume a paused execution (past its canary)", a.resumeExecution),
		{Method: http.MethodPost, Path: execPath + "/retry", Role: auth.RoleOperator, Tag: tag, MaxBody: 1 << 20,
			Summary: "Retry failed and needs_review lines from the step that stopped them; an applied write is never sent again",
			Request: retryRequest{LineIDs: []int64{7}}, Response: retried{Execution: executionExample, Retried: 1}, Handler: a.retryExecution},
		{Method: http.MethodPost, Path: execPath + "/lines/:line/approve", Role: auth.RoleOperator, Tag: tag, MaxBody: 4 << 10,
			Summary: "Approve a line's approve step (not by the one who started the execution)",
			Request: approveStepRequest{Key: "Hard_Cancel[1]"}, Response: lineExample, Handler: a.approveStep},
		{Method: http.MethodPost, Path: Prefix + "/flows/lint", Role: auth.RoleOperator, Tag: "knowledge", MaxBody: maxKnowledgeBody,
			Summary:  "Lint a flow file without storing it: every problem with its line and column",
			Request:  knowledge.CreateRequest{Name: "ops", Content: "Enquiry:\n  - method: line.get_customer_enquiry\n    args: {msisdn: \"{{msisdn}}\"}\n"},
			Response: lintExample, Handler: a.lintFlows},
		{Method: http.MethodPost, Path: Prefix + "/flows/:id/approve", Role: auth.RoleAdmin, Tag: "knowledge", MaxBody: 4 << 10,
			Summary: "Let a flow file from the legacy engine run for real, after reviewing a finished plan of it",
			Request: approveFlowsRequest{PlanExecutionID: 12}, Status: http.StatusNoContent, Handler: a.approveFlows},
	}
}

// executionsService is the service of fix flows, or why there is none.
func (a *api) executionsService() (*executions.Service, error) {
	if a.executions == nil {
		return nil, problem.Unavailablef(0, "fix flows are off: configure the BSS systems (bss.systems.<name>.clusters) and restart")
	}
	return a.executions, nil
}

func (a *api) startExecution(c echo.Context) error {
	svc, err := a.executionsService()
	if err != nil {
		return err
	}
	req, err := startRequest(c)
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	e, err := svc.Start(c.Request().Context(), req, p.Actor())
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"execution_id": e.ID, "flows_id": e.FlowsID, "mode": e.Mode, "lines": e.Lines, "state": e.State})
	return c.JSON(http.StatusCreated, e)
}

// startRequest reads a start request in any of the forms the route takes.
func startRequest(c echo.Context) (executions.StartRequest, error) {
	r := c.Request()
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	fromQuery := func(req executions.StartRequest) executions.StartRequest {
		req.Flow = cmpOr(c.QueryParam("flow"), req.Flow)
		req.Mode = cmpOr(c.QueryParam("mode"), req.Mode)
		req.Name = cmpOr(c.QueryParam("name"), req.Name)
		return req
	}
	switch mediaType {
	case echo.MIMEApplicationJSON:
		var req executions.StartRequest
		err := decodeJSON(c, &req)
		return req, err
	case "application/yaml", "application/x-yaml", "text/yaml":
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return executions.StartRequest{}, err
		}
		req, err := executions.ParseManifest(data)
		return fromQuery(req), err
	case "multipart/form-data":
		if params["boundary"] == "" {
			return executions.StartRequest{}, badRequest("invalid_upload", "multipart/form-data without a boundary")
		}
		file, header, err := r.FormFile("file")
		if err != nil {
			return executions.StartRequest{}, badRequest("invalid_upload", "the form has no file field: %v", err)
		}
		defer file.Close() //nolint:errcheck // an uploaded file, read only
		lines, err := executions.ParseLines(header.Filename, file)
		req := executions.StartRequest{Lines: lines, Flow: r.FormValue("flow"), Mode: r.FormValue("mode"), Name: r.FormValue("name")}
		return fromQuery(req), err
	case "text/csv", "text/plain", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream":
		name := "lines.csv"
		switch mediaType {
		case "text/plain":
			name = "lines.txt"
		case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
			name = "lines.xlsx"
		}
		lines, err := executions.ParseLines(name, r.Body)
		return fromQuery(executions.StartRequest{Lines: lines}), err
	}
	return executions.StartRequest{}, &problem.Error{Kind: problem.Unsupported, Code: "unsupported_media_type",
		Message: "send JSON, a YAML manifest, CSV, an XLSX workbook, plain text or multipart/form-data"}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (a *api) listExecutions(c echo.Context) error {
	svc, err := a.executionsService()
	if err != nil {
		return err
	}
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := store.ExecutionFilter{State: c.QueryParam("state"), Limit: limit + 1}
	if f.Before, err = cursorID(after); err != nil {
		return err
	}
	list, err := svc.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(list, limit, func(e store.Execution) string { return strconv.FormatInt(e.ID, 10) }))
}

// executionOf is the service and the execution the route's :id names.
func (a *api) executionOf(c echo.Context) (*executions.Service, int64, error) {
	svc, err := a.executionsService()
	if err != nil {
		return nil, 0, err
	}
	id, err := idParam(c, "execution")
	return svc, id, err
}

// lineOf is the line the route's :line names.
func lineOf(c echo.Context) (int64, error) {
	line, err := strconv.ParseInt(c.Param("line"), 10, 64)
	if err != nil || line < 1 {
		return 0, problem.NotFoundf("no line %q", c.Param("line"))
	}
	return line, nil
}

// execution runs fn with the service and the :id of the route.
func (a *api) execution(c echo.Context, fn func(svc *executions.Service, id int64) (any, error)) error {
	svc, id, err := a.executionOf(c)
	if err != nil {
		return err
	}
	out, err := fn(svc, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (a *api) getExecution(c echo.Context) error {
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) { return svc.Get(c.Request().Context(), id) })
}

func (a *api) executionLines(c echo.Context) error {
	svc, id, err := a.executionOf(c)
	if err != nil {
		return err
	}
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := store.LineFilter{State: c.QueryParam("state"), MSISDN: c.QueryParam("msisdn"), Limit: limit + 1}
	if after != "" {
		n, err := strconv.Atoi(after)
		if err != nil || n < 0 {
			return badRequest("invalid_cursor", "cursor is not one this API returned")
		}
		f.AfterNo = n
	}
	lines, err := svc.Lines(c.Request().Context(), id, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(lines, limit, func(l store.Line) string { return strconv.Itoa(l.LineNo) }))
}

func (a *api) executionLine(c echo.Context) error {
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) {
		line, err := lineOf(c)
		if err != nil {
			return nil, err
		}
		return svc.Line(c.Request().Context(), id, line)
	})
}

func (a *api) applyExecution(c echo.Context) error {
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) { return svc.Apply(c.Request().Context(), id) })
}

func (a *api) approveExecution(c echo.Context) error {
	p, _ := principalOf(c)
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) {
		return svc.Approve(c.Request().Context(), id, p.Actor())
	})
}

func (a *api) cancelExecution(c echo.Context) error {
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) { return svc.Cancel(c.Request().Context(), id) })
}

func (a *api) pauseExecution(c echo.Context) error {
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) { return svc.Pause(c.Request().Context(), id) })
}

func (a *api) resumeExecution(c echo.Context) error {
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) { return svc.Resume(c.Request().Context(), id) })
}

func (a *api) retryExecution(c echo.Context) error {
	var req retryRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) {
		e, n, err := svc.Retry(c.Request().Context(), id, req.LineIDs)
		return retried{Execution: e, Retried: n}, err
	})
}

func (a *api) approveStep(c echo.Context) error {
	var req approveStepRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	return a.execution(c, func(svc *executions.Service, id int64) (any, error) {
		line, err := lineOf(c)
		if err != nil {
			return nil, err
		}
		if _, err := svc.Line(c.Request().Context(), id, line); err != nil {
			return nil, err
		}
		return svc.ApproveStep(c.Request().Context(), line, req.Key, p.Actor())
	})
}

func (a *api) exportExecution(c echo.Context) error {
	svc, id, err := a.executionOf(c)
	if err != nil {
		return err
	}
	format := cmpOr(c.QueryParam("format"), executions.FormatCSV)
	contentTypes := map[string]string{executions.FormatCSV: "text/csv; charset=utf-8", executions.FormatJSONL: "application/x-ndjson",
		executions.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	contentType, ok := contentTypes[format]
	if !ok {
		return problem.FieldError("format", "must be csv, xlsx or jsonl")
	}
	// Written to a buffer first, so a failure is still an error response.
	var buf bytes.Buffer
	if err := svc.Export(c.Request().Context(), id, format, &buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="execution-%d.%s"`, id, format))
	return c.Blob(http.StatusOK, contentType, buf.Bytes())
}

// Server-sent events of an execution: how often the stream reads new ones,
// and how many at a time.
const (
	executionEventsPoll  = 250 * time.Millisecond
	executionEventsBatch = 500
)

// executionEvents streams an execution's events. A client that reconnects
// with Last-Event-ID (or ?after=) gets every event after it, none twice.
// The stream ends when the execution has settled and every event is sent.
func (a *api) executionEvents(c echo.Context) error {
	svc, id, err := a.executionOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := svc.Get(ctx, id); err != nil {
		return err
	}
	var after int64
	if last := cmpOr(c.Request().Header.Get("Last-Event-ID"), c.QueryParam("after")); last != "" {
		if after, err = strconv.ParseInt(last, 10, 64); err != nil || after < 0 {
			return problem.FieldError("Last-Event-ID", "must be the id of an event of this stream")
		}
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	lastWrite := time.Now()
	ticker := time.NewTicker(executionEventsPoll)
	defer ticker.Stop()
	for {
		events, err := svc.Events(ctx, id, after, executionEventsBatch)
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprint(w, "event: error\ndata: {\"message\":\"the events could not be read\"}\n\n")
			}
			return nil
		}
		for _, ev := range events {
			if _, err := fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", ev.Kind, ev.Seq, compactJSON(ev.Data)); err != nil {
				return nil // the client left
			}
			after = ev.Seq
		}
		if len(events) > 0 {
			w.Flush()
			lastWrite = time.Now()
		}
		if len(events) < executionEventsBatch {
			e, err := svc.Get(ctx, id)
			if err == nil && (e.Final() || e.State == store.ExecPaused || e.State == store.ExecAwaitingApproval) && e.LastEvent <= after {
				return nil
			}
		} else {
			continue // more are waiting
		}
		if time.Since(lastWrite) >= jobEventsKeepAlive {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
			lastWrite = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// compactJSON writes a stored JSON value on one line, as an event's data
// must be.
func compactJSON(data json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return strings.ReplaceAll(string(data), "\n", " ")
	}
	return buf.String()
}

func (a *api) lintFlows(c echo.Context) error {
	var req knowledge.CreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	name := cmpOr(req.Name, "flows")
	diags := knowledge.LintFlows(name+".yaml", []byte(req.Content), a.flowCatalog)
	out := lintReport{Problems: []knowledge.Problem{}}
	for _, d := range diags {
		out.Problems = append(out.Problems, knowledge.Problem{Line: d.Pos.Line, Column: d.Pos.Col, Severity: d.Severity.String(), Message: d.Msg})
	}
	out.OK = diags.Err() == nil
	return c.JSON(http.StatusOK, out)
}

// lintReport is a flow file's lint.
type lintReport struct {
	// OK is true when nothing would refuse the file (notes may remain).
	OK       bool                `json:"ok"`
	Problems []knowledge.Problem `json:"problems"`
}

func (a *api) approveFlows(c echo.Context) error {
	svc, err := a.executionsService()
	if err != nil {
		return err
	}
	id, err := idParam(c, "flow file")
	if err != nil {
		return err
	}
	var req approveFlowsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	if err := svc.ApproveFlows(c.Request().Context(), id, req.PlanExecutionID, p.Actor()); err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"flows_id": id, "plan_execution_id": req.PlanExecutionID})
	return c.NoContent(http.StatusNoContent)
}
