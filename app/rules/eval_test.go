package rules

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/kg"
)

// graph builds a graph from subject, predicate, object triples; triple i's
// pointer is /t/i.
func graph(triples ...[3]string) *kg.Graph {
	g := &kg.Graph{Entities: map[string]kg.EntityInfo{}}
	for i, t := range triples {
		g.Triples = append(g.Triples, kg.Triple{Subject: t[0], Predicate: t[1], Object: t[2], Pointer: fmt.Sprintf("/t/%d", i)})
	}
	return g
}

func mustCompile(t testing.TB, patterns ...string) *Set {
	t.Helper()
	var rules []Rule
	for i, p := range patterns {
		head, body, err := ParsePattern(p)
		require.NoError(t, err, p)
		rules = append(rules, Rule{ID: fmt.Sprintf("r%02d", i), Category: "test", Confidence: 0.9, Head: head, Body: body})
	}
	s, err := Compile(rules)
	require.NoError(t, err)
	return s
}

// family is a customer with a postpaid active contract c1 (two products, one
// MSISDN), a terminated contract c2 with an active product, and no account.
var family = graph(
	[3]string{"cust", "contract", "c1"},
	[3]string{"cust", "contract", "c2"},
	[3]string{"c1", "status", "ContractActive"},
	[3]string{"c2", "status", "ContractTerminated"},
	[3]string{"c1", "paymentContext", "Postpaid"},
	[3]string{"c1", "product", "p1"},
	[3]string{"c1", "product", "p2"},
	[3]string{"c2", "product", "p3"},
	[3]string{"p1", "status", "ProductActive"},
	[3]string{"p2", "status", "ProductTerminated"},
	[3]string{"p3", "status", "ProductActive"},
	[3]string{"c1", "resource", "r1"},
	[3]string{"r1", "resourceSpecificationExternalId", "LrsExtId_MSISDN"},
	[3]string{"p1", "sharingConsumer.providerContractId", "c9"},
	[3]string{"c1", "type", "contract"},
	[3]string{"c2", "type", "contract"},
)

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		pattern       string
		violations    []Violation // Rule left out
		satisfied, na int
	}{
		{
			name:      "existential head holds",
			pattern:   "product(A,B) <= status(A,'ContractActive')",
			satisfied: 1,
		},
		{
			name:    "existential head fails",
			pattern: "account(X,B) <= contract(X,C), paymentContext(C,'Postpaid')",
			violations: []Violation{{
				Bindings: []Binding{{"X", "cust"}, {"C", "c1"}},
				Pointers: []string{"/t/0", "/t/4"},
			}},
		},
		{
			name:    "bound head, one violation among bindings",
			pattern: "status(P,'ProductActive') <= product(C,P), status(C,'ContractActive')",
			violations: []Violation{{
				Bindings: []Binding{{"C", "c1"}, {"P", "p2"}},
				Pointers: []string{"/t/6", "/t/2"},
			}},
		},
		{
			name:    "dangling reference",
			pattern: "type(B,'contract') <= sharingConsumer.providerContractId(A,B)",
			violations: []Violation{{
				Bindings: []Binding{{"A", "p1"}, {"B", "c9"}},
				Pointers: []string{"/t/13"},
			}},
		},
		{
			name:    "three atoms",
			pattern: "status(C,'ContractActive') <= contract(X,C), product(C,P), status(P,'ProductActive')",
			violations: []Violation{{
				Bindings: []Binding{{"X", "cust"}, {"C", "c2"}, {"P", "p3"}},
				Pointers: []string{"/t/1", "/t/7", "/t/10"},
			}},
			satisfied: 0,
		},
		{
			name:    "not applicable",
			pattern: "product(A,B) <= status(A,'ContractSuspended')",
			na:      1,
		},
		{
			name:    "predicate absent from the record",
			pattern: "product(A,B) <= barred(A,B)",
			na:      1,
		},
		{
			name:      "ground body atom",
			pattern:   "product(A,B) <= status(A,'ContractActive'), status('c2','ContractTerminated')",
			satisfied: 1,
		},
		{
			name:    "ground body atom that is false",
			pattern: "product(A,B) <= status(A,'ContractActive'), status('c2','ContractActive')",
			na:      1,
		},
		{
			name: "object identity: A and B never bind the same contract",
			// Every contract of cust shares cust with another contract, but
			// not with itself.
			pattern:   "contract(X,A) <= contract(X,A), contract(X,B)",
			satisfied: 1,
		},
		{
			name: "object identity: variables never bind body constants",
			// B can only be a status other than ContractActive.
			pattern: "status(A,'ContractActive') <= status(A,B), status(c1,'ContractActive')",
			violations: []Violation{
				{Bindings: []Binding{{"A", "c2"}, {"B", "ContractTerminated"}}, Pointers: []string{"/t/3", "/t/2"}},
				{Bindings: []Binding{{"A", "p1"}, {"B", "ProductActive"}}, Pointers: []string{"/t/8", "/t/2"}},
				{Bindings: []Binding{{"A", "p2"}, {"B", "ProductTerminated"}}, Pointers: []string{"/t/9", "/t/2"}},
				{Bindings: []Binding{{"A", "p3"}, {"B", "ProductActive"}}, Pointers: []string{"/t/10", "/t/2"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustCompile(t, tt.pattern)
			res := s.Evaluate(family)
			for i := range res.Violations {
				require.Equal(t, "r00", res.Violations[i].Rule.ID)
				require.Equal(t, res.Violations[i].Rule.Pattern(), res.Violations[i].Pattern)
				res.Violations[i].Rule, res.Violations[i].Pattern = nil, ""
			}
			require.ElementsMatch(t, tt.violations, res.Violations)
			require.Equal(t, tt.satisfied, res.Satisfied, "satisfied")
			require.Equal(t, tt.na, res.NotApplicable, "not applicable")
		})
	}
}

func TestEvaluateSharedBodyCountsEachRule(t *testing.T) {
	t.Parallel()
	s := mustCompile(t,
		"product(A,B) <= status(A,'ContractActive')",
		"paymentContext(X,'Postpaid') <= status(X,'ContractActive')",
		"paymentContext(X,'Prepaid') <= status(X,'ContractActive')",
		"account(X,Y) <= status(X,'ContractSuspended')",
	)
	require.Len(t, s.bodies, 2, "three rules share a body")
	res := s.Evaluate(family)
	require.Equal(t, 2, res.Satisfied)
	require.Equal(t, 1, res.NotApplicable)
	require.Len(t, res.Violations, 1)
	require.Equal(t, "r02", res.Violations[0].Rule.ID)
	require.Equal(t, []Binding{{"X", "c1"}}, res.Violations[0].Bindings)
}

func TestEvaluateReflexive(t *testing.T) {
	t.Parallel()
	g := graph(
		[3]string{"a", "knows", "a"},
		[3]string{"a", "knows", "b"},
		[3]string{"b", "knows", "b"},
		[3]string{"a", "likes", "a"},
	)
	res := mustCompile(t, "likes(X,X) <= knows(X,X)").Evaluate(g)
	require.Len(t, res.Violations, 1)
	require.Equal(t, []Binding{{"X", "b"}}, res.Violations[0].Bindings)

	res = mustCompile(t, "likes(Y,Y) <= knows(X,Z)").Evaluate(g)
	require.Empty(t, res.Violations, "some fact likes(Y,Y) exists")
	require.Equal(t, 1, res.Satisfied)
}

func TestEvaluateConcurrently(t *testing.T) {
	t.Parallel()
	s := mustCompile(t,
		"status(P,'ProductActive') <= product(C,P), status(C,'ContractActive')",
		"account(X,B) <= contract(X,C), paymentContext(C,'Postpaid')",
	)
	want := s.Evaluate(family)
	for range 8 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			require.Equal(t, want, s.Evaluate(family))
		})
	}
}
