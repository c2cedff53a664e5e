package httpapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// workLines works the test server's flow lines until the test ends.
func (ts *testServer) workLines(t *testing.T) {
	t.Helper()
	pool := ts.store.Pool()
	client, err := jobs.New(pool, jobs.Config{Workers: 16, FetchCooldown: 5 * time.Millisecond,
		Register: func(w *river.Workers) { river.AddWorker(w, &jobs.FlowLineWorker{Engine: ts.api.executions.Engine()}) }})
	require.NoError(t, err)
	require.NoError(t, client.Start(context.Background()))
	t.Cleanup(func() { _ = client.Stop(context.Background(), 5*time.Second, 5*time.Second) })
}

func (ts *testServer) waitExecution(t *testing.T, id int64, header map[string]string) store.Execution {
	t.Helper()
	var e store.Execution
	require.Eventually(t, func() bool {
		rec := ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d", Prefix, id), header: header})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		e = decode[store.Execution](t, rec.Body.Bytes())
		return e.Final() || e.State == store.ExecPaused
	}, 30*time.Second, 25*time.Millisecond)
	return e
}

func TestFixFlowsThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	ts.workLines(t)
	admin, operator, viewer := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleOperator]), bearer(ts.bearers[auth.RoleViewer])
	legacy, err := os.ReadFile("../executions/testdata/legacy-sample.yaml")
	require.NoError(t, err)

	// Lint, upload and activate the team's legacy flows.
	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/flows/lint", header: operator,
		body: jsonBody(t, knowledge.CreateRequest{Name: "legacy", Content: string(legacy)})})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.True(t, decode[lintReport](t, rec.Body.Bytes()).OK)
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/flows/lint", header: operator,
		body: jsonBody(t, knowledge.CreateRequest{Content: "F:\n  - method: line.nope\n"})})
	bad := decode[lintReport](t, rec.Body.Bytes())
	require.False(t, bad.OK)
	require.Equal(t, 2, bad.Problems[0].Line)
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/flows", header: admin,
		body: jsonBody(t, knowledge.CreateRequest{Name: "legacy", Content: string(legacy)})})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	flowsID := decodeBody[knowledge.Created](t, rec).ID
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/flows/%d/activate", Prefix, flowsID), header: admin})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	// A legacy file runs only as a plan until an admin approves it.
	lines := `{"flow": "Enquiry", "lines": [{"msisdn": "11999990001"}, {"msisdn": "11999990002"}]}`
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions", header: operator, body: lines})
	require.Equal(t, http.StatusConflict, rec.Code, rec.Body.String())
	require.Equal(t, "plan_only", errorCode(t, rec))
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions", header: viewer, body: lines})
	require.Equal(t, http.StatusForbidden, rec.Code, "viewers read flows; operators run them")
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions?mode=plan", header: operator,
		body: "msisdn,ticket\n11999990001,INC-1\n11999990002,INC-2\n", contentType: "text/csv"})
	require.Equal(t, http.StatusBadRequest, rec.Code, "an upload names its flow: %s", rec.Body.String())
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions?mode=plan&flow=Enquiry", header: operator,
		body: "msisdn,ticket\n11999990001,INC-1\n11999990002,INC-2\n", contentType: "text/csv"})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	plan := ts.waitExecution(t, decode[store.Execution](t, rec.Body.Bytes()).ID, viewer)
	require.Equal(t, store.ExecPlanned, plan.State)
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/flows/%d/approve", Prefix, flowsID), header: operator,
		body: fmt.Sprintf(`{"plan_execution_id": %d}`, plan.ID)})
	require.Equal(t, http.StatusForbidden, rec.Code, "approving a flow file is an admin's")
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/flows/%d/approve", Prefix, flowsID), header: admin,
		body: fmt.Sprintf(`{"plan_execution_id": %d}`, plan.ID)})
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())

	// A manifest in the legacy format, with lines naming their flows.
	manifest, err := os.ReadFile("../executions/testdata/legacy-manifest.yaml")
	require.NoError(t, err)
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions", header: operator, body: string(manifest), contentType: "application/yaml"})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	fromManifest := decode[store.Execution](t, rec.Body.Bytes())
	require.Equal(t, "cancel-migrated-lines", fromManifest.Name)
	if fromManifest.State == store.ExecAwaitingApproval {
		rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/executions/%d/approve", Prefix, fromManifest.ID), header: operator})
		require.Equal(t, http.StatusForbidden, rec.Code, "not by the one who started it")
		rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/executions/%d/approve", Prefix, fromManifest.ID), header: admin})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	}
	ts.waitExecution(t, fromManifest.ID, viewer)

	// A run from an XLSX upload, followed by its events and exported.
	wb := excelize.NewFile()
	require.NoError(t, wb.SetSheetRow("Sheet1", "A1", &[]any{"MSISDN", "nota"}))
	require.NoError(t, wb.SetSheetRow("Sheet1", "A2", &[]any{"11999990003", "x"}))
	require.NoError(t, wb.SetSheetRow("Sheet1", "A3", &[]any{"11999990004", "y"}))
	var xlsx bytes.Buffer
	require.NoError(t, wb.Write(&xlsx))
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	part, err := mw.CreateFormFile("file", "lines.xlsx")
	require.NoError(t, err)
	_, err = part.Write(xlsx.Bytes())
	require.NoError(t, err)
	require.NoError(t, mw.WriteField("flow", "Enquiry"))
	require.NoError(t, mw.Close())
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions", header: operator, body: form.String(), contentType: mw.FormDataContentType()})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	run := ts.waitExecution(t, decode[store.Execution](t, rec.Body.Bytes()).ID, viewer)
	require.Equal(t, store.ExecSucceeded, run.State)

	events := ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/events", Prefix, run.ID), header: viewer})
	require.Equal(t, http.StatusOK, events.Code)
	ids := eventIDs(t, events.Body.String())
	require.Equal(t, int(run.LastEvent), len(ids), "every event once")
	for i, id := range ids {
		require.Equal(t, i+1, id, "in order, without gaps")
	}
	resumed := ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/events", Prefix, run.ID),
		header: map[string]string{"Authorization": viewer["Authorization"], "Last-Event-ID": fmt.Sprint(ids[2])}})
	require.Equal(t, ids[3:], eventIDs(t, resumed.Body.String()), "a reconnection resumes after Last-Event-ID")

	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/lines", Prefix, run.ID), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	got := decode[page[store.Line]](t, rec.Body.Bytes())
	require.Len(t, got.Items, 2)
	require.JSONEq(t, `{"nota":"x"}`, string(got.Items[0].Columns))
	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/lines/%d", Prefix, run.ID, got.Items[0].ID), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotEmpty(t, decode[executions.LineDetail](t, rec.Body.Bytes()).Steps)

	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/export", Prefix, run.ID), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"MSISDN", "Solicitação", "Resultado", "Observações"}, rows[0][:4])
	require.Equal(t, []string{"11999990003", "Enquiry", "Sucesso"}, rows[1][:3])
	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/export?format=xlsx", Prefix, run.ID), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	book, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err)
	sheet, err := book.GetRows("Sheet1")
	require.NoError(t, err)
	require.Len(t, sheet, 3)
	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d/export?format=jsonl", Prefix, run.ID), header: viewer})
	require.Equal(t, 2, strings.Count(rec.Body.String(), "\n"))
	var row map[string]any
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(rec.Body.String(), "\n", 2)[0]), &row))
	require.Equal(t, "Sucesso", row["result"])

	// Controls answer by state.
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/executions/%d/resume", Prefix, run.ID), header: operator})
	require.Equal(t, http.StatusConflict, rec.Code, "a finished execution cannot resume")
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/executions?state=succeeded", header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotEmpty(t, decode[page[store.Execution]](t, rec.Body.Bytes()).Items)
}

// eventIDs are the ids of the events of a server-sent event stream.
func eventIDs(t *testing.T, stream string) []int {
	ids := []int{}
	for _, line := range strings.Split(stream, "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			n, err := strconv.Atoi(id)
			require.NoError(t, err, "event id")
			ids = append(ids, n)
		}
	}
	return ids
}
