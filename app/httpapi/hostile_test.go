package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/store"
)

// hostileValue is what a prober puts in a parameter or field: raw is the
// value's bytes, token its JSON text when it is not a string.
type hostileValue struct {
	name, raw string
	token     string
}

var hostileValues = []hostileValue{
	{name: "NUL", raw: "a\x00b"},
	{name: "invalid UTF-8", raw: "\xff\xfe\xfd"},
	{name: "NaN", raw: "NaN", token: "NaN"},
	{name: "-1", raw: "-1", token: "-1"},
	{name: "1e400", raw: "1e400", token: "1e400"},
	{name: "10,000 characters", raw: strings.Repeat("x", 10_000)},
	{name: "quotes", raw: `'"; DROP TABLE users; --`},
	{name: "control characters", raw: "\x01\x1b[31m\r\n"},
	{name: "null", raw: "null", token: "null"},
	{name: "object", raw: "{}", token: "{}"},
}

// notText: v cannot be stored as text.
func (v hostileValue) notText() bool { return v.name == "NUL" || v.name == "invalid UTF-8" }

// notParam: v cannot be a name, id or filter.
func (v hostileValue) notParam() bool { return v.notText() || v.name == "control characters" }

// documentRoutes read their bodies as records, which name problems by line
// and column rather than by field.
var documentRoutes = map[string]bool{
	"POST " + Prefix + "/records": true, "POST " + Prefix + "/validate": true, "POST " + Prefix + "/schemas/infer": true,
}

// lastName is the last part of a field's path: head of triples[0].head.
func lastName(path string) string {
	path = path[strings.LastIndexByte(path, '.')+1:]
	if i := strings.IndexByte(path, '['); i > 0 {
		path = path[:i]
	}
	return path
}

// jsonToken is v as a JSON value: its token, or a string literal that
// keeps invalid UTF-8 as it is, as a hostile client would send it.
func (v hostileValue) jsonToken() string {
	if v.token != "" {
		return v.token
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v.raw); i++ {
		switch c := v.raw[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// hostileCase is one request of the walk.
type hostileCase struct {
	what string
	// param names the parameter or field that is hostile.
	param string
	// mustName: the value is not text (NUL, invalid UTF-8, or control
	// characters in a parameter), which must be a 400 naming param.
	mustName    bool
	path        string
	body        string
	contentType string
}

var pathParam = regexp.MustCompile(`:[A-Za-z_]+`)

// hostileCases are the requests that put each hostile value in each path
// and query parameter and each body field of r, one place at a time.
func hostileCases(t *testing.T, r route) []hostileCase {
	t.Helper()
	plainPath := pathParam.ReplaceAllString(r.Path, "1")
	body, contentType := exampleBody(t, r)
	var cases []hostileCase
	for _, param := range pathParam.FindAllString(r.Path, -1) {
		for _, v := range hostileValues {
			path := strings.Replace(r.Path, param, url.PathEscape(v.raw), 1)
			path = pathParam.ReplaceAllString(path, "1")
			cases = append(cases, hostileCase{what: "path " + param + " = " + v.name, param: param[1:], mustName: v.notParam(), path: path, body: body, contentType: contentType})
		}
	}
	for _, q := range r.Query {
		for _, v := range hostileValues {
			cases = append(cases, hostileCase{what: "query " + q.Name + " = " + v.name, param: q.Name, mustName: v.notParam(),
				path: plainPath + "?" + url.Values{q.Name: {v.raw}}.Encode(), body: body, contentType: contentType})
		}
	}
	for _, b := range hostileBodies(t, r) {
		b.path = plainPath
		cases = append(cases, b)
	}
	if len(cases) == 0 {
		cases = append(cases, hostileCase{what: "as documented", path: plainPath, body: body, contentType: contentType})
	}
	return cases
}

// exampleBody is the route's documented request, as sent.
func exampleBody(t *testing.T, r route) (body, contentType string) {
	t.Helper()
	switch example := r.Request.(type) {
	case nil:
		return "", ""
	case string:
		return example, r.RequestType
	default:
		data, err := json.Marshal(example)
		require.NoError(t, err)
		return string(data), echo.MIMEApplicationJSON
	}
}

const hostileMarker = "\u0001hostile\u0001"

// hostileBodies put each hostile value in each field of the route's example
// body (JSON or form), and send bodies that are hostile as a whole.
func hostileBodies(t *testing.T, r route) []hostileCase {
	t.Helper()
	if r.Request == nil {
		return nil
	}
	var cases []hostileCase
	if form, ok := r.Request.(string); ok && r.RequestType == echo.MIMEApplicationForm {
		values, err := url.ParseQuery(form)
		require.NoError(t, err)
		for field := range values {
			for _, v := range hostileValues {
				changed := url.Values{}
				for k, vs := range values {
					changed[k] = slices.Clone(vs)
				}
				changed.Set(field, v.raw)
				cases = append(cases, hostileCase{what: "form " + field + " = " + v.name, param: field, mustName: v.notText(), body: changed.Encode(), contentType: r.RequestType})
			}
		}
		return cases
	}
	example, contentType := exampleBody(t, r)
	if contentType != echo.MIMEApplicationJSON {
		return nil
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(example))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&doc))
	for _, at := range jsonPaths(doc, "") {
		replaced := replaceAt(doc, at.steps)
		data, err := json.Marshal(replaced)
		require.NoError(t, err)
		quoted, err := json.Marshal(hostileMarker)
		require.NoError(t, err)
		for _, v := range hostileValues {
			body := strings.Replace(string(data), string(quoted), v.jsonToken(), 1)
			cases = append(cases, hostileCase{what: "field " + at.name + " = " + v.name, param: at.name, mustName: v.notText(), body: body, contentType: contentType})
		}
	}
	for _, v := range []string{"\x00", "\xff\xfe", "NaN", "-1", `"` + strings.Repeat("x", 10_000) + `"`} {
		cases = append(cases, hostileCase{what: fmt.Sprintf("body %q", truncate(v)), body: v, contentType: contentType})
	}
	return cases
}

func truncate(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

type jsonPath struct {
	name  string
	steps []any // string keys and int indexes
}

// jsonPaths lists every value in doc, containers included, by path.
func jsonPaths(doc any, name string) []jsonPath {
	var out []jsonPath
	var walk func(v any, name string, steps []any)
	walk = func(v any, name string, steps []any) {
		if len(steps) > 0 {
			out = append(out, jsonPath{name: name, steps: slices.Clone(steps)})
		}
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				walk(child, strings.TrimPrefix(name+"."+k, "."), append(steps, k))
			}
		case []any:
			if len(v) > 0 {
				walk(v[0], name+"[0]", append(steps, 0))
			}
		}
	}
	walk(doc, name, nil)
	return out
}

