package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseJSON(t *testing.T) {
	t.Parallel()
	src := `{
  "Consistency": [
    {"id": "r1", "confidence": 0.9, "description": "active contracts have products",
     "pattern": "product(A,B) <= status(A,'ContractActive')"},
    {"id": "r2", "confidence": 1, "pattern": "status(A,'suspended') <= status(B,'BARRED'), paymentMethod(A,B)"}
  ],
  "Other": []
}`
	rules, diags := ParseJSON("rules.json", []byte(src))
	require.Empty(t, diags)
	require.Len(t, rules, 2)
	require.Equal(t, Rule{
		ID:          "r1",
		Category:    "Consistency",
		Confidence:  0.9,
		Description: "active contracts have products",
		Head:        Atom{"product", Var("A"), Var("B")},
		Body:        []Atom{{"status", Var("A"), Const("ContractActive")}},
		Pos:         Position{File: "rules.json", Line: 3, Col: 5},
	}, rules[0])
	require.Equal(t, "r2", rules[1].ID)
	require.Equal(t, 1.0, rules[1].Confidence)
}

func TestParseJSONDiagnostics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		diags []Diagnostic
		kept  int
	}{
		{
			name: "pattern error at its column in the file",
			src: `{"C": [
  {"id": "a", "confidence": 0.5, "pattern": "p(A,B) <= q(A B)"}
]}`,
			diags: []Diagnostic{{Pos: Position{"f.json", 2, 61}, Msg: `pattern: expected "," between the two terms of q`}},
		},
		{
			name: "every error of every rule, good rules kept",
			src: `{"C": [
  {"id": "a", "confidence": 2, "pattern": "p(A,B) <= q(A,B)"},
  {"confidence": 0.5, "pattern": "p(A,B) <= q(A,B)"},
  {"id": "a", "confidence": "high", "pattern": 3},
  {"id": "ok", "confidence": 0.5, "pattern": "p(A,B) <= q(A,B)", "support": 7}
]}`,
			diags: []Diagnostic{
				{Pos: Position{"f.json", 2, 29}, Msg: "confidence must be between 0 and 1, found 2"},
				{Pos: Position{"f.json", 3, 3}, Msg: "rule has no id"},
				{Pos: Position{"f.json", 4, 10}, Msg: `duplicate id "a" (first at f.json:2:10)`},
				{Pos: Position{"f.json", 4, 29}, Msg: "confidence must be a number, found a string"},
				{Pos: Position{"f.json", 4, 48}, Msg: "pattern must be a string, found the number 3"},
				{Pos: Position{"f.json", 5, 66}, Severity: Note, Msg: `unknown field "support" ignored`},
			},
			kept: 1,
		},
		{
			name: "empty body is skipped with a note",
			src:  `{"C": [{"id": "a", "confidence": 0.5, "pattern": "p(A,x) <= "}]}`,
			diags: []Diagnostic{{Pos: Position{"f.json", 1, 50}, Severity: Note,
				Msg: "rule p(A,'x') has an empty body: it states a fact, not a check; skipped"}},
		},
		{
			name: "disconnected body",
			src:  `{"C": [{"id": "a", "confidence": 0.5, "pattern": "p(A,B) <= q(A,x), r(B,y)"}]}`,
			diags: []Diagnostic{{Pos: Position{"f.json", 1, 50},
				Msg: "body atoms q(A,'x') and r(B,'y') share no variable, so the body is a cross product; connect them"}},
		},
		{
			name:  "not an object",
			src:   `[1]`,
			diags: []Diagnostic{{Pos: Position{"f.json", 1, 1}, Msg: `expected an object {"Category": [rules...]}, found an array`}},
		},
		{
			name:  "category is not an array, next category still read",
			src:   `{"C": {"id": 1}, "D": [{"id": "d", "confidence": 0.1, "pattern": "p(A,B) <= q(A,B)"}]}`,
			diags: []Diagnostic{{Pos: Position{"f.json", 1, 7}, Msg: `category "C": expected an array of rules, found an object`}},
			kept:  1,
		},
		{
			name:  "syntax error ends the file",
			src:   "{\"C\": [\n  {\"id\": \"a\",, }\n]}",
			diags: []Diagnostic{{Pos: Position{"f.json", 2, 13}, Msg: "invalid JSON: invalid character ',' looking for beginning of object key string"}},
		},
		{
			name:  "truncated",
			src:   `{"C": [`,
			diags: []Diagnostic{{Pos: Position{"f.json", 1, 8}, Msg: "invalid JSON: unexpected EOF"}},
		},
		{
			name:  "trailing data",
			src:   `{} {}`,
			diags: []Diagnostic{{Pos: Position{"f.json", 1, 5}, Msg: "unexpected data after the top-level object"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, diags := ParseJSON("f.json", []byte(tt.src))
			require.Equal(t, Diagnostics(tt.diags), diags)
			require.Len(t, rules, tt.kept)
		})
	}
}

func TestParseJSONEscapedPatternPointsAtString(t *testing.T) {
	t.Parallel()
	src := `{"C": [{"id": "a", "confidence": 0.5, "pattern": "p(A,\"x) <= q(A,B)"}]}`
	_, diags := ParseJSON("f.json", []byte(src))
	require.Len(t, diags, 1)
	require.Equal(t, Position{"f.json", 1, 50}, diags[0].Pos)
	require.Error(t, diags.Err())
}
