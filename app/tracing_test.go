package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/httpapi"
	"github.com/pff/pff/store/storetest"
)

// TestAnUploadIsOneTraceFromRequestToValidationJob serves the API and
// works jobs as `pff serve` does, with tracing into memory: the upload's
// request span, the SQL it runs, the insert of its validation job and the
// job itself, with the job's SQL, are one trace, the job a child of the
// insert made by the request.
func TestAnUploadIsOneTraceFromRequestToValidationJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := config.Load(config.Sources{Environ: []string{"DATABASE_URL=" + storetest.NewDatabase(t), "PFF_JOBS__WORKERS=2"}})
	require.NoError(t, err)
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	s, err := startServices(ctx, cfg, discardLogger(), processOptions{workers: true, process: "serve", tracerProvider: provider})
	require.NoError(t, err)
	t.Cleanup(s.close)
	// The token versions' listener holds a connection until its context
	// ends, which must come before the pool closes (cleanups run last
	// first).
	listening, stopListening := context.WithCancel(ctx)
	t.Cleanup(stopListening)
	require.NoError(t, s.serveAccounts(listening))
	_, err = s.accounts.CreateUser(ctx, accounts.CreateUserRequest{Username: "ops", Email: "ops@example.com", Role: "operator", Password: testPassword})
	require.NoError(t, err)
	h, err := httpapi.New(s.httpDeps(config.BuildInfo{Version: "test"}))
	require.NoError(t, err)
	require.NoError(t, s.jobs.Start(ctx))
	t.Cleanup(s.stopJobs)

	serve := func(method, path, contentType, body, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := serve(http.MethodPost, httpapi.Prefix+"/auth/login", "application/json", `{"username":"ops","password":"`+testPassword+`"}`, "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var login struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &login))

	var ndjson bytes.Buffer
	for _, r := range generateRecords(t, 3, 0) {
		require.NoError(t, json.Compact(&ndjson, r.Doc))
		ndjson.WriteByte('\n')
	}
	rec = serve(http.MethodPost, httpapi.Prefix+"/records?name=export.ndjson", "application/x-ndjson", ndjson.String(), login.AccessToken)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	var upload tracetest.SpanStub
	require.Eventually(t, func() bool {
		for _, sp := range spans.GetSpans() {
			if sp.Name == "POST "+httpapi.Prefix+"/records" {
				upload = sp
			}
		}
		return upload.SpanContext.IsValid() && len(inTrace(spans.GetSpans(), upload.SpanContext.TraceID(), "river.work/validate_records")) > 0
	}, 30*time.Second, 20*time.Millisecond, "the upload's validation job is worked in the upload's trace")

	all := spans.GetSpans()
	traceID := upload.SpanContext.TraceID()
	require.Equal(t, trace.SpanKindServer, upload.SpanKind)
	require.Contains(t, upload.Attributes, attribute.String("http.route", httpapi.Prefix+"/records"))
	require.Contains(t, upload.Attributes, attribute.Int("http.response.status_code", http.StatusOK))

	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, sp := range all {
		byID[sp.SpanContext.SpanID()] = sp
	}
	// under is whether sp descends from the span named ancestor.
	under := func(sp tracetest.SpanStub, ancestor trace.SpanID) bool {
		for sp.Parent.IsValid() {
			if sp.Parent.SpanID() == ancestor {
				return true
			}
			parent, ok := byID[sp.Parent.SpanID()]
			if !ok {
				return false
			}
			sp = parent
		}
		return false
	}
	inserts := inTrace(all, traceID, "river.insert_many")
	require.NotEmpty(t, inserts, "the request's insert of the validation job is traced")
	require.True(t, under(inserts[0], upload.SpanContext.SpanID()), "the insert is part of the request")
	work := inTrace(all, traceID, "river.work/validate_records")[0]
	require.True(t, under(work, upload.SpanContext.SpanID()), "the job descends from the request that queued it")

	var requestSQL, jobSQL int
	for _, sp := range all {
		if sp.SpanContext.TraceID() != traceID || !hasAttr(sp.Attributes, "db.system.name") {
			continue
		}
		require.Regexp(t, `^([A-Z]+|batch|COPY "\w+")$`, sp.Name, "a statement's span is named by its operation alone")
		switch {
		case under(sp, work.SpanContext.SpanID()):
			jobSQL++
		case under(sp, upload.SpanContext.SpanID()):
			requestSQL++
		}
	}
	require.Positive(t, requestSQL, "the request's statements are spans of its trace")
	require.Positive(t, jobSQL, "the job's statements are spans under the job's")
	t.Logf("trace %s: %d spans, %d SQL in the request, %d in the job", traceID, len(inTrace(all, traceID, "")), requestSQL, jobSQL)
}

// inTrace are the spans of trace id, named name ("" for all).
func inTrace(spans tracetest.SpanStubs, id trace.TraceID, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, sp := range spans {
		if sp.SpanContext.TraceID() == id && (name == "" || sp.Name == name) {
			out = append(out, sp)
		}
	}
	return out
}

func hasAttr(attrs []attribute.KeyValue, key attribute.Key) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}
