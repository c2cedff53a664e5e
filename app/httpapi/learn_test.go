package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

func TestLearnAndPredictThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	startWorkers(t, ts)
	admin, operator, viewer := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleOperator]), bearer(ts.bearers[auth.RoleViewer])

	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/models", body: `{"epochs": 2}`, header: admin})
	require.Equal(t, http.StatusConflict, rec.Code, "no graph to train on yet")
	require.Equal(t, "no_knowledge_graph", errorCode(t, rec))

	var ndjson bytes.Buffer
	for _, r := range generateRecords(t, 40, 0) {
		require.NoError(t, json.Compact(&ndjson, r.Doc))
		ndjson.WriteByte('\n')
	}
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=corpus.ndjson", body: ndjson.String(), header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/kg/build", header: operator})
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	waitForJobs(t, ts)
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/kg/stats?top=3", header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	stats := decode[store.KGStats](t, rec.Body.Bytes())
	require.Equal(t, 40, stats.Build.Records)
	require.Len(t, stats.Learning.TopRelations, 3)

	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/models", body: `{"dim": 0, "norm": "L3"}`, header: admin})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), `unknown norm \"L3\"`)
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/models", body: `{"dim": 16, "epochs": 10, "eval_every": -1, "seed": 1}`, header: operator})
	require.Equal(t, http.StatusForbidden, rec.Code, "training is for admins")
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/models", body: `{"dim": 16, "epochs": 10, "eval_every": -1, "seed": 1}`, header: admin})
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	job := decode[learn.Queued](t, rec.Body.Bytes())
	waitForJobs(t, ts)

	// The finished job's events: one event with the final state, then the end.
	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/jobs/%d/events", Prefix, job.JobID), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/event-stream", rec.Header().Get("Content-Type"))
	events := strings.Split(strings.TrimSpace(rec.Body.String()), "\n\n")
	require.Len(t, events, 1)
	require.True(t, strings.HasPrefix(events[0], "event: job\n"), events[0])
	data := strings.TrimPrefix(events[0][strings.Index(events[0], "data: "):], "data: ")
	view := decode[jobs.View](t, []byte(data))
	require.Equal(t, "completed", view.State)
	require.Contains(t, string(view.Output), `"phase":"done"`)

	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/models", header: admin})
	require.Equal(t, http.StatusOK, rec.Code)
	models := decode[[]store.Model](t, rec.Body.Bytes())
	require.Len(t, models, 1)
	m := models[0]
	require.Equal(t, store.ModelReady, m.State)

	// Before activation, predictions need a model.
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/predict/tail?head=x&relation=status", header: viewer})
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Equal(t, "no_active_model", errorCode(t, rec))
	// Activation runs the quality gate: a small model may fail it, and is
	// then activated only when forced.
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/models/" + m.Version + "/activate", header: admin})
	if rec.Code == http.StatusConflict {
		require.Equal(t, "quality_gate", errorCode(t, rec))
		rec = ts.do(request{method: http.MethodPost, path: Prefix + "/models/" + m.Version + "/activate", body: `{"force": true}`, header: admin})
	}
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	act := decode[learn.Activation](t, rec.Body.Bytes())
	require.Equal(t, store.ModelActive, act.Model.State)
	require.Positive(t, act.Quality.Records, "measured on records it did not train on")
	require.Len(t, act.Quality.Recall, len(gen.Kinds()))
	rec = ts.do(request{method: http.MethodDelete, path: Prefix + "/models/" + m.Version, header: admin})
	require.Equal(t, http.StatusConflict, rec.Code, "the active model stays")
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/models/" + m.Version, header: admin})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `"clean_flagged"`, "the figures are kept with the model")

	// A status fact of a stored record, scored and completed.
	var doc []byte
	require.NoError(t, ts.store.Pool().QueryRow(t.Context(), `SELECT document::text FROM customer_records LIMIT 1`).Scan(&doc))
	g, err := kg.Build(doc)
	require.NoError(t, err)
	i := slices.IndexFunc(g.Triples, func(t kg.Triple) bool { return t.Predicate == kg.PredStatus })
	fact := g.Triples[i]
	body := fmt.Sprintf(`{"triples": [{"head": %q, "relation": %q, "tail": %q}]}`, fact.Subject, fact.Predicate, fact.Object)
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/predict/score", body: body, header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	scored := decode[learn.ScoreResult](t, rec.Body.Bytes())
	require.Equal(t, m.Version, scored.Model)
	require.Len(t, scored.Triples, 1)
	require.NotNil(t, scored.Calibration)

	q := url.Values{"head": {fact.Subject}, "relation": {fact.Predicate}, "k": {"3"}}
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/predict/tail?" + q.Encode(), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	tails := decode[learn.Completion](t, rec.Body.Bytes())
	require.Len(t, tails.Candidates, 3)
	for _, c := range tails.Candidates {
		require.NotEqual(t, fact.Object, c.Entity, "known facts are left out")
	}
	q = url.Values{"tail": {fact.Object}, "relation": {fact.Predicate}, "k": {"2"}, "filter": {"false"}}
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/predict/head?" + q.Encode(), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/entities/" + url.PathEscape(fact.Subject) + "/similar?k=4", header: viewer})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Len(t, decode[learn.Similarity](t, rec.Body.Bytes()).Entities, 4)
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/entities/nobody/similar", header: viewer})
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "unknown_to_model", errorCode(t, rec))
	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/predict/tail?head=x", header: viewer})
	require.Equal(t, http.StatusBadRequest, rec.Code, "relation is required")

	// Validation now has a learned term.
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/validate", body: string(doc), header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	report := decode[validation.Report](t, rec.Body.Bytes())
	require.Equal(t, m.Version, report.Learned.Model)
	require.Equal(t, m.Version, report.Versions.Model)
	require.Positive(t, report.Learned.Scored)
	require.Empty(t, report.Learned.Note)

	var metrics learn.TrainMetrics
	require.NoError(t, json.Unmarshal(m.Metrics, &metrics))
	require.Equal(t, 10, metrics.Epochs)

	// Back to rules only, at once.
	rec = ts.do(request{method: http.MethodDelete, path: Prefix + "/models/active", header: operator})
	require.Equal(t, http.StatusForbidden, rec.Code, "deactivation is for admins")
	rec = ts.do(request{method: http.MethodDelete, path: Prefix + "/models/active", header: admin})
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/validate", body: string(doc), header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, decode[validation.Report](t, rec.Body.Bytes()).Learned.Note, "no active model")
	rec = ts.do(request{method: http.MethodDelete, path: Prefix + "/models/active", header: admin})
	require.Equal(t, http.StatusNoContent, rec.Code, "none active: nothing to do")
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/models/" + m.Version + "/measure", header: admin})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	entries, err := ts.store.ListAudit(t.Context(), store.AuditFilter{Route: Prefix + "/models/:version/activate", Limit: 10})
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	require.Contains(t, string(entries[0].Detail), `"clean_flagged"`, "the gate's figures are in the audit log")
}

