package flows

import (
	"context"
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/stretchr/testify/require"
)

func FuzzParse(f *testing.F) {
	f.Add(readFile(f, "testdata/legacy-sample.yaml"))
	f.Add(readFile(f, "testdata/python.yaml"))
	f.Add([]byte("F:\n  - id: a\n    method: m\n    retry: {attempts: 2, on: [unknown]}\n    on_error: a\n  - set: x\n    value: [\"{{ x ?? 1 }}\"]\n"))
	f.Add([]byte("A: &s\n  - next_sequence: B\nB: *s\n"))
	f.Add([]byte("F:\n  - when: |\n      a and\n      b\n    end: \"{{ {'a': 1} }}\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, diags := Parse("f.yaml", data)
		for _, d := range diags {
			require.GreaterOrEqual(t, d.Pos.Line, 1, d.String())
			require.GreaterOrEqual(t, d.Pos.Col, 1, d.String())
		}
		lint := Lint(file, legacyCatalog())
		require.GreaterOrEqual(t, len(lint), len(diags))
		for _, fl := range file.Flows {
			Writes(file, fl.Name, legacyCatalog())
		}
		// A file without errors runs without panicking; the fuzzing
		// runtime answers every call with nil.
		if !diags.HasErrors() && len(file.Flows) > 0 {
			_, _ = Run(context.Background(), file, file.Flows[0].Name, Input{MSISDN: "1"}, &fakeRuntime{})
		}
		// Migrate never panics, and what it writes parses.
		if out, _, err := Migrate("f.yaml", data); err == nil {
			Parse("f.yaml", out)
		}
	})
}

func FuzzCompileExpr(f *testing.F) {
	for _, s := range []string{
		"info['contract']['paymentContext'] not in ['Control', 'Prepaid']",
		"not soft_ok", "a or b and not c == d", "x?.['a'] ?? y['b']['c']",
		"filter(xs, {#['s'] == 'A' or .n > 2}) | map(#.id)", "let t = 1; t + (a and b)",
		"[p for p in ps if p]", "'a' if c else 'b'", "x.get('a')", "len(x for x in y)",
		"if a { 1 } else { 2 }", "{'k': [1, 2.5, true, nil]}", "(not a) == b", "1..3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, d := compileExpr(src, place{pos: Pos{File: "f", Line: 1, Col: 1}, exact: true})
		if d != nil {
			require.GreaterOrEqual(t, d.Pos.Col, 1)
			return
		}
		var m vm.VM
		_, _ = e.eval(&m, map[string]any{"a": 1, "b": nil, "xs": []any{map[string]any{"s": "A"}}})
		if out, err := migrateExpr(src); err == nil {
			_, d := compileExpr(out, place{})
			require.Nil(t, d, "%q => %q", src, out)
		}
	})
}
