package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

func decodeBody[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v), rec.Body.String())
	return v
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

const (
	ruleTSV       = "10\t9\t0.9\tstatus(A,'ContractSuspended') <= type(A,'contract')\n"
	duplicateTSVs = ruleTSV + "10\t9\t0.8\tstatus(B,'ContractSuspended') <= type(B,'contract')\n"
)

func TestKnowledgeVersionsThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin, viewer := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleViewer])
	create := func(body any) *httptest.ResponseRecorder {
		return ts.do(request{method: http.MethodPost, path: "/api/v1/rules", body: jsonBody(t, body), header: admin})
	}

	rec := create(knowledge.CreateRequest{Name: "core", Content: ruleTSV})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	v1 := decodeBody[knowledge.Created](t, rec)
	require.Equal(t, store.Knowledge{ID: v1.ID, Kind: "rules", Name: "core", Version: 1, Format: "tsv", SHA256: v1.SHA256,
		Size: len(ruleTSV), CreatedBy: "user:" + ts.ids[auth.RoleAdmin], CreatedAt: v1.CreatedAt, Mode: "add"}, v1.Knowledge)

	rec = create(knowledge.CreateRequest{Name: "core", Format: "tsv", Content: duplicateTSVs})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	v2 := decodeBody[knowledge.Created](t, rec)
	require.Equal(t, 2, v2.Version)
	require.Len(t, v2.Notes, 1)
	require.Equal(t, knowledge.Problem{Line: 2, Column: 1, Severity: "note", Message: v2.Notes[0].Message}, v2.Notes[0])
	require.Contains(t, v2.Notes[0].Message, "will be merged")

	rec = create(knowledge.CreateRequest{Name: "core", Content: duplicateTSVs})
	require.Equal(t, http.StatusOK, rec.Code, "the same content again is the same version")
	require.Equal(t, v2.Knowledge, decodeBody[knowledge.Created](t, rec).Knowledge)

	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/rules?name=core", header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	list := decodeBody[page[store.Knowledge]](t, rec)
	require.Len(t, list.Items, 2)
	require.Equal(t, v2.ID, list.Items[0].ID, "newest first")
	require.Empty(t, list.Items[0].Content)
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/rules?limit=1", header: viewer})
	first := decodeBody[page[store.Knowledge]](t, rec)
	require.NotNil(t, first.NextCursor)
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/rules?limit=1&cursor=" + *first.NextCursor, header: viewer})
	require.Equal(t, v1.ID, decodeBody[page[store.Knowledge]](t, rec).Items[0].ID)

	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("/api/v1/rules/%d", v1.ID), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, ruleTSV, decodeBody[store.Knowledge](t, rec).Content)
	for _, path := range []string{fmt.Sprintf("/api/v1/schemas/%d", v1.ID), "/api/v1/rules/abc", "/api/v1/rules/999999"} {
		rec = ts.do(request{method: http.MethodGet, path: path, header: viewer})
		require.Equal(t, http.StatusNotFound, rec.Code, path)
	}
}

