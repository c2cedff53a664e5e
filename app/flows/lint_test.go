package flows

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLint(t *testing.T) {
	t.Parallel()
	src := `F:
  - method: line.get_contrat
    args: {search: {}}
  - method: line.get_contract
    args: {serch: {}}
    save_as: info
  - when: inf['contract']
    method: line.save_object
    args: {obj: "{{ info }}", var_name: "{{ colmn }}"}
  - method: search_in_dict
    args: {data: "{{ info }}", criteria: {}, limit: 1}
    save_as: found
    on_error: recover
  - when: found and item
    fail: "no contract for {{ msisdn }}"
  - fail: no contract
  - method: line.save_object
    args: {obj: 1, var_name: x}
  - id: recover
    end: "ended with {{ error['code'] }}"
  - method: line.save_object
    args: {obj: 1, var_name: x}
`
	f, parseDiags := Parse("f.yaml", []byte(src))
	require.Empty(t, parseDiags)
	var got []string
	for _, d := range Lint(f, legacyCatalog()) {
		got = append(got, d.String()+" ["+d.Code+"]")
	}
	require.Equal(t, []string{
		`f.yaml:2:13: error: unknown method "line.get_contrat" [unknown-method]`,
		`f.yaml:5:12: warning: method line.get_contract takes no argument "serch" (it takes [search]) [unknown-arg]`,
		`f.yaml:7:11: warning: unknown variable "inf": no step saves or sets it (fine if it is an input column) [unknown-var]`,
		`f.yaml:9:45: warning: unknown variable "colmn": no step saves or sets it (fine if it is an input column) [unknown-var]`,
		`f.yaml:11:46: warning: method search_in_dict takes no argument "limit" (it takes [data criteria]) [unknown-arg]`,
		`f.yaml:17:5: warning: step is unreachable: the step at line 16 always fails the line [unreachable]`,
		`f.yaml:21:5: warning: step is unreachable: the step at line 19 always ends the line [unreachable]`,
	}, got)
}

func TestLintIncludesParseDiagnostics(t *testing.T) {
	t.Parallel()
	f, parseDiags := Parse("f.yaml", []byte("F:\n  - next_sequence: G\n  - method: m\n"))
	require.Len(t, parseDiags, 1)
	diags := Lint(f, nil) // no catalog: no method checks
	require.Equal(t, parseDiags, diags)
	require.Equal(t, 2, diags.ExitCode())
	require.EqualError(t, diags.Err(), `f.yaml:2:20: error: next_sequence: no flow "G" in the file`)
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	require.Equal(t, 0, Diagnostics(nil).ExitCode())
	require.Equal(t, 1, Diagnostics{{Severity: Warning}}.ExitCode())
	require.Equal(t, 2, Diagnostics{{Severity: Warning}, {Severity: Error}}.ExitCode())
	require.NoError(t, Diagnostics{{Severity: Warning}}.Err())
}
