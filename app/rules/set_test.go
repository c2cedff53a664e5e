package rules

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func rule(t *testing.T, id string, conf float64, pattern string) Rule {
	t.Helper()
	head, body, err := ParsePattern(pattern)
	require.NoError(t, err)
	return Rule{ID: id, Category: "c-" + id, Confidence: conf, Head: head, Body: body}
}

func TestCompileMergesDuplicates(t *testing.T) {
	t.Parallel()
	s, err := Compile([]Rule{
		rule(t, "a", 0.5, "status(A,'x') <= status(B,'BARRED'), paymentMethod(A,B)"),
		rule(t, "b", 0.9, "status(X,'x') <= paymentMethod(X,Y), status(Y,'BARRED')"),
		rule(t, "c", 0.7, "status(Y,'x') <= status(Z,'BARRED'), paymentMethod(Y,Z)"),
		rule(t, "a", 0.5, "status(A,'x') <= status(B,'BARRED'), paymentMethod(A,B)"), // the same file loaded twice
		rule(t, "d", 0.9, "status(B,'x') <= status(B,'BARRED'), paymentMethod(A,B)"), // a different rule
	})
	require.NoError(t, err)
	rules := s.Rules()
	require.Len(t, rules, 2)
	require.Equal(t, "b", rules[0].ID)
	require.Equal(t, 0.9, rules[0].Confidence)
	require.Equal(t, "c-b", rules[0].Category)
	require.Equal(t, []string{"a", "c"}, rules[0].Duplicates)
	require.Equal(t, "d", rules[1].ID)
	require.Empty(t, rules[1].Duplicates)
}

func TestCompileTiesInBody(t *testing.T) {
	t.Parallel()
	// The body atoms have the same shape; only trying both orders shows the
	// rules are equal.
	s, err := Compile([]Rule{
		rule(t, "a", 0.5, "sibling(X,Y) <= parent(X,A), parent(Y,A), parent(A,B)"),
		rule(t, "b", 0.6, "sibling(X,Y) <= parent(A,B), parent(Y,A), parent(X,A)"),
		rule(t, "c", 0.6, "sibling(Y,X) <= parent(X,A), parent(Y,A), parent(A,B)"), // the body is symmetric in X, Y
		rule(t, "d", 0.6, "sibling(Y,X) <= parent(X,A), parent(Y,A), parent(B,A)"),
		rule(t, "e", 0.6, "other(X,Y) <= parent(A,B), parent(Y,A), parent(X,A)"),
	})
	require.NoError(t, err)
	require.Len(t, s.Rules(), 3)
	require.Equal(t, []string{"a", "c"}, s.Rules()[0].Duplicates)
	require.Len(t, s.bodies, 2, "a body equal up to renaming is joined once")
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules []Rule
		err   string
	}{
		{
			name:  "one id, two rules",
			rules: []Rule{rule(t, "a", 0.5, "p(A,B) <= q(A,B)"), rule(t, "a", 0.5, "p(A,B) <= r(A,B)")},
			err:   `rules: id "a" names two different rules`,
		},
		{
			name:  "no body",
			rules: []Rule{{ID: "a", Head: Atom{"p", Var("A"), Var("B")}}},
			err:   `rules: rule "a": rule p(A,B) has an empty body`,
		},
		{
			name:  "no id",
			rules: []Rule{rule(t, "", 0.5, "p(A,B) <= q(A,B)")},
			err:   "has no id",
		},
		{
			name:  "confidence",
			rules: []Rule{rule(t, "a", 1.5, "p(A,B) <= q(A,B)")},
			err:   `rules: rule "a": confidence 1.5 outside [0, 1]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.rules)
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	a := rule(t, "a", 0.5, "p(A,B) <= q(A,B)")
	b := rule(t, "b", 0.5, "p(A,B) <= r(A,B)")
	s1, err := Compile([]Rule{a, b})
	require.NoError(t, err)
	s2, err := Compile([]Rule{b, a})
	require.NoError(t, err)
	require.Equal(t, s1.Version(), s2.Version(), "order of loading does not matter")
	b.Confidence = 0.6
	s3, err := Compile([]Rule{a, b})
	require.NoError(t, err)
	require.NotEqual(t, s1.Version(), s3.Version())
	require.Len(t, s1.Version(), 12)
}
