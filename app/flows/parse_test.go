package flows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseSteps(t *testing.T) {
	t.Parallel()
	f := mustParse(t, "f.yaml", []byte(`# flows
F:
  - id: fetch
    method: line.get_contract
    args: {search: {externalId: "{{ msisdn }}"}}
    save_as: info
    retry: {attempts: 4, backoff: 2s, max_backoff: 10s, jitter: 0.5, on: [transient, unknown]}
    timeout: 15s
    on_error: continue
  - set: n
    value: 3
  - when: n > 2
    approve: "Cancel {{ msisdn }}?"
  - method: line.x
    retry: 2
  - fail: "no {{ msisdn }}"
    when: false
  - end: true
  - end: done
`))
	fl := f.Flow("F")
	require.Len(t, fl.Steps, 7)
	s := fl.Steps[0]
	require.Equal(t, Pos{File: "f.yaml", Line: 3, Col: 5}, s.Pos)
	require.Equal(t, "fetch", s.ID)
	require.Equal(t, "line.get_contract", s.Method)
	require.Equal(t, "search", s.Args[0].Name)
	require.Equal(t, Pos{File: "f.yaml", Line: 5, Col: 12}, s.Args[0].Pos)
	require.Equal(t, "info", s.SaveAs)
	require.Equal(t, &RetryPolicy{Attempts: 4, Backoff: 2 * time.Second, MaxBackoff: 10 * time.Second, Jitter: 0.5,
		On: []string{CodeTransient, CodeUnknown}}, s.Retry)
	require.Equal(t, 15*time.Second, s.Timeout)
	require.Equal(t, OnErrorContinue, s.OnError)
	require.Equal(t, "n", fl.Steps[1].Set)
	require.Equal(t, 3, fl.Steps[1].Value.Source())
	require.Equal(t, "n > 2", fl.Steps[2].When.Source)
	require.Equal(t, Pos{File: "f.yaml", Line: 12, Col: 11}, fl.Steps[2].When.Pos)
	require.Equal(t, "Cancel {{ msisdn }}?", fl.Steps[2].Approve.Text)
	require.Equal(t, &RetryPolicy{Attempts: 2, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff, Jitter: DefaultJitter,
		On: []string{CodeTransient, CodeTimeout}}, fl.Steps[3].Retry)
	require.Equal(t, "", fl.Steps[5].End.Text)
	require.Equal(t, "done", fl.Steps[6].End.Text)
}

func TestRetryWait(t *testing.T) {
	t.Parallel()
	p := &RetryPolicy{Attempts: 5, Backoff: time.Second, MaxBackoff: 5 * time.Second, Jitter: 0.5, On: []string{CodeTransient}}
	require.Equal(t, time.Second, p.Wait(1, 0))
	require.Equal(t, 2*time.Second, p.Wait(2, 0))
	require.Equal(t, 4*time.Second, p.Wait(3, 0))
	require.Equal(t, 5*time.Second, p.Wait(4, 0))
	require.Equal(t, 1500*time.Millisecond, p.Wait(2, 0.5))
	require.True(t, p.Retries(CodeTransient))
	require.False(t, p.Retries(CodeUnknown))
}