func TestKnowledgeUploadsAreLinted(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin := bearer(ts.bearers[auth.RoleAdmin])
	tests := []struct {
		name, path string
		body       knowledge.CreateRequest
		want       []knowledge.Problem
	}{
		{"rule syntax", "/api/v1/rules", knowledge.CreateRequest{Name: "r", Content: ruleTSV + "1\t1\t0.5\tp(A,B) <= q(A,\n"},
			[]knowledge.Problem{{Line: 2, Column: 23, Severity: "error"}}},
		{"json rules", "/api/v1/rules", knowledge.CreateRequest{Name: "r", Content: "{\n  \"cat\": [{\"id\": \"x\", \"confidence\": 7, \"pattern\": \"p(A,B) <= q(A,B)\"}]\n}"},
			[]knowledge.Problem{{Line: 2, Column: 37, Severity: "error", Message: "confidence must be between 0 and 1, found 7"}}},
		{"empty rule set", "/api/v1/rules", knowledge.CreateRequest{Name: "r", Format: "json", Content: "{}"},
			[]knowledge.Problem{{Line: 1, Column: 1, Severity: "error", Message: "no rules"}}},
		{"check expression", "/api/v1/checks", knowledge.CreateRequest{Name: "c",
			Content: "checks:\n  - id: c\n    category: x\n    confidence: 0.9\n    description: d\n    target: contract\n    expr: 'this.id +'\n"},
			[]knowledge.Problem{{Line: 7, Severity: "error"}}},
		{"schema keyword", "/api/v1/schemas", knowledge.CreateRequest{Name: "s", Content: "{\n  \"type\": \"strin\"\n}"},
			[]knowledge.Problem{{Line: 2, Column: 11, Severity: "error", Message: "value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'"}}},
		{"schema syntax", "/api/v1/schemas", knowledge.CreateRequest{Name: "s", Content: "{\"type\": }"},
			[]knowledge.Problem{{Line: 1, Column: 10, Severity: "error"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := ts.do(request{method: http.MethodPost, path: tt.path, body: jsonBody(t, tt.body), header: admin})
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			body := decodeBody[struct {
				Error struct {
					Code    string              `json:"code"`
					Details []knowledge.Problem `json:"details"`
				} `json:"error"`
			}](t, rec)
			require.Equal(t, "lint_failed", body.Error.Code)
			require.Len(t, body.Error.Details, len(tt.want), rec.Body.String())
			for i, want := range tt.want {
				got := body.Error.Details[i]
				require.Equal(t, want.Line, got.Line, got.Message)
				if want.Column != 0 {
					require.Equal(t, want.Column, got.Column, got.Message)
				}
				if want.Message != "" {
					require.Equal(t, want.Message, got.Message)
				}
				require.Equal(t, want.Severity, got.Severity)
			}
		})
	}

	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/checks", header: admin,
		body: jsonBody(t, knowledge.CreateRequest{Name: "../x", Format: "json", Content: ""})})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "validation_failed", errorCode(t, rec))
	for _, field := range []string{`"name"`, `"content"`, `"format"`} {
		require.Contains(t, rec.Body.String(), field)
	}
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/checks", header: admin,
		body: jsonBody(t, knowledge.CreateRequest{Name: "x", Format: "yaml", Content: "bad\x00"})})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), `"content"`)
}

func TestKnowledgeActivationThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin, viewer := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleViewer])
	upload := func(path string, body knowledge.CreateRequest) store.Knowledge {
		rec := ts.do(request{method: http.MethodPost, path: path, body: jsonBody(t, body), header: admin})
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		return decodeBody[knowledge.Created](t, rec).Knowledge
	}
	active := func() knowledge.Active {
		rec := ts.do(request{method: http.MethodGet, path: "/api/v1/knowledge", header: viewer})
		require.Equal(t, http.StatusOK, rec.Code)
		return decodeBody[knowledge.Active](t, rec)
	}
	defaults := active()
	require.Nil(t, defaults.Schema)
	require.Nil(t, defaults.Rules)
	require.NotEmpty(t, defaults.Versions.Rules, "the embedded defaults")
	require.Empty(t, defaults.Versions.Schema)

	r1 := upload("/api/v1/rules", knowledge.CreateRequest{Name: "core", Content: ruleTSV})
	r2 := upload("/api/v1/rules", knowledge.CreateRequest{Name: "core", Content: duplicateTSVs})
	s1 := upload("/api/v1/schemas", knowledge.CreateRequest{Name: "records", Content: `{"type": "object"}`})

	rec := ts.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/rules/%d/activate", r1.ID), header: bearer(ts.bearers[auth.RoleOperator])})
	require.Equal(t, http.StatusForbidden, rec.Code, "admins manage knowledge")
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/schemas/%d/activate", r1.ID), header: admin})
	require.Equal(t, http.StatusNotFound, rec.Code, "a rule set is no schema")
	for _, k := range []store.Knowledge{r1, s1} {
		rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/%s/%d/activate", map[string]string{"rules": "rules", "schema": "schemas"}[k.Kind], k.ID), header: admin})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.True(t, decodeBody[store.Knowledge](t, rec).Active)
	}
	now := active()
	require.Equal(t, r1.ID, now.Rules.ID)
	require.Equal(t, s1.ID, now.Schema.ID)
	require.Equal(t, s1.SHA256[:12], now.Versions.Schema)
	require.NotEqual(t, defaults.Versions.Rules, now.Versions.Rules)

	rec = ts.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/rules/%d", r1.ID), header: admin})
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Equal(t, "active", errorCode(t, rec))
	rec = ts.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/rules/%d", r2.ID), header: admin})
	require.Equal(t, http.StatusNoContent, rec.Code)
	rec = ts.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/rules/%d", r2.ID), header: admin})
	require.Equal(t, http.StatusNotFound, rec.Code)

	for _, path := range []string{"/api/v1/rules/active", "/api/v1/schemas/active"} {
		rec = ts.do(request{method: http.MethodDelete, path: path, header: admin})
		require.Equal(t, http.StatusNoContent, rec.Code, path)
	}
	require.Equal(t, defaults.Versions, active().Versions, "back to the defaults and no schema")
	rec = ts.do(request{method: http.MethodDelete, path: fmt.Sprintf("/api/v1/rules/%d", r1.ID), header: admin})
	require.Equal(t, http.StatusNoContent, rec.Code)
}

func TestInferSchemaThroughTheAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	operator := bearer(ts.bearers[auth.RoleOperator])
	var ndjson strings.Builder
	_, err := gen.WriteNDJSON(context.Background(), &ndjson, io.Discard, gen.Config{N: 3, Seed: 4})
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(ndjson.String()), "\n")
	array := "[\n" + strings.Join(lines, ",\n") + "\n]"

	var inferred []map[string]any
	for _, body := range []string{ndjson.String(), array} {
		rec := ts.do(request{method: http.MethodPost, path: "/api/v1/schemas/infer?enum_max=-1", body: body, contentType: "application/x-ndjson", header: operator})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		s := decodeBody[map[string]any](t, rec)
		require.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
		inferred = append(inferred, s)
	}
	require.Equal(t, inferred[0], inferred[1], "NDJSON and an array are the same records")

	// The inferred schema uploads as it is.
	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/schemas", header: bearer(ts.bearers[auth.RoleAdmin]),
		body: jsonBody(t, knowledge.CreateRequest{Name: "inferred", Content: jsonBody(t, inferred[0])})})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())

	tests := []struct {
		name, body, query, wantCode string
	}{
		{"empty", "", "", "no_records"},
		{"empty array", " [ ] ", "", "no_records"},
		{"not an object", `{"id": "a"}` + "\n3\n", "", "invalid_record"},
		{"malformed", `{"id": "a"}` + "\n{\"id\": x}\n", "", "invalid_json"},
		{"unclosed array", `[{"id": "a"}`, "", "invalid_json"},
		{"bad enum_max", `{"id": "a"}`, "?enum_max=many", "validation_failed"},
	}
	for _, tt := range tests {
		rec := ts.do(request{method: http.MethodPost, path: "/api/v1/schemas/infer" + tt.query, body: tt.body, header: operator})
		require.Equal(t, http.StatusBadRequest, rec.Code, tt.name)
		require.Equal(t, tt.wantCode, errorCode(t, rec), tt.name)
	}
}

func TestActivatedKnowledgeJudgesRecordsAtOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin, operator := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleOperator])
	g, err := gen.New(gen.Config{N: 1, Seed: 3})
	require.NoError(t, err)
	record, _ := g.Next()
	validate := func() validation.Report {
		rec := ts.do(request{method: http.MethodPost, path: "/api/v1/validate", body: string(record.Doc), header: operator})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return decodeBody[validation.Report](t, rec)
	}
	require.Equal(t, validation.Accept, validate().Decision)

	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/schemas", header: admin,
		body: jsonBody(t, knowledge.CreateRequest{Name: "strict", Content: `{"required": ["nickname"]}`})})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	schema := decodeBody[knowledge.Created](t, rec)
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("/api/v1/schemas/%d/activate", schema.ID), header: admin})
	require.Equal(t, http.StatusOK, rec.Code)

	report := validate()
	require.NotEqual(t, validation.Accept, report.Decision, "the activation is seen by the next request, not a Recheck later")
	require.Len(t, report.SchemaErrors, 1)
	require.Equal(t, schema.SHA256[:12], report.Versions.Schema)
}
