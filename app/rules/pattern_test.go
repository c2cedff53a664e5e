package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		head    Atom
		body    []Atom
	}{
		{
			name:    "existential head",
			pattern: "product(A,B) <= status(A,'ContractActive')",
			head:    Atom{"product", Var("A"), Var("B")},
			body:    []Atom{{"status", Var("A"), Const("ContractActive")}},
		},
		{
			name:    "two body atoms",
			pattern: "status(A,'suspended') <= status(B,'BARRED'), paymentMethod(A,B)",
			head:    Atom{"status", Var("A"), Const("suspended")},
			body:    []Atom{{"status", Var("B"), Const("BARRED")}, {"paymentMethod", Var("A"), Var("B")}},
		},
		{
			name:    "hex id is a constant, digits after a letter make a variable",
			pattern: "type(A4C123B1612DD272D1371C17149D4395,customer) <= contract(X12,A4C123B1612DD272D1371C17149D4395)",
			head:    Atom{"type", Const("A4C123B1612DD272D1371C17149D4395"), Const("customer")},
			body:    []Atom{{"contract", Var("X12"), Const("A4C123B1612DD272D1371C17149D4395")}},
		},
		{
			name:    "anyburl spacing and bare constants with spaces",
			pattern: "name(X, Bônus Conta Digital ) <= productOfferingExternalId( X ,BONUS)",
			head:    Atom{"name", Var("X"), Const("Bônus Conta Digital")},
			body:    []Atom{{"productOfferingExternalId", Var("X"), Const("BONUS")}},
		},
		{
			name:    "quoted constants keep commas, parentheses and escaped quotes",
			pattern: `p(X,"a,b (c)") <= q(X,'it\'s')`,
			head:    Atom{"p", Var("X"), Const("a,b (c)")},
			body:    []Atom{{"q", Var("X"), Const("it's")}},
		},
		{
			name:    "lowercase and multi-letter tokens are constants",
			pattern: "p(x,AB) <= q(x,AB)",
			head:    Atom{"p", Const("x"), Const("AB")},
			body:    []Atom{{"q", Const("x"), Const("AB")}},
		},
		{
			name:    "empty body",
			pattern: "gender(X,female) <= ",
			head:    Atom{"gender", Var("X"), Const("female")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			head, body, err := ParsePattern(tt.pattern)
			require.NoError(t, err)
			require.Equal(t, tt.head, head)
			require.Equal(t, tt.body, body)
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		offset  int
		msg     string
	}{
		{"", 0, "expected a predicate"},
		{"p(A,B)", 6, `expected "<="`},
		{"p(A,B) => q(A,B)", 7, `expected "<="`},
		{"p A,B) <= q(A,B)", 2, `expected "(" after predicate "p"`},
		{"p(A B) <= q(A,B)", 5, `expected "," between the two terms of p`},
		{"p(A,B <= q(A,B)", 6, `unexpected '<'`},
		{"p(A,B) <= q(A,B) r(A,B)", 17, `expected "," between body atoms`},
		{"p(A,'B) <= q(A,B)", 4, "unterminated quoted constant"},
		{"p(A,) <= q(A,B)", 4, "expected a term"},
		{"p(A,B) <= q(A,B),", 17, "expected a predicate"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			_, _, err := ParsePattern(tt.pattern)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.Equal(t, tt.offset, se.Offset, se.Msg)
			require.Contains(t, se.Msg, tt.msg)
		})
	}
}

func TestPatternRoundTrip(t *testing.T) {
	t.Parallel()
	r := Rule{
		Head: Atom{"p", Var("X"), Const(`it's a \ test`)},
		Body: []Atom{{"q", Var("X"), Const("a,b")}, {"r", Var("X"), Const("A1B")}},
	}
	head, body, err := ParsePattern(r.Pattern())
	require.NoError(t, err)
	require.Equal(t, r.Head, head)
	require.Equal(t, r.Body, body)
}
