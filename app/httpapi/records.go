package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/store"
)

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
	return []route{
		{Method: http.MethodPost, Path: Prefix + "/records", Role: auth.RoleOperator, Tag: tag,
			Summary: "Upload records: JSON, a JSON array, NDJSON, gzip, multipart files or a ZIP; ?name= names the upload; 422 with every rejection when none was stored",
			Query:   []param{{"name", "the upload's file name (.ndjson or .jsonl mark NDJSON)"}},
			// ingest counts the bytes itself, naming the limit; this is the backstop.
			MaxBody: int64(a.cfg.Ingest.MaxUploadSize) + 1, Timeout: a.cfg.Ingest.UploadTimeout,
			Request: recordExample, Response: uploadResultExample, Handler: a.uploadRecords},
		{Method: http.MethodPost, Path: Prefix + "/validate", Role: auth.RoleOperator, Tag: tag,
			Summary: "Validate one record without storing it", MaxBody: int64(a.cfg.Ingest.MaxDocumentSize),
			Request: recordExample, Response: reportExample, Handler: a.validateRecord},
		{Method: http.MethodGet, Path: Prefix + "/records", Role: auth.RoleViewer, Tag: tag,
			Summary: "List current records", Query: append(filters, cursorParam, limitParam),
			Response: page[store.Record]{Items: []store.Record{storedRecordExample}}, Handler: a.listRecords},
		{Method: http.MethodGet, Path: Prefix + "/records/:id", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a record version with its document", Response: storedRecordExample, Handler: a.getRecord},
		{Method: http.MethodGet, Path: Prefix + "/records/:id/versions", Role: auth.RoleViewer, Tag: tag,
			Summary: "List every version of the record's customer, newest first", Response: []store.Record{storedRecordExample},
			Handler: a.recordVersions},
		{Method: http.MethodGet, Path: Prefix + "/records/:id/report", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get the latest validation report of a record version", Response: storedReportExample, Handler: a.recordReport},
		{Method: http.MethodGet, Path: Prefix + "/records/:id/triples", Role: auth.RoleViewer, Tag: tag,
			Summary: "Get a record version's knowledge-graph triples, with JSON pointers", Response: triplesExample, Handler: a.recordTriples},
		{Method: http.MethodPost, Path: Prefix + "/validations", Role: auth.RoleOperator, Tag: tag,
			Summary: "Re-validate the current records that match a filter, as a job", Request: records.RevalidateRequest{Decision: "REJECT"},
			Response: jobCreated{JobID: 42}, Status: http.StatusAccepted, MaxBody: 4 << 10, Handler: a.revalidate},
		{Method: http.MethodGet, Path: Prefix + "/stats", Role: auth.RoleViewer, Tag: tag,
			Summary: "Count current records by decision; the most violated rules", Response: recordStatsExample, Handler: a.recordStats},
	}
}

func (a *api) uploadRecords(c echo.Context) error {
	req := c.Request()
	res, err := a.records.Upload(req.Context(), req.Body, c.QueryParam("name"), req.Header.Get(echo.HeaderContentType))
	c.Set(auditDetailKey, map[string]any{"received": res.Received, "inserted": res.Inserted, "updated": res.Updated,
		"unchanged": res.Unchanged, "rejected": len(res.Rejected)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (a *api) validateRecord(c echo.Context) error {
	req := c.Request()
	report, err := a.records.Validate(req.Context(), req.Body, req.Header.Get(echo.HeaderContentType))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

func (a *api) listRecords(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := records.Filter{MSISDN: c.QueryParam("msisdn"), CustomerID: c.QueryParam("customer_id"),
		Decision: c.QueryParam("decision"), Rule: c.QueryParam("rule"), Limit: limit + 1}
	if f.AfterID, err = cursorID(after); err != nil {
		return err
	}
	recs, err := a.records.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(recs, limit, func(r store.Record) string { return strconv.FormatInt(r.ID, 10) }))
}

func (a *api) getRecord(c echo.Context) error {
	id, err := idParam(c, "record")
	if err != nil {
		return err
	}
	rec, err := a.records.Get(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rec)
}

func (a *api) recordVersions(c echo.Context) error {
	id, err := idParam(c, "record")
	if err != nil {
		return err
	}
	versions, err := a.records.Versions(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, versions)
}

func (a *api) recordReport(c echo.Context) error {
	id, err := idParam(c, "record")
	if err != nil {
		return err
	}
	report, err := a.records.Report(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

func (a *api) recordTriples(c echo.Context) error {
	id, err := idParam(c, "record")
	if err != nil {
		return err
	}
	triples, err := a.records.Triples(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, triples)
}

func (a *api) revalidate(c echo.Context) error {
	var req records.RevalidateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id, err := a.records.Revalidate(c.Request().Context(), req)
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"job_id": id, "filter": req})
	return c.JSON(http.StatusAccepted, jobCreated{JobID: id})
}

func (a *api) recordStats(c echo.Context) error {
	stats, err := a.records.Stats(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, stats)
}