// replaceAt is a copy of doc with the value at steps replaced by the marker.
func replaceAt(doc any, steps []any) any {
	if len(steps) == 0 {
		return hostileMarker
	}
	switch v := doc.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, child := range v {
			out[k] = child
		}
		key := steps[0].(string)
		out[key] = replaceAt(v[key], steps[1:])
		return out
	case []any:
		out := slices.Clone(v)
		out[0] = replaceAt(v[0], steps[1:])
		return out
	}
	return doc
}

// TestHostileInputOnEveryRoute walks the whole route table, as mounted, with
// NUL bytes, invalid UTF-8, odd numbers, long and quoted strings in every
// path and query parameter and every body field: no answer is a 5xx, every
// error has the API's shape, and every mutating call leaves its audit entry.
func TestHostileInputOnEveryRoute(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) {
		cfg.RateLimit.AuthPerMinute = 1_000_000
		cfg.RateLimit.ReadPerMinute = 1_000_000
		cfg.RateLimit.WritePerMinute = 1_000_000
	})
	ctx := context.Background()
	adminID := ts.ids[auth.RoleAdmin]
	require.NotEmpty(t, ts.api.table)
	registered := map[string]bool{}
	for _, r := range ts.e.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	walked, mutating := map[string]bool{}, 0
	for _, r := range ts.api.table {
		walked[r.Method+" "+r.Path] = true
		for _, c := range hostileCases(t, r) {
			// Logout and password changes revoke the admin's tokens: each
			// request gets a fresh one.
			user, err := ts.store.UserByID(ctx, adminID)
			require.NoError(t, err)
			token, _, err := ts.tokens.Issue(adminID, auth.RoleAdmin, user.TokenVersion)
			require.NoError(t, err)
			req := httptest.NewRequest(r.Method, "/", strings.NewReader(c.body))
			req.URL, err = url.Parse(c.path)
			require.NoError(t, err, c.path)
			req.RequestURI = c.path
			if c.body != "" {
				req.Header.Set(echo.HeaderContentType, c.contentType)
			}
			req.Header.Set(echo.HeaderAuthorization, "Bearer "+token)
			rec := httptest.NewRecorder()
			ts.e.ServeHTTP(rec, req)
			name := fmt.Sprintf("%s %s: %s", r.Method, r.Path, c.what)
			require.Less(t, rec.Code, 500, "%s: %s", name, rec.Body.String())
			// A body announced too large is refused before anyone is
			// authenticated, so it is not audited; every other mutating call is.
			if r.mutating() && r.group() != groupNone && rec.Code != http.StatusRequestEntityTooLarge {
				mutating++
			}
			if rec.Code < 400 || r.Method == http.MethodHead {
				continue
			}
			var shape struct {
				Error *struct {
					Code      *string `json:"code"`
					Message   *string `json:"message"`
					RequestID *string `json:"request_id"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &shape), "%s: %s", name, rec.Body.String())
			require.NotNil(t, shape.Error, name)
			require.NotNil(t, shape.Error.Code, name)
			require.NotNil(t, shape.Error.Message, name)
			require.NotNil(t, shape.Error.RequestID, name)
			require.NotEmpty(t, *shape.Error.Code, name)
			require.NotEmpty(t, *shape.Error.RequestID, name)
			if c.mustName && !documentRoutes[r.Method+" "+r.Path] {
				require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", name, rec.Body.String())
				require.Contains(t, rec.Body.String(), lastName(c.param), "%s: the answer names the parameter", name)
			}
		}
	}
	require.Equal(t, registered, walked, "the walk covers exactly the mounted routes")

	entries := 0
	for filter := (store.AuditFilter{Limit: 1000}); ; {
		page, err := ts.store.ListAudit(ctx, filter)
		require.NoError(t, err)
		entries += len(page)
		if len(page) < filter.Limit {
			break
		}
		filter.Before = page[len(page)-1].ID
	}
	require.Equal(t, mutating, entries, "every mutating call has its audit entry, hostile or not")
}