// TestLearnedConstraintsThroughTheAPI learns constraints from the stored
// records as a job, activates them, and sees them judge a faulty record.
func TestLearnedConstraintsThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	startWorkers(t, ts)
	admin, operator := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleOperator])
	var ndjson bytes.Buffer
	for _, r := range generateRecords(t, 120, 0) {
		require.NoError(t, json.Compact(&ndjson, r.Doc))
		ndjson.WriteByte('\n')
	}
	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/records?name=corpus.ndjson", body: ndjson.String(), header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/constraints/learn", body: `{"min_support": 20, "held_out": 2}`, header: admin})
	require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/constraints/learn", body: `{"min_support": 20}`, header: admin})
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	waitForJobs(t, ts)

	rec = ts.do(request{method: http.MethodGet, path: Prefix + "/constraints?name=learned", header: operator})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	list := decode[page[store.Knowledge]](t, rec.Body.Bytes())
	require.Len(t, list.Items, 1)
	set := list.Items[0]
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/constraints/%d/activate", Prefix, set.ID), header: admin})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	faulty, err := gen.Generate(gen.Config{N: 22, Seed: 404, FaultRate: 1})
	require.NoError(t, err)
	for _, r := range faulty {
		if r.Faults[0].Kind != gen.ActiveContractWithoutMSISDN {
			continue
		}
		rec = ts.do(request{method: http.MethodPost, path: Prefix + "/validate", body: string(r.Doc), header: operator})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		report := decode[validation.Report](t, rec.Body.Bytes())
		require.NotEmpty(t, report.Versions.Constraints)
		require.True(t, slices.ContainsFunc(report.Violations, func(v validation.Violation) bool {
			return v.Source == validation.SourceConstraint && slices.Contains(v.Pointers, r.Faults[0].Pointer)
		}), "%s", report.Text())
	}
}

func TestValidationWithoutAModelSaysSo(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	doc := generateRecords(t, 1, 0)[0].Doc
	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/validate", body: string(doc), header: bearer(ts.bearers[auth.RoleOperator])})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	report := decode[validation.Report](t, rec.Body.Bytes())
	require.Empty(t, report.Learned.Model)
	require.Contains(t, report.Learned.Note, "no active model")
}