func TestParseDiagnostics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string // file:line:col: severity: message
	}{
		{"not YAML", "F: [", []string{"f.yaml:1:1: error: invalid YAML: did not find expected node content"}},
		{"empty", "", []string{"f.yaml:1:1: error: empty file: want a mapping of flow names to steps"}},
		{"not a mapping", "- a", []string{"f.yaml:1:1: error: want a mapping of flow names to steps, found a list"}},
		{"flow not a list", "F: 3\n", []string{`f.yaml:1:4: error: flow "F": want a list of steps, found the scalar "3"`}},
		{"flow twice", "F: []\nF: []\n", []string{`f.yaml:2:1: error: flow "F" is defined twice (first at line 1)`}},
		{"step not a mapping", "F:\n  - 3\n", []string{`f.yaml:2:5: error: want a step (a mapping), found the scalar "3"`}},
		{"unknown key", "F:\n  - method: m\n    methd: x\n", []string{`f.yaml:3:5: error: unknown key "methd"`}},
		{"nothing to do", "F:\n  - when: true\n", []string{"f.yaml:2:5: error: step does nothing: give it one of method, next_sequence, set, approve, fail, end"}},
		{"two actions", "F:\n  - method: m\n    next_sequence: F\n", []string{
			"f.yaml:3:5: error: a step does one thing: it has both method and next_sequence",
			"f.yaml:3:20: error: next_sequence cycle: F → F",
		}},
		{"set without value", "F:\n  - set: x\n", []string{"f.yaml:2:5: error: set needs value"}},
		{"value without set", "F:\n  - method: m\n    value: 1\n", []string{"f.yaml:3:5: error: value needs set"}},
		{"args without method", "F:\n  - set: x\n    value: 1\n    args: {a: 1}\n", []string{"f.yaml:4:5: error: args needs method"}},
		{"wrong types", "F:\n  - method: [a]\n    args: 3\n    save_as: 9x\n    timeout: soon\n    retry: {attempts: 0, jitter: 2, on: [later], every: 1}\n", []string{
			"f.yaml:2:13: error: method: want a scalar, found a list",
			`f.yaml:3:11: error: args: want a mapping of argument names to values, found the scalar "3"`,
			`f.yaml:4:14: error: save_as "9x": want a name of letters, digits and _, starting with a letter or _`,
			"f.yaml:5:14: error: timeout: want a positive duration such as 10s or 1m30s",
			"f.yaml:6:23: error: retry: want a number of attempts from 1 to 100",
			"f.yaml:6:34: error: retry.jitter: want a number between 0 and 1",
			"f.yaml:6:42: error: retry.on: want outcome codes among transient, timeout, unknown, rejected",
			`f.yaml:6:50: error: retry: unknown key "every" (want attempts, backoff, max_backoff, jitter, on)`,
		}},
		{"retry without attempts", "F:\n  - method: m\n    retry: {backoff: 1s}\n", []string{"f.yaml:3:12: error: retry: want attempts"}},
		{"reserved names", "F:\n  - id: continue\n    method: m\n    save_as: item\n", []string{
			`f.yaml:2:9: error: id "continue" is reserved for on_error`,
			`f.yaml:4:14: error: save_as "item": the name is reserved`,
		}},
		{"on_error on fail", "F:\n  - fail: no\n    on_error: continue\n", []string{"f.yaml:3:5: error: on_error does nothing on a step that fails or ends the line"}},
		{"end false", "F:\n  - end: false\n", []string{"f.yaml:2:10: error: end: false does nothing; remove the step"}},
		{"duplicate key", "F:\n  - method: m\n    method: n\n", []string{`f.yaml:3:5: error: key "method" is given twice`}},
		{"bad expression", "F:\n  - when: info[\n    end: true\n", []string{"f.yaml:2:15: error: when: unexpected token EOF"}},
		{"python", "F:\n  - when: x if y else z\n    end: true\n", []string{
			"f.yaml:2:13: error: when: Python conditional expression (x if c else y), which expr cannot express: run pff flows migrate"}},
		{"bad template", "F:\n  - method: m\n    args: {a: \"x {{ nope( }}\"}\n", []string{"f.yaml:3:25: error: unexpected token EOF"}},
		{"missing flow", "F:\n  - next_sequence: G\n", []string{`f.yaml:2:20: error: next_sequence: no flow "G" in the file`}},
		{"cycle", "A:\n  - next_sequence: B\nB:\n  - when: x\n    next_sequence: A\n", []string{"f.yaml:5:20: error: next_sequence cycle: A → B → A"}},
		{"bad jump", "F:\n  - method: m\n    on_error: retry_it\n", []string{
			`f.yaml:3:15: error: on_error: flow "F" has no step with id "retry_it" (want fail, continue or a step id)`}},
		{"duplicate id", "F:\n  - id: a\n    end: true\n  - id: a\n    end: true\n", []string{`f.yaml:4:9: error: duplicate id "a" (first at line 2)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, diags := Parse("f.yaml", []byte(tt.src))
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			require.Equal(t, tt.want, got)
		})
	}
}
