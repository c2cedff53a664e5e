package checks

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/rules"
)

const checksFile = `# Checks for tests.
checks:
  - id: plan-count
    category: plan_product_count
    confidence: 0.99
    description: An active contract has exactly one active plan.
    target: contract
    expr: |
      !isActive(this) ||
        activeProducts(this, "FRANQUIA_PLANO") == 1
  - id: validity
    category: validity_ends_before_start
    confidence: 1
    target: validFor
    expr: '!endsBeforeStart(this)'
`

func TestParse(t *testing.T) {
	t.Parallel()
	checks, diags := Parse("c.yaml", []byte(checksFile))
	require.Empty(t, diags)
	require.Len(t, checks, 2)
	c := checks[0]
	require.Equal(t, "plan-count", c.ID)
	require.Equal(t, "plan_product_count", c.Category)
	require.Equal(t, 0.99, c.Confidence)
	require.Equal(t, "An active contract has exactly one active plan.", c.Description)
	require.Equal(t, "contract", c.Target)
	require.Equal(t, "!isActive(this) ||\n  activeProducts(this, \"FRANQUIA_PLANO\") == 1\n", c.Expr)
	require.Equal(t, rules.Position{File: "c.yaml", Line: 3, Col: 5}, c.Pos)
	require.Equal(t, "!endsBeforeStart(this)", checks[1].Expr)

	s, err := Compile(checks)
	require.NoError(t, err)
	require.Equal(t, 2, s.Len())
}

func TestLint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		diags rules.Diagnostics
	}{
		{
			name: "expression errors at their place: block, quoted, plain",
			src: `checks:
  - id: a
    category: k
    confidence: 0.5
    target: contract
    expr: |
      isActive(this) &&
        nope(this)
  - id: b
    category: k
    confidence: 0.5
    target: contract
    expr: "isActive(this) && nope(this)"
  - id: c
    category: k
    confidence: 0.5
    target: contract
    expr: isActive(this) && nope(this)
`,
			diags: rules.Diagnostics{
				{Pos: rules.Position{File: "f.yaml", Line: 8, Col: 9}, Msg: `check "a": unknown name nope`},
				{Pos: rules.Position{File: "f.yaml", Line: 13, Col: 30}, Msg: `check "b": unknown name nope`},
				{Pos: rules.Position{File: "f.yaml", Line: 18, Col: 29}, Msg: `check "c": unknown name nope`},
			},
		},
		{
			name: "escapes make the string start the place",
			src: `checks:
  - {id: a, category: k, confidence: 0.5, target: contract, expr: "\"x\" == nope"}
`,
			diags: rules.Diagnostics{{Pos: rules.Position{File: "f.yaml", Line: 2, Col: 68}, Msg: `check "a": unknown name nope`}},
		},
		{
			name: "fields",
			src: `checks:
  - id: a
    confidence: high
    target: [contract]
    extra: 1
  - just a string
`,
			diags: rules.Diagnostics{
				{Pos: rules.Position{File: "f.yaml", Line: 4, Col: 13}, Msg: "target: want a scalar, found a list"},
				{Pos: rules.Position{File: "f.yaml", Line: 5, Col: 5}, Severity: rules.Note, Msg: `unknown key "extra" ignored`},
				{Pos: rules.Position{File: "f.yaml", Line: 2, Col: 5}, Msg: "check has no category"},
				{Pos: rules.Position{File: "f.yaml", Line: 2, Col: 5}, Msg: "check has no target"},
				{Pos: rules.Position{File: "f.yaml", Line: 2, Col: 5}, Msg: "check has no expr"},
				{Pos: rules.Position{File: "f.yaml", Line: 3, Col: 17}, Msg: `confidence must be a number between 0 and 1, found "high"`},
				{Pos: rules.Position{File: "f.yaml", Line: 6, Col: 5}, Msg: `want a check (a mapping), found the scalar "just a string"`},
			},
		},
		{
			name:  "no list",
			src:   "rules: []\n",
			diags: rules.Diagnostics{{Pos: rules.Position{File: "f.yaml", Line: 1, Col: 1}, Severity: rules.Note, Msg: `unknown key "rules" ignored`}, {Pos: rules.Position{File: "f.yaml", Line: 1, Col: 1}, Msg: "no checks list"}},
		},
		{
			name:  "empty",
			src:   "",
			diags: rules.Diagnostics{{Pos: rules.Position{File: "f.yaml", Line: 1, Col: 1}, Msg: "empty file: want a mapping with a checks list"}},
		},
		{
			name:  "syntax",
			src:   "checks:\n  - id: a\n  bad\n",
			diags: rules.Diagnostics{{Pos: rules.Position{File: "f.yaml", Line: 3, Col: 1}, Msg: "invalid YAML: could not find expected ':'"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.diags, Lint("f.yaml", []byte(tt.src)))
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(checksFile))
	f.Add([]byte("checks:\n  - {id: a, category: k, confidence: 0.5, target: contract, expr: \"\\\"x\\\" == nope\"}\n"))
	f.Add([]byte("checks:\n  - id: a\n    expr: |\n      1 +\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checks, diags := Parse("f.yaml", data)
		for _, d := range diags {
			require.GreaterOrEqual(t, d.Pos.Line, 1, d.String())
			require.GreaterOrEqual(t, d.Pos.Col, 1, d.String())
		}
		s, compileDiags := compile(checks)
		for _, d := range compileDiags {
			require.GreaterOrEqual(t, d.Pos.Line, 1, d.String())
			require.GreaterOrEqual(t, d.Pos.Col, 1, d.String())
		}
		s.Evaluate(decode(t, sample), now)
	})
}
