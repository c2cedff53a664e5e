package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// recordTriples is a record's knowledge graph.
type recordTriples struct {
	RecordID int64 `json:"record_id"`
	*kg.Graph
}

type revalidateRequest struct {
	MSISDN     string `json:"msisdn"`
	CustomerID string `json:"customer_id"`
	Decision   string `json:"decision"`
	Rule       string `json:"rule"`
}

type jobCreated struct {
	JobID int64 `json:"job_id"`
}

func (a *api) recordRoutes() []route {
	const tag = "records"
	filters := []param{
		{"msisdn", "only records holding this MSISDN"},
		{"customer_id", "only this customer's record"},
		{"decision", "only records whose latest decision is ACCEPT, REVIEW or REJECT"},
		{"rule", "only records whose latest report violates this rule or check id"},
	}
	return append([]route{
		{Method: http.MethodPost, Path: apiPrefix + "/records", Role: auth.RoleOperator, Tag: tag,
			Summary: "Upload records: JSON, a JSON array, NDJSON, gzip, multipart files or a ZIP; ?name= names the upload",
			Query:   []param{{"name", "the upload's file name (.ndjson or .jsonl mark NDJSON)"}},
			// ingest counts the bytes itself, naming the limit; this is the backstop.
			MaxBody:  int64(a.cfg.Ingest.MaxUploadSize) + 1,
			Timeout:  a.cfg.Ingest.UploadTimeout,
			Response: records.Result{}, Handler: a.uploadRecords},
		{Method: http.MethodPost, Path: apiPrefix + "/validate", Role: auth.RoleOperator, Tag: tag,
			Summary: "Validate one record without storing it", MaxBody: int64(a.cfg.Ingest.MaxDocumentSize),
			Request: map[string]any{}, Response: validation.Report{}, Handler: a.validateRecord},
		{Method: http.MethodGet, Path: apiPrefix + "/records", Role: auth.RoleViewer, Tag: tag,
			Summary: "List current records", Query: append(filters, cursorParam, limitParam),
			Response: page[store.Record]{}, Handler: a.listRecords},
		{Method: http.MethodGet, Path: apiPrefix + "/records/:id", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a record version with its document", Response: store.Record{}, Handler: a.getRecord},
		{Method: http.MethodGet, Path: apiPrefix + "/records/:id/versions", Role: auth.RoleViewer, Tag: tag,
			Summary: "List every version of the record's customer, newest first", Response: []store.Record{}, Handler: a.recordVersions},
		{Method: http.MethodGet, Path: apiPrefix + "/records/:id/report", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get the latest validation report of a record version", Response: store.Report{}, Handler: a.recordReport},
		{Method: http.MethodGet, Path: apiPrefix + "/records/:id/triples", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a record version's knowledge-graph triples, with JSON pointers", Response: recordTriples{}, Handler: a.recordTriples},
		{Method: http.MethodPost, Path: apiPrefix + "/validations", Role: auth.RoleOperator, Tag: tag,
			Summary: "Re-validate the current records that match a filter, as a job", Request: revalidateRequest{},
			Response: jobCreated{}, Status: http.StatusAccepted, MaxBody: 4 << 10, Handler: a.revalidate},
		{Method: http.MethodGet, Path: apiPrefix + "/stats", Role: auth.RoleViewer, Tag: tag,
			Summary: "Count current records by decision; the most violated rules", Response: store.RecordStats{}, Handler: a.recordStats},
	}, a.jobRoutes()...)
}

func (a *api) uploadRecords(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	name := c.QueryParam("name")
	if name == "" {
		name = "upload"
	}
	w := records.NewWriter(recordWriter(a.store, a.jobs), a.cfg.Ingest.BatchSize)
	err := ingest.Read(ctx, req.Body, name, req.Header.Get(echo.HeaderContentType), a.cfg.Ingest.limits(),
		func(d ingest.Document) error { return w.Add(ctx, d) }, w.Reject)
	if err == nil {
		err = w.Flush(ctx)
	}
	res := w.Result()
	c.Set(auditDetailKey, map[string]any{"received": res.Received, "inserted": res.Inserted, "updated": res.Updated,
		"unchanged": res.Unchanged, "rejected": len(res.Rejected)})
	if err != nil {
		return uploadError(err, res)
	}
	return c.JSON(http.StatusOK, res)
}

// uploadError explains why an upload stopped. Batches written before it
// stay written, so the counts so far go with the error.
func uploadError(err error, sofar records.Result) error {
	var limit *ingest.LimitError
	switch {
	case errors.As(err, &limit):
		status := http.StatusBadRequest
		if limit.TooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		msg := fmt.Sprintf("the upload exceeds %s (%g)", limitKeys[limit.Limit], limit.Value)
		if limit.Source != "" {
			msg += " at " + limit.Source
		}
		return &apiError{Status: status, Code: "limit_exceeded", Message: msg, Details: sofar}
	case errors.Is(err, ingest.ErrInput):
		return &apiError{Status: http.StatusBadRequest, Code: "invalid_upload", Message: err.Error(), Details: sofar}
	}
	return err
}

func (a *api) validateRecord(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	limits := a.cfg.Ingest.limits()
	limits.MaxRecords = 1
	var doc *ingest.Document
	var rejection *ingest.Rejection
	err := ingest.Read(ctx, req.Body, "body", req.Header.Get(echo.HeaderContentType), limits,
		func(d ingest.Document) error { doc = &d; return nil },
		func(r ingest.Rejection) { rejection = &r })
	var limit *ingest.LimitError
	switch {
	case errors.As(err, &limit) && limit.Limit == "MaxRecords":
		return badRequest("one_record", "the body must be one record")
	case err != nil:
		return uploadError(err, records.Result{})
	case rejection != nil:
		return badRequest("invalid_record", "%s", rejection.Reason)
	case doc == nil:
		return badRequest("one_record", "the body must be one record")
	}
	v, err := a.validators.Validator(ctx)
	if err != nil {
		return err
	}
	report, err := v.Validate(ctx, doc.Data)
	if err != nil {
		return badRequest("invalid_record", "%v", err)
	}
	return c.JSON(http.StatusOK, report)
}

func (a *api) listRecords(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := store.RecordFilter{
		MSISDN: c.QueryParam("msisdn"), CustomerID: c.QueryParam("customer_id"),
		Decision: c.QueryParam("decision"), Rule: c.QueryParam("rule"), Limit: limit + 1,
	}
	if err := checkDecision("decision", f.Decision); err != nil {
		return err
	}
	if after != "" {
		if f.AfterID, err = strconv.ParseInt(after, 10, 64); err != nil {
			return badRequest("invalid_cursor", "cursor is not one this API returned")
		}
	}
	recs, err := a.store.ListRecords(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(recs, limit, func(r store.Record) string { return strconv.FormatInt(r.ID, 10) }))
}

func checkDecision(field, d string) error {
	switch validation.Decision(d) {
	case "", validation.Accept, validation.Review, validation.Reject:
		return nil
	}
	var problems fieldErrors
	problems.add(field, "must be ACCEPT, REVIEW or REJECT")
	return problems.err()
}

// recordID reads the :id of a record route; an id that cannot exist is
// simply not found.
func recordID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("record %q: %w", c.Param("id"), store.ErrNotFound)
	}
	return id, nil
}

func (a *api) getRecord(c echo.Context) error {
	id, err := recordID(c)
	if err != nil {
		return err
	}
	rec, err := a.store.RecordByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

func (a *api) recordVersions(c echo.Context) error {
	id, err := recordID(c)
	if err != nil {
		return err
	}
	versions, err := a.store.RecordVersions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, versions)
}

func (a *api) recordReport(c echo.Context) error {
	id, err := recordID(c)
	if err != nil {
		return err
	}
	report, err := a.store.LatestReport(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

func (a *api) recordTriples(c echo.Context) error {
	id, err := recordID(c)
	if err != nil {
		return err
	}
	rec, err := a.store.RecordByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	g, err := kg.Build(rec.Document)
	if err != nil {
		return fmt.Errorf("graph of record %d: %w", id, err)
	}
	return c.JSON(http.StatusOK, recordTriples{RecordID: id, Graph: g})
}

func (a *api) revalidate(c echo.Context) error {
	var req revalidateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := checkDecision("decision", req.Decision); err != nil {
		return err
	}
	res, err := a.jobs.River().Insert(c.Request().Context(), jobs.RevalidateArgs(req), nil)
	if err != nil {
		return fmt.Errorf("enqueue re-validation: %w", err)
	}
	c.Set(auditDetailKey, map[string]any{"job_id": res.Job.ID, "filter": req})
	return c.JSON(http.StatusAccepted, jobCreated{JobID: res.Job.ID})
}

func (a *api) recordStats(c echo.Context) error {
	stats, err := a.store.RecordStats(c.Request().Context(), 10)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, stats)
}
