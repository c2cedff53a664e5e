package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

func generateRecords(t testing.TB, n int, faultRate float64) []gen.Record {
	t.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: 9, FaultRate: faultRate})
	require.NoError(t, err)
	var recs []gen.Record
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
	}
	return recs
}

// zipOf archives files by name, in the given order.
func zipOf(t testing.TB, files ...[2]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f[0])
		require.NoError(t, err)
		_, err = w.Write([]byte(f[1]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.String()
}

func decode[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), string(body))
	return v
}

// startWorkers works the test server's queue until the test ends.
func startWorkers(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	client, err := jobs.New(ts.store.Pool(), jobs.Config{Workers: 4, FetchCooldown: 10 * time.Millisecond,
		Register: jobs.Register(jobs.Deps{Store: ts.store, AuditRetentionDays: 1})})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { require.NoError(t, client.Stop(ctx, 5*time.Second, 5*time.Second)) })
}

func waitForJobs(t *testing.T, ts *testServer) {
	t.Helper()
	require.Eventually(t, func() bool {
		var pending int
		require.NoError(t, ts.store.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')`).Scan(&pending))
		return pending == 0
	}, time.Minute, 20*time.Millisecond)
}

func TestUploadRecords(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	operator := bearer(ts.bearers[auth.RoleOperator])
	recs := generateRecords(t, 6, 0)
	var files [][2]string
	for _, r := range recs[:5] {
		files = append(files, [2]string{r.FileName(), string(r.Doc)})
	}
	files = append(files, [2]string{"broken.json", `{"id": "X",`})
	upload := zipOf(t, files...)

	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=export.zip", body: upload,
		contentType: "application/zip", header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	res := decode[records.Result](t, rec.Body.Bytes())
	require.Equal(t, 6, res.Received)
	require.Equal(t, store.WriteResult{Inserted: 5}, res.WriteResult)
	require.Len(t, res.Rejected, 1)
	require.Contains(t, res.Rejected[0].Source, "broken.json")

	var queued int
	require.NoError(t, ts.store.Pool().QueryRow(context.Background(),
		`SELECT coalesce(sum(jsonb_array_length(args->'record_ids')), 0) FROM river_job WHERE kind = 'validate_records'`).Scan(&queued))
	require.Equal(t, 5, queued, "every stored record has its validation queued")

	stored, err := ts.store.ListRecords(context.Background(), store.RecordFilter{CustomerID: recs[0].CustomerID})
	require.NoError(t, err)
	require.Len(t, stored, 1)
	require.Equal(t, recs[0].MSISDN, stored[0].FileMSISDN, "the number in the file name is kept")

	// The same records again, one changed and one new, as NDJSON.
	changed := bytes.Replace(recs[1].Doc, []byte(`"id"`), []byte(`"note": "moved", "id"`), 1)
	var ndjson bytes.Buffer
	for _, doc := range [][]byte{recs[0].Doc, changed, recs[5].Doc} {
		require.NoError(t, json.Compact(&ndjson, doc))
		ndjson.WriteByte('\n')
	}
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=again.ndjson", body: ndjson.String(),
		contentType: "application/x-ndjson", header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	res = decode[records.Result](t, rec.Body.Bytes())
	require.Equal(t, store.WriteResult{Inserted: 1, Updated: 1, Unchanged: 1}, res.WriteResult)
	require.Empty(t, res.Rejected)
}

func TestUploadLimits(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) {
		cfg.Ingest.MaxRecords = 2
		cfg.Ingest.MaxUploadSize = 200 << 10
	})
	operator := bearer(ts.bearers[auth.RoleOperator])
	recs := generateRecords(t, 3, 0)
	var small, big bytes.Buffer
	for _, r := range recs {
		require.NoError(t, json.Compact(&small, []byte(fmt.Sprintf(`{"id":"%s"}`, r.CustomerID))))
		small.WriteByte('\n')
	}
	for big.Len() <= 200<<10 {
		big.Write(recs[0].Doc)
	}

	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=x.ndjson", body: small.String(),
		contentType: "application/x-ndjson", header: operator})
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	require.Equal(t, "limit_exceeded", errorCode(t, rec))
	require.Contains(t, rec.Body.String(), "ingest.max_records")

	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/records", body: big.String(), header: operator})
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, rec.Body.String())

	count, err := ts.store.ListRecords(context.Background(), store.RecordFilter{})
	require.NoError(t, err)
	require.Empty(t, count, "no batch reached the database before the limit stopped the upload")
}

func TestValidateEndpoint(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	operator := bearer(ts.bearers[auth.RoleOperator])
	rec := generateRecords(t, 1, 0)[0]

	resp := ts.do(request{method: http.MethodPost, path: Prefix + "/validate", body: string(rec.Doc), header: operator})
	require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
	report := decode[validation.Report](t, resp.Body.Bytes())
	require.Equal(t, rec.CustomerID, report.Record)
	require.Equal(t, validation.Accept, report.Decision)

	records, err := ts.store.ListRecords(context.Background(), store.RecordFilter{})
	require.NoError(t, err)
	require.Empty(t, records, "validating stores nothing")

	for name, body := range map[string]string{
		"not JSON":    `{"id":`,
		"no id":       `{"status":[]}`,
		"two records": string(rec.Doc) + "\n" + string(rec.Doc),
	} {
		resp := ts.do(request{method: http.MethodPost, path: Prefix + "/validate", body: body, header: operator})
		require.Equal(t, http.StatusBadRequest, resp.Code, name+": "+resp.Body.String())
	}
}

