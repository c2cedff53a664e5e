package schema

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A schema may refer inside itself and to schemas stored in PFF, and to
// nothing else: a $ref is no way to read the server's files or to make it
// fetch a URL, and the error is the same whether or not the target exists.
func TestCompileFollowsNoFileOrNetworkReference(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A file that holds a valid schema, which must still not be read.
	readable := filepath.Join(dir, "valid.json")
	require.NoError(t, os.WriteFile(readable, []byte(`{"type": "object"}`), 0o600))
	// A FIFO blocks whoever opens it until a writer comes: it hung a request.
	// (Windows has none: there the reference is to a missing file.)
	fifo := filepath.Join(dir, "fifo.json")
	mkfifo(t, fifo)
	var hits atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"type": "string"}`))
	}))
	t.Cleanup(server.Close)

	targets := map[string]string{
		"an existing file":         "file:///etc/passwd",
		"a missing file":           "file:///nonexistent/passwd",
		"a readable schema file":   "file://" + filepath.ToSlash(readable),
		"a FIFO":                   "file://" + filepath.ToSlash(fifo),
		"a URL":                    server.URL + "/schema.json",
		"a relative file":          "other.json",
		"a path":                   "/etc/passwd",
		"an unknown stored schema": "mem:///missing.json",
	}
	want := func(target string) string {
		return `schema: compile record.json: $ref "` + target + `" is not followed: only references within the schema and to schemas stored in PFF are`
	}
	for name, target := range targets {
		// A $ref is resolved against the schema's URL, mem:///record.json;
		// a $schema is taken as it is.
		resolved := target
		switch target {
		case "other.json":
			resolved = "mem:///other.json"
		case "/etc/passwd":
			resolved = "mem:///etc/passwd"
		}
		for _, c := range []struct{ doc, url string }{
			{`{"properties": {"id": {"$ref": "` + target + `"}}}`, resolved},
			{`{"$schema": "` + target + `"}`, target},
		} {
			t.Run(name+" "+c.doc, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				_, err := Compile("record.json", []byte(c.doc))
				require.Less(t, time.Since(start), 2*time.Second)
				require.EqualError(t, err, want(c.url), "the same words whether or not the target exists")
				var refused *RefError
				require.ErrorAs(t, err, &refused)
			})
		}
	}
	require.Zero(t, hits.Load(), "no request was made")
}

func TestCompileFollowsReferencesWithinTheSchemaAndToStoredSchemas(t *testing.T) {
	t.Parallel()
	stored := map[string][]byte{
		"msisdn.json": []byte(`{"type": "string", "pattern": "^[0-9]{10,15}$", "$defs": {"short": {"maxLength": 3}}}`),
	}
	s, err := CompileWith("record.json", []byte(`{
  "$defs": {"id": {"type": "string", "minLength": 1}},
  "properties": {
    "id": {"$ref": "#/$defs/id"},
    "msisdn": {"$ref": "msisdn.json"},
    "code": {"$ref": "mem:///msisdn.json#/$defs/short"}
  }
}`), stored)
	require.NoError(t, err)
	require.Empty(t, s.Validate(decode(t, `{"id": "a", "msisdn": "5511987654321", "code": "ab"}`)))
	errs := s.Validate(decode(t, `{"id": "", "msisdn": "55x", "code": "abcd"}`))
	require.Len(t, errs, 3)

	_, err = CompileWith("record.json", []byte(`{"$ref": "other.json"}`), stored)
	require.EqualError(t, err, `schema: compile record.json: $ref "mem:///other.json" is not followed: only references within the schema and to schemas stored in PFF are`)
	_, err = CompileWith("record.json", []byte(`{"$ref": "msisdn.json"}`), map[string][]byte{"msisdn.json": []byte(`{`)})
	require.ErrorContains(t, err, `schema: compile record.json: stored schema "msisdn.json": `)
	_, err = Compile("record.json", []byte(`{"$ref": "#/$defs/missing"}`))
	require.ErrorContains(t, err, "schema: compile record.json")
	require.True(t, strings.Contains(err.Error(), "$defs/missing"), err.Error())
}
