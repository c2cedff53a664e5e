package rules

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		"product(A,B) <= status(A,'ContractActive')",
		`p(X,"a,b") <= q(X,'it\'s'), r(X,A4C123B1612DD272D1371C17149D4395)`,
		"gender(X,female) <= ",
		"p(A,B <= q(A,B)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		head, body, err := ParsePattern(pattern)
		if err != nil {
			se, ok := errors.AsType[*SyntaxError](err)
			require.True(t, ok, "%T", err)
			require.True(t, se.Offset >= 0 && se.Offset <= len(pattern), "offset %d", se.Offset)
			return
		}
		again := Rule{Head: head, Body: body}.Pattern()
		head2, body2, err := ParsePattern(again)
		require.NoError(t, err, again)
		require.Equal(t, head, head2)
		require.Equal(t, len(body), len(body2))
		for i := range body {
			require.Equal(t, body[i], body2[i])
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"C": [{"id": "a", "confidence": 0.5, "description": "d", "pattern": "p(A,B) <= q(A,B), r(B,'x')"}]}`))
	f.Add([]byte(`{"C": [{"id": "a", "confidence": 2, "pattern": "p(A,B) <= "}, {"x": [1, {"y": null}]}], "D": {}}`))
	f.Add([]byte("{\"C\": [\n{\"id\": \"\\u00e9\", \"pattern\": \"p(A,\\\"x) <= q(A,B)\"}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, diags := ParseJSON("f.json", data)
		checkParsed(t, rules, diags)
	})
}

func FuzzParseTSV(f *testing.F) {
	f.Add([]byte("120\t117\t0.975\tproduct(X,Y) <= status(X,ContractActive), resource(X,A)\n10\t5\t0.5\tgender(X,female) <= \n"))
	f.Add([]byte("1\t1\t1.5\tp(A,B) <= q(A,B\r\nx\ty\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, diags := ParseTSV("f.tsv", data, "")
		checkParsed(t, rules, diags)
	})
}

// checkParsed holds for whatever a parser returns: diagnostics point into
// the file, loaded rules are usable checks, and compiling and evaluating them
// neither fails nor panics.
func checkParsed(t *testing.T, rules []Rule, diags Diagnostics) {
	for _, d := range diags {
		require.GreaterOrEqual(t, d.Pos.Line, 1, d.String())
		require.GreaterOrEqual(t, d.Pos.Col, 1, d.String())
	}
	for _, r := range rules {
		require.NotEmpty(t, r.ID)
		require.NotEmpty(t, r.Body)
		require.LessOrEqual(t, len(r.Body), MaxBodyAtoms)
		require.True(t, r.Confidence >= 0 && r.Confidence <= 1)
	}
	s, err := Compile(rules)
	require.NoError(t, err)
	res := s.Evaluate(family)
	require.Equal(t, s.Len(), res.Satisfied+res.NotApplicable+violatedRules(res))
}

func violatedRules(res Result) int {
	seen := map[*Rule]bool{}
	for _, v := range res.Violations {
		seen[v.Rule] = true
	}
	return len(seen)
}
