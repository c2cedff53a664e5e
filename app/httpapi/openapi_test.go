package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// responseLog keeps the JSON responses a test server gave, to validate each
// against the schema the OpenAPI document declares for its route and status.
type responseLog struct {
	mu        sync.Mutex
	responses []recordedResponse
}

type recordedResponse struct {
	method, route string
	status        int
	body          []byte
}

// record keeps a JSON response of a registered route.
func (l *responseLog) record(e *echo.Echo, req *http.Request, rec *httptest.ResponseRecorder) {
	if !strings.HasPrefix(rec.Header().Get(echo.HeaderContentType), echo.MIMEApplicationJSON) || req.Method == http.MethodHead {
		return
	}
	c := e.NewContext(req, rec)
	e.Router().Find(req.Method, req.URL.Path, c)
	if c.Path() == "" || c.Path() == "/*" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.responses = append(l.responses, recordedResponse{method: req.Method, route: c.Path(), status: rec.Code, body: bytes.Clone(rec.Body.Bytes())})
}

// validated counts, across the package's tests, the routes whose success
// responses were validated against the document.
var validated sync.Map // "GET /api/v1/users" → true

// validate checks every recorded response against the document e serves.
func (l *responseLog) validate(t testing.TB, e *echo.Echo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.responses) == 0 {
		return
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Prefix+"/openapi.json", nil))
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err)
	compiler := jsonschema.NewCompiler()
	require.NoError(t, compiler.AddResource("openapi.json", doc))
	paths := doc.(map[string]any)["paths"].(map[string]any)
	for _, r := range l.responses {
		path := toOpenAPIPath(r.route)
		op, ok := paths[path].(map[string]any)[strings.ToLower(r.method)].(map[string]any)
		require.True(t, ok, "%s %s is not in the document", r.method, r.route)
		status := strconv.Itoa(r.status)
		if _, declared := op["responses"].(map[string]any)[status]; !declared {
			require.GreaterOrEqual(t, r.status, 400, "%s %s answered %d, which the document does not declare", r.method, r.route, r.status)
			status = "default"
		}
		pointer := "openapi.json#/paths/" + escapePointer(path) + "/" + strings.ToLower(r.method) + "/responses/" + status +
			"/content/application~1json/schema"
		schema, err := compiler.Compile(pointer)
		require.NoError(t, err, pointer)
		body, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
		require.NoError(t, err)
		if err := schema.Validate(body); err != nil {
			t.Errorf("%s %s %d: the response does not match the document: %v\n%s", r.method, r.route, r.status, err, r.body)
		}
		if r.status < 400 {
			validated.Store(r.method+" "+r.route, true)
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testing.Verbose() {
		var names []string
		validated.Range(func(k, _ any) bool {
			names = append(names, k.(string))
			return true
		})
		slices.Sort(names)
		fmt.Printf("OpenAPI: the success responses of %d routes were validated against the document: %s\n", len(names), strings.Join(names, ", "))
	}
	os.Exit(code)
}

func TestEveryExampleMatchesItsSchema(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	rec := ts.do(request{method: http.MethodGet, path: Prefix + "/openapi.json"})
	require.Equal(t, http.StatusOK, rec.Code)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err)
	compiler := jsonschema.NewCompiler()
	require.NoError(t, compiler.AddResource("openapi.json", doc))
	checked := 0
	for path, ops := range doc.(map[string]any)["paths"].(map[string]any) {
		for method, op := range ops.(map[string]any) {
			var bodies []string
			if _, ok := op.(map[string]any)["requestBody"]; ok {
				bodies = append(bodies, "requestBody")
			}
			for status := range op.(map[string]any)["responses"].(map[string]any) {
				bodies = append(bodies, "responses/"+status)
			}
			for _, b := range bodies {
				at := "/paths/" + escapePointer(path) + "/" + method + "/" + b + "/content/application~1json"
				media, ok := lookup(doc, at)
				if !ok {
					continue
				}
				example, ok := media.(map[string]any)["example"]
				if !ok {
					require.True(t, strings.HasPrefix(b, "responses/4") || b == "responses/default", "%s %s %s has no example", method, path, b)
					continue
				}
				schema, err := compiler.Compile("openapi.json#" + at + "/schema")
				require.NoError(t, err)
				require.NoError(t, schema.Validate(example), "%s %s %s: the example does not match its schema", method, path, b)
				checked++
			}
		}
	}
	require.Positive(t, checked)
}

func lookup(doc any, pointer string) (any, bool) {
	for _, part := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, false
		}
		if doc, ok = m[part]; !ok {
			return nil, false
		}
	}
	return doc, true
}

func TestOpenAPIDescribesEmbeddedStructsFlatAndKeysInSnakeCase(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(ts.do(request{method: http.MethodGet, path: Prefix + "/openapi.json"}).Body.Bytes(), &doc))
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	result := schemas["RecordsResult"].(map[string]any)["properties"].(map[string]any)
	require.Contains(t, result, "inserted", "store.WriteResult's fields are in line, as encoding/json writes them")
	require.NotContains(t, result, "WriteResult")
	triples := schemas["RecordsTriples"].(map[string]any)["properties"].(map[string]any)
	require.Contains(t, triples, "triples")
	require.NotContains(t, triples, "Graph")
	active := schemas["StoreActiveKnowledge"].(map[string]any)["properties"].(map[string]any)
	for key := range active {
		require.Equal(t, strings.ToLower(key), key, "knowledge keys are snake_case")
	}
	violation := schemas["ValidationViolation"].(map[string]any)["properties"].(map[string]any)
	bindings, err := json.Marshal(violation["bindings"])
	require.NoError(t, err)
	require.Contains(t, string(bindings), `{"additionalProperties":{"type":"string"},"type":"object"}`,
		"bindings are an object in JSON, though a slice in Go")
}