func TestRecordReads(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	startWorkers(t, ts)
	operator, viewer := bearer(ts.bearers[auth.RoleOperator]), bearer(ts.bearers[auth.RoleViewer])
	recs := generateRecords(t, 30, 0.3)
	var ndjson bytes.Buffer
	for _, r := range recs {
		require.NoError(t, json.Compact(&ndjson, r.Doc))
		ndjson.WriteByte('\n')
	}
	resp := ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=all.ndjson", body: ndjson.String(), header: operator})
	require.Equal(t, http.StatusOK, resp.Code, resp.Body.String())
	waitForJobs(t, ts)

	get := func(path string) []byte {
		t.Helper()
		resp := ts.do(request{method: http.MethodGet, path: Prefix + path, header: viewer})
		require.Equal(t, http.StatusOK, resp.Code, path+": "+resp.Body.String())
		return resp.Body.Bytes()
	}
	list := func(query url.Values) []store.Record {
		t.Helper()
		var all []store.Record
		query.Set("limit", "7")
		for {
			p := decode[page[store.Record]](t, get("/records?"+query.Encode()))
			all = append(all, p.Items...)
			if p.NextCursor == nil {
				return all
			}
			query.Set("cursor", *p.NextCursor)
		}
	}

	all := list(url.Values{})
	require.Len(t, all, 30, "paging returns every record once")
	faulty := 0
	for _, r := range recs {
		if len(r.Faults) > 0 {
			faulty++
		}
	}

	stats := decode[store.RecordStats](t, get("/stats"))
	require.EqualValues(t, 30, stats.Records)
	require.Zero(t, stats.Unvalidated)
	require.EqualValues(t, 30-faulty, stats.Decisions["ACCEPT"])
	require.NotEmpty(t, stats.MostViolated)

	top := stats.MostViolated[0]
	byRule := list(url.Values{"rule": {top.Rule}})
	require.Len(t, byRule, int(top.Records))
	rejected := list(url.Values{"decision": {"REJECT"}})
	review := list(url.Values{"decision": {"REVIEW"}})
	require.Len(t, rejected, int(stats.Decisions["REJECT"]))
	require.Len(t, append(rejected, review...), faulty, "every faulty record is caught")

	target := recs[3]
	byMSISDN := list(url.Values{"msisdn": {target.MSISDN}})
	require.Len(t, byMSISDN, 1)
	require.Equal(t, target.CustomerID, byMSISDN[0].CustomerID)
	byCustomer := list(url.Values{"customer_id": {target.CustomerID}})
	require.Equal(t, byMSISDN, byCustomer)

	id := byMSISDN[0].ID
	one := decode[store.Record](t, get(fmt.Sprintf("/records/%d", id)))
	require.Equal(t, target.CustomerID, one.CustomerID)
	require.JSONEq(t, string(target.Doc), string(one.Document))
	versions := decode[[]store.Record](t, get(fmt.Sprintf("/records/%d/versions", id)))
	require.Len(t, versions, 1)
	report := decode[store.Report](t, get(fmt.Sprintf("/records/%d/report", id)))
	require.Equal(t, *one.Decision, report.Decision)
	triples := decode[records.Triples](t, get(fmt.Sprintf("/records/%d/triples", id)))
	require.Equal(t, target.CustomerID, triples.Root)
	require.NotEmpty(t, triples.Triples)
	pointers := 0
	for _, tr := range triples.Triples {
		if strings.HasPrefix(tr.Pointer, "/contract/") {
			pointers++
		}
	}
	require.NotZero(t, pointers, "triples point into the document")

	for _, path := range []string{"/records/999999", "/records/x/report", "/records/999999/versions", "/records/999999/triples", "/jobs/999999"} {
		resp := ts.do(request{method: http.MethodGet, path: Prefix + path, header: viewer})
		require.Equal(t, http.StatusNotFound, resp.Code, path)
	}
	resp = ts.do(request{method: http.MethodGet, path: Prefix + "/records?decision=MAYBE", header: viewer})
	require.Equal(t, http.StatusBadRequest, resp.Code)

	// Re-validate the rejected records as a job and follow it.
	resp = ts.do(request{method: http.MethodPost, path: Prefix + "/validations", body: `{"decision":"REJECT"}`, header: operator})
	require.Equal(t, http.StatusAccepted, resp.Code, resp.Body.String())
	created := decode[jobCreated](t, resp.Body.Bytes())
	waitForJobs(t, ts)
	job := decode[jobs.View](t, get(fmt.Sprintf("/jobs/%d", created.JobID)))
	require.Equal(t, "revalidate_records", job.Kind)
	require.Equal(t, "completed", job.State)
	n := (len(rejected) + 49) / 50
	require.JSONEq(t, fmt.Sprintf(`{"phase":"done","records":%d,"jobs":%d,"completed":%d,"failed":0,"running":0,"waiting":0}`,
		len(rejected), n, n), string(job.Output), "completed once its validations have")
	resp = ts.do(request{method: http.MethodPost, path: Prefix + "/validations", body: `{"decision":"NO"}`, header: operator})
	require.Equal(t, http.StatusBadRequest, resp.Code)

	var listed []jobs.View
	query := url.Values{"kind": {"validate_records"}, "state": {"completed"}, "limit": {"1"}}
	for {
		p := decode[page[jobs.View]](t, get("/jobs?"+query.Encode()))
		listed = append(listed, p.Items...)
		if p.NextCursor == nil {
			break
		}
		query.Set("cursor", *p.NextCursor)
	}
	require.Len(t, listed, 1+(len(rejected)+49)/50, "one job for the upload, then the re-validation's")
	require.Greater(t, listed[0].ID, listed[len(listed)-1].ID, "newest first")
	resp = ts.do(request{method: http.MethodGet, path: Prefix + "/jobs?state=sleeping", header: viewer})
	require.Equal(t, http.StatusBadRequest, resp.Code)
}
