package schema

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal([]byte(s), &doc))
	return doc
}

func TestValidate(t *testing.T) {
	t.Parallel()
	s, err := Compile("record.json", []byte(`{
  "type": "object",
  "required": ["id", "contract"],
  "properties": {
    "id": {"type": "string", "pattern": "^[0-9A-F]{32}$"},
    "contract": {"type": "array", "items": {
      "type": "object",
      "required": ["status"],
      "properties": {
        "status": {"enum": ["ContractActive", "ContractTerminated"]},
        "validFor": {"type": "object", "properties": {"startDateTime": {"type": "string", "format": "date-time"}}},
        "a/b": {"type": "integer"}
      }
    }}
  }
}`))
	require.NoError(t, err)
	require.Len(t, s.Version(), 12)

	require.Empty(t, s.Validate(decode(t, `{"id": "A4C123B1612DD272D1371C17149D4395", "contract": [{"status": "ContractActive"}]}`)))

	errs := s.Validate(decode(t, `{"id": "x", "contract": [
  {"status": "ContractActiv", "validFor": {"startDateTime": "yesterday"}},
  {"a/b": 1.5}
]}`))
	require.ElementsMatch(t, []Error{
		{Pointer: "/id", Keyword: "/properties/id/pattern", Message: "'x' does not match pattern '^[0-9A-F]{32}$'"},
		{Pointer: "/contract/0/status", Keyword: "/properties/contract/items/properties/status/enum", Message: "value must be one of 'ContractActive', 'ContractTerminated'"},
		{Pointer: "/contract/0/validFor/startDateTime", Keyword: "/properties/contract/items/properties/validFor/properties/startDateTime/format", Message: "'yesterday' is not valid date-time: less than 20 characters long"},
		{Pointer: "/contract/1", Keyword: "/properties/contract/items/required", Message: "missing property 'status'"},
		{Pointer: "/contract/1/a~1b", Keyword: "/properties/contract/items/properties/a~1b/type", Message: "got number, want integer"},
	}, errs)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	_, err := Compile("bad.json", []byte(`{"type": 12}`))
	require.ErrorContains(t, err, "schema: compile bad.json")
	_, err = Compile("bad.json", []byte(`{`))
	require.ErrorContains(t, err, "schema: read bad.json")
}

// corpus makes n small records that share a shape: ids, dates, statuses
// from a small vocabulary, optional members, numbers and nulls.
func corpus(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	statuses := []string{"ContractActive", "ContractSuspended", "ContractTerminated"}
	var docs []string
	for i := range n {
		optional := ""
		if i%3 == 0 {
			optional = fmt.Sprintf(`, "reason": "reason %d", "ratio": %v`, i, r.Float64())
		}
		docs = append(docs, fmt.Sprintf(`{
  "id": "%016X%016X",
  "spec": "%08x-7b1f-4c6a-9675-9ecb99edd4d1",
  "count": %d,
  "note": null,
  "contract": [
    {"id": "%016x%016x", "status": "%s", "validFor": {"startDateTime": "2025-05-%02dT13:05:56.037-03:00"}%s},
    {"id": "%08x-7b1f-4c6a-9675-9ecb99edd4d1", "status": "%s", "flags": [true, false], "tags": []}
  ]
}`, r.Uint64(), r.Uint64(), r.Uint32(), r.IntN(100), r.Uint64(), r.Uint64(), statuses[r.IntN(3)], 1+r.IntN(28), optional, r.Uint32(), statuses[r.IntN(3)]))
	}
	return docs
}

func TestInfer(t *testing.T) {
	t.Parallel()
	in := NewInferrer(InferOptions{EnumMaxValues: 5, EnumMinSamples: 20})
	docs := corpus(60)
	for _, d := range docs {
		in.Add(decode(t, d))
	}
	require.Equal(t, 60, in.Records())
	got := in.Schema()

	want := decode(t, `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "description": "Inferred from 60 records.",
  "type": "object",
  "required": ["contract", "count", "id", "note", "spec"],
  "properties": {
    "id": {"type": "string", "pattern": "^[0-9A-Fa-f]{32}$"},
    "spec": {"type": "string", "format": "uuid"},
    "count": {"type": "integer"},
    "note": {"type": "null"},
    "contract": {"type": "array", "items": {
      "type": "object",
      "required": ["id", "status"],
      "properties": {
        "id": {"type": "string", "pattern": "^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$"},
        "status": {"type": "string", "enum": ["ContractActive", "ContractSuspended", "ContractTerminated"]},
        "validFor": {"type": "object", "required": ["startDateTime"], "properties": {"startDateTime": {"type": "string", "format": "date-time"}}},
        "reason": {"type": "string"},
        "ratio": {"type": "number"},
        "flags": {"type": "array", "items": {"type": "boolean"}},
        "tags": {"type": "array"}
      }
    }}
  }
}`)
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, mustJSON(t, want), string(gotJSON))

	schemaJSON, err := in.JSON()
	require.NoError(t, err)
	s, err := Compile("inferred.json", schemaJSON)
	require.NoError(t, err)
	for i, d := range docs {
		require.Empty(t, s.Validate(decode(t, d)), "record %d", i)
	}
	bad := decode(t, `{"id": "nope", "spec": "x", "count": 1.5, "note": null, "contract": [{"id": "1", "status": "ACTIVE"}]}`)
	require.Len(t, s.Validate(bad), 5)
}

func TestInferEnumNeedsSamples(t *testing.T) {
	t.Parallel()
	in := NewInferrer(InferOptions{})
	for _, d := range corpus(10) {
		in.Add(decode(t, d))
	}
	items := in.Schema()["properties"].(map[string]any)["contract"].(map[string]any)["items"].(map[string]any)
	require.NotContains(t, items["properties"].(map[string]any)["status"], "enum", "20 samples are too few by default")

	in = NewInferrer(InferOptions{EnumMaxValues: -1, EnumMinSamples: 1})
	for _, d := range corpus(60) {
		in.Add(decode(t, d))
	}
	items = in.Schema()["properties"].(map[string]any)["contract"].(map[string]any)["items"].(map[string]any)
	require.NotContains(t, items["properties"].(map[string]any)["status"], "enum", "enums disabled")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// FuzzInfer holds inference to its promise: whatever records it sees, the
// schema accepts every one of them.
func FuzzInfer(f *testing.F) {
	f.Add([]byte(`{"a": [1, 2.5, "x", null, {"b": true}]}`), []byte(`{"a": [], "c": "2025-05-29T13:05:56.037-03:00"}`))
	f.Add([]byte(`["A4C123B1612DD272D1371C17149D4395", "05b4d756-7b1f-4c6a-9675-9ecb99edd4d1"]`), []byte(`"x"`))
	f.Add([]byte(`{"id": "A4C123B1612DD272D1371C17149D4395"}`), []byte(`{"id": 7}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var docs []any
		for _, data := range [][]byte{a, b} {
			var doc any
			if json.Unmarshal(data, &doc) == nil {
				docs = append(docs, doc)
			}
		}
		in := NewInferrer(InferOptions{EnumMaxValues: 3, EnumMinSamples: 1})
		for _, d := range docs {
			in.Add(d)
		}
		schemaJSON, err := in.JSON()
		require.NoError(t, err)
		s, err := Compile("inferred.json", schemaJSON)
		require.NoError(t, err, string(schemaJSON))
		for _, d := range docs {
			require.Empty(t, s.Validate(d), "schema %s", schemaJSON)
		}
	})
}
