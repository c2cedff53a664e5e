package flows

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMigratePythonSample(t *testing.T) {
	t.Parallel()
	before := readFile(t, "testdata/python.yaml")
	_, diags := Parse("python.yaml", before)
	for _, d := range diags {
		require.Equal(t, CodePython, d.Code, d.String())
	}
	require.Len(t, diags, 8)

	out, changes, err := Migrate("python.yaml", before)
	require.NoError(t, err)
	require.Equal(t, string(readFile(t, "testdata/python.migrated.yaml")), string(out))
	require.Len(t, changes, 8)
	require.Equal(t, Change{
		Pos: Pos{File: "python.yaml", Line: 13, Col: 7},
		Old: "info['contract']['paymentContext'] is not None and \\\n  info.get('customer_id') != None",
		New: "info['contract']['paymentContext'] != None and info?.['customer_id'] != None",
	}, changes[2])

	// The migrated file lints clean and migrates to itself.
	f := mustParse(t, "python.migrated.yaml", out)
	require.Empty(t, Lint(f, nil))
	again, changes, err := Migrate("python.migrated.yaml", out)
	require.NoError(t, err)
	require.Empty(t, changes)
	require.Equal(t, out, again)

	// It does what the Python did.
	info := map[string]any{"customer_id": "C1", "contract": map[string]any{"paymentContext": "Control", "product": []any{
		map[string]any{"id": "P1", "status": "Failed"},
		map[string]any{"id": "P2", "status": "Active"},
		map[string]any{"id": "P3", "status": "Failed"},
	}}}
	rt := &fakeRuntime{answer: byMethod(map[string]any{"line.get_contract": info})}
	res := run(t, f, "Terminate_Failed", Input{MSISDN: "155"}, rt)
	require.Equal(t, Succeeded, res.Status, "%+v", res.Err)
	require.Equal(t, []any{"P1", "P3"}, res.Vars["failed_ids"])
	require.Equal(t, []seen{
		{Key: "Terminate_Failed[0]", Method: "line.get_contract", Args: map[string]any{"search": map[string]any{"externalId": "155"}}},
		{Key: "Terminate_Failed[2]", Method: "line.set_observation", Args: map[string]any{
			"note": "controle line, 2 failed", "kinds": []any{[]any{"A", "B"}, "plain"}}},
		{Key: "Terminate_Failed[3]#0", Method: "line.set_product_status", Args: map[string]any{"msisdn": "155", "activate": false, "product_id": "P1"}},
		{Key: "Terminate_Failed[3]#1", Method: "line.set_product_status", Args: map[string]any{"msisdn": "155", "activate": false, "product_id": "P3"}},
	}, rt.calls)
}

func TestMigrateLeavesExprAlone(t *testing.T) {
	t.Parallel()
	data := readFile(t, "testdata/legacy-sample.yaml")
	out, changes, err := Migrate("legacy-sample.yaml", data)
	require.NoError(t, err)
	require.Empty(t, changes)
	require.Equal(t, data, out)
}

func TestMigrateScalarStyles(t *testing.T) {
	t.Parallel()
	src := `F:
  - when: x is None
      or y is None  # a comment
    end: true
  - when: >
      'a' if x
      else 'b'
    end: true
  - when: 'x is None'
    end: true
  - when: "x if y else z"
    end: true
  - method: m
    args:
      a: [ "{{ x is None }}", '{{ [i for i in y] }}' ]
      b: "{{ '\"' if x else 'b' }}"
`
	out, changes, err := Migrate("f.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, changes, 7)
	require.Equal(t, `F:
  - when: x == None or y == None  # a comment
    end: true
  - when: "x ? 'a' : 'b'"
    end: true
  - when: 'x == None'
    end: true
  - when: "y ? x : z"
    end: true
  - method: m
    args:
      a: [ "{{ x == None }}", '{{ y }}' ]
      b: '{{ x ? ''"'' : ''b'' }}'
`, string(out))
	_, diags := Parse("f.yaml", out)
	require.Empty(t, diags)
}

func TestMigrateErrors(t *testing.T) {
	t.Parallel()
	_, _, err := Migrate("f.yaml", []byte("F: ["))
	require.ErrorContains(t, err, "flows: migrate f.yaml: yaml:")

	out, changes, err := Migrate("f.yaml", []byte("F:\n  - when: x // 2\n    end: true\n  - when: \"{{ {k: v for k, v in d.items()} }}\"\n    end: true\n"))
	require.Nil(t, out)
	require.Nil(t, changes)
	require.EqualError(t, err, "flows: migrate f.yaml: "+
		"f.yaml:2:13: cannot migrate x // 2: Python's // operator has no expr equivalent\n"+
		"f.yaml:4:21: cannot migrate {k: v for k, v in d.items()}: dict comprehensions have no expr equivalent")
}

// TestMigrateMeaning checks rewrites against what Python computes.
func TestMigrateMeaning(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"ps": []any{
			map[string]any{"id": "P1", "s": "A", "n": 1.0},
			map[string]any{"id": "P2", "s": "B", "n": 5.0},
			map[string]any{"id": "P3", "s": "A", "n": 3.0},
		},
		"d": map[string]any{"k": "v", "z": nil}, "x": nil, "s": " Pós ", "m": "5511",
	}
	tests := []struct {
		python string
		want   any // Python's result
	}{
		{"[p['id'] for p in ps if p['s'] == 'A']", []any{"P1", "P3"}},
		{"[p for p in ps if p['n'] > 2][0]['id']", "P2"},
		{"[p['n'] * 2 for p in ps]", []any{2.0, 10.0, 6.0}},
		{"len([p for p in ps if p['s'] in ('B', 'C')])", 1},
		{"len(p for p in ps if not p['s'] == 'A')", 1},
		{"sum(1 for p in ps if p['n'] >= 3)", 2},
		{"sum(p['n'] for p in ps)", 9.0},
		{"any(p['n'] > 4 for p in ps)", true},
		{"all(p['n'] < 4 for p in ps if p['s'] == 'A')", true},
		{"max(p['n'] for p in ps)", 5.0},
		{"'yes' if x is None else 'no'", "yes"},
		{"'a' if d else 'b' if x else 'c'", "a"},
		{"(1 if x else 2) + 1", 3},
		{"d.get('z', 'dflt')", "dflt"}, // Python says None: ?? treats a None value as missing
		{"d.get('nope', 'dflt')", "dflt"},
		{"d.get('k')", "v"},
		{"s.strip().lower()", "pós"},
		{"m.startswith('55') and not m.endswith('0')", true},
		{"x is not None and x['a']", false},
		{"[q['id'] for q in ps if len([p for p in ps if p['n'] < q['n']]) == 1]", []any{"P3"}},
		{"1 < 2 < 3", true},
		{"sorted(list(d.keys()))", nil},
	}
	for _, tt := range tests {
		out, err := migrateExpr(tt.python)
		if tt.want == nil {
			require.Error(t, err, tt.python)
			continue
		}
		require.NoError(t, err, tt.python)
		got, err := eval(t, out, vars)
		require.NoError(t, err, "%s => %s", tt.python, out)
		require.Equal(t, tt.want, got, "%s => %s", tt.python, out)
	}
}
