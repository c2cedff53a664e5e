package flows

import (
	"testing"

	"github.com/expr-lang/expr/vm"
	"github.com/stretchr/testify/require"
)

func TestTemplates(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"msisdn": "155", "info": map[string]any{"id": "K1", "n": 2.0}, "xs": []any{1.0, "a", nil},
		"none": nil, "yes": true, "f": 1.5, "ok": writeResult{Applied: true},
	}
	tests := []struct {
		text string
		want any
	}{
		{"plain text", "plain text"},
		{"{{msisdn}}", "155"},
		{"{{ info }}", vars["info"]},
		{"  {{ xs }}  ", vars["xs"]},
		{"{{ none }}", nil},
		{"{{ info['n'] }}", 2.0},
		{"id={{ info['id'] }}", "id=K1"},
		{"{{ info }}!", `{"id":"K1","n":2}!`},
		{"{{xs}} {{none}} {{yes}} {{f}} {{info['n']}}", `[1,"a",null] None True 1.5 2`},
		{"{{ ok }}", writeResult{Applied: true}},
		{"r={{ ok }}", `r={"applied":true,"outcome":""}`},
		{"{{ {'a': {'b': msisdn}} }}", map[string]any{"a": map[string]any{"b": "155"}}},
		{"{{ '}}' + msisdn }}", "}}155"},
		{"{{ msisdn }}{{ msisdn }}", "155155"},
	}
	for _, tt := range tests {
		tmpl, d := parseTemplate(tt.text, place{pos: Pos{File: "f", Line: 1, Col: 1}, exact: true})
		require.Nil(t, d, tt.text)
		var m vm.VM
		got, err := tmpl.eval(&m, vars)
		require.NoError(t, err, tt.text)
		require.Equal(t, tt.want, got, tt.text)
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		text string
		msg  string
		col  int
	}{
		{"a {{ b", "unterminated {{ placeholder: want }}", 3},
		{"a {{ }} b", "empty expression", 6},
		{"x {{ nope( }}", "unexpected token EOF", 10},
	} {
		_, d := parseTemplate(tt.text, place{pos: Pos{File: "f", Line: 1, Col: 1}, exact: true})
		require.NotNil(t, d, tt.text)
		require.Equal(t, tt.msg, d.Message, tt.text)
		require.Equal(t, tt.col, d.Pos.Col, tt.text)
	}
}

func TestValueNestedArgs(t *testing.T) {
	t.Parallel()
	f := mustParse(t, "f.yaml", []byte(`
F:
  - method: m
    args:
      body:
        product: [{id: "{{ p }}", status: [{status: ProductTerminated}]}]
        count: 2
        when: 2024-01-01
        note: null
`))
	rt := &fakeRuntime{}
	res := run(t, f, "F", Input{Columns: map[string]any{"p": "P1"}}, rt)
	require.Equal(t, Succeeded, res.Status)
	require.Equal(t, map[string]any{"body": map[string]any{
		"product": []any{map[string]any{"id": "P1", "status": []any{map[string]any{"status": "ProductTerminated"}}}},
		"count":   2,
		"when":    "2024-01-01", // timestamps stay strings
		"note":    nil,
	}}, rt.calls[0].Args)
	require.Equal(t, map[string]any{"product": []any{map[string]any{"id": "{{ p }}", "status": []any{map[string]any{"status": "ProductTerminated"}}}},
		"count": 2, "when": "2024-01-01", "note": nil}, f.Flow("F").Steps[0].Args[0].Value.Source())
}
