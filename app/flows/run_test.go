package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func parseString(t testing.TB, src string) *File {
	t.Helper()
	return mustParse(t, "f.yaml", []byte(src))
}

func TestRunLoops(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
F:
  - loop_over: xs
    when: item['ok'] and index != 3
    method: m
    args: {n: "{{ item['n'] }}", i: "{{ index }}"}
    save_as: r
  - set: after
    value: "{{ r }}"
  - loop_over: "{{ [] }}"
    method: never
    save_as: untouched
`)
	xs := []any{
		map[string]any{"ok": true, "n": "a"}, map[string]any{"ok": false, "n": "b"},
		map[string]any{"ok": true, "n": "c"}, map[string]any{"ok": true, "n": "d"},
	}
	rt := &fakeRuntime{answer: func(_ StepRef, c Call) (any, error) { return "r-" + c.Args["n"].(string), nil }}
	res := run(t, f, "F", Input{Columns: map[string]any{"xs": xs, "item": "outer"}}, rt)
	require.Equal(t, Succeeded, res.Status)
	// when is evaluated for each item.
	require.Equal(t, []seen{
		{Key: "F[0]#0", Method: "m", Args: map[string]any{"n": "a", "i": 0}},
		{Key: "F[0]#2", Method: "m", Args: map[string]any{"n": "c", "i": 2}},
	}, rt.calls)
	require.Equal(t, []string{"F[0]", "F[0]#0", "F[0]#1", "F[0]#2", "F[0]#3", "F[1]", "F[2]"}, rt.boundaries)
	// The last value saved inside the loop is kept after it.
	require.Equal(t, "r-c", res.Vars["r"])
	require.Equal(t, "r-c", res.Vars["after"])
	require.NotContains(t, res.Vars, "untouched")
	// item is the caller's again; index was unset before the loop.
	require.Equal(t, "outer", res.Vars["item"])
	require.NotContains(t, res.Vars, "index")
}

func TestRunLoopOverNotAList(t *testing.T) {
	t.Parallel()
	f := parseString(t, "F:\n  - loop_over: m\n    method: x\n")
	rt := &fakeRuntime{}
	res := run(t, f, "F", Input{Columns: map[string]any{"m": map[string]any{"a": 1}}}, rt)
	require.Equal(t, Failed, res.Status)
	require.Equal(t, CodeExprError, res.Err.Code)
	require.ErrorIs(t, res.Err, ErrType)
	require.Empty(t, rt.calls)
}

func TestRunExprErrorNeverSends(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
F:
  - method: read
    save_as: info
  - method: write
    args:
      msisdn: "{{ msisdn }}"
      contract_id: "{{ info['contract']['id'] }}"
  - method: after
`)
	rt := &fakeRuntime{answer: byMethod(map[string]any{"read": map[string]any{"contract": map[string]any{}}})}
	res := run(t, f, "F", Input{MSISDN: "155"}, rt)
	require.Equal(t, Failed, res.Status)
	require.Equal(t, CodeExprError, res.Err.Code)
	require.ErrorIs(t, res.Err, ErrKey)
	var xe *ExprError
	require.ErrorAs(t, res.Err, &xe)
	require.Equal(t, Pos{File: "f.yaml", Line: 8, Col: 40}, xe.Pos) // the failing subscript
	require.Equal(t, "F[1]", res.At.Key)
	require.Equal(t, Pos{File: "f.yaml", Line: 5, Col: 5}, res.At.Pos)
	require.Equal(t, []string{"read"}, methods(rt.calls), "the write is never sent")
}

func TestRunWhenErrorIsNotFalse(t *testing.T) {
	t.Parallel()
	f := parseString(t, "F:\n  - when: not party['id']\n    method: hard\n  - method: after\n")
	rt := &fakeRuntime{}
	res := run(t, f, "F", Input{Columns: map[string]any{"party": nil}}, rt)
	require.Equal(t, Failed, res.Status)
	require.Equal(t, CodeExprError, res.Err.Code)
	require.Contains(t, res.Err.Message, "TypeError: 'NoneType' object is not subscriptable")
	require.Empty(t, rt.calls)
}

func TestRunOnError(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
Continue:
  - method: flaky
    save_as: r
    on_error: continue
  - method: after
    args: {r: "{{ r }}", code: "{{ error['code'] }}", step: "{{ error['step'] }}"}
Retry:
  - id: fetch
    method: read
    save_as: r
    on_error: again
  - end: "got {{ r }}"
  - id: again
    method: note
    on_error: fetch
Forever:
  - id: loop
    method: flaky
    on_error: loop
Caller:
  - next_sequence: Inner
    on_error: continue
  - method: after
    args: {code: "{{ error['code'] }}"}
  - next_sequence: Failing
    on_error: continue
  - method: never
Inner:
  - method: flaky
Failing:
  - fail: "stop {{ msisdn }}"
`)
	flaky := &StepError{Code: CodeTransient, Message: "503"}
	t.Run("continue", func(t *testing.T) {
		t.Parallel()
		rt := &fakeRuntime{answer: byMethod(map[string]any{"flaky": flaky})}
		res := run(t, f, "Continue", Input{}, rt)
		require.Equal(t, Succeeded, res.Status)
		require.Nil(t, res.Vars["r"])
		require.Contains(t, res.Vars, "r")
		require.Equal(t, map[string]any{"r": nil, "code": "transient", "step": "Continue[0]"}, rt.calls[1].Args)
	})
	t.Run("jump back", func(t *testing.T) {
		t.Parallel()
		reads := 0
		rt := &fakeRuntime{answer: func(_ StepRef, c Call) (any, error) {
			switch c.Method {
			case "read":
				if reads++; reads == 1 {
					return nil, flaky
				}
				return "doc", nil
			case "note":
				return nil, flaky
			}
			return nil, nil
		}}
		res := run(t, f, "Retry", Input{}, rt)
		require.Equal(t, Ended, res.Status)
		require.Equal(t, "got doc", res.Message)
		require.Equal(t, "Retry[1]", res.At.Key)
		require.Equal(t, []string{"Retry[0]", "Retry[2]", "Retry[0]~2", "Retry[1]"}, rt.boundaries)
	})
	t.Run("a jump that loops stops at the visit limit", func(t *testing.T) {
		t.Parallel()
		rt := &fakeRuntime{answer: byMethod(map[string]any{"flaky": flaky})}
		res := run(t, f, "Forever", Input{}, rt)
		require.Equal(t, Failed, res.Status)
		require.Equal(t, CodeLimit, res.Err.Code)
		require.Len(t, rt.calls, MaxVisits)
		require.Equal(t, fmt.Sprintf("Forever[0]~%d", MaxVisits+1), res.At.Key)
	})
	t.Run("a failure inside next_sequence is the caller's; a fail step is not caught", func(t *testing.T) {
		t.Parallel()
		rt := &fakeRuntime{answer: byMethod(map[string]any{"flaky": flaky})}
		res := run(t, f, "Caller", Input{MSISDN: "155"}, rt)
		require.Equal(t, Failed, res.Status)
		require.Equal(t, &StepError{Code: CodeFail, Message: "stop 155"}, res.Err)
		require.Equal(t, "stop 155", res.Message)
		require.Equal(t, "Caller[2]/Failing[0]", res.At.Key)
		require.Equal(t, []string{"flaky", "after"}, methods(rt.calls))
		require.Equal(t, map[string]any{"code": "transient"}, rt.calls[1].Args)
	})
}

func TestRunApproveEndFail(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
F:
  - approve: "Delete contract of {{ msisdn }}?"
  - next_sequence: G
  - method: never
G:
  - method: delete
  - when: true
    end: "deleted {{ msisdn }}"
`)
	t.Run("awaiting", func(t *testing.T) {
		t.Parallel()
		rt := &fakeRuntime{}
		res := run(t, f, "F", Input{MSISDN: "155"}, rt)
		require.Equal(t, AwaitingApproval, res.Status)
		require.Equal(t, "F[0]", res.At.Key)
		require.Equal(t, "Delete contract of 155?", res.Message)
		require.Equal(t, []string{"F[0]: Delete contract of 155?"}, rt.approvals)
		require.Empty(t, rt.calls)
	})
	t.Run("approved: end ends the callers too", func(t *testing.T) {
		t.Parallel()
		rt := &fakeRuntime{approve: func(StepRef, string) error { return nil }}
		res := run(t, f, "F", Input{MSISDN: "155"}, rt)
		require.Equal(t, Ended, res.Status)
		require.Equal(t, "deleted 155", res.Message)
		require.Equal(t, "F[1]/G[1]", res.At.Key)
		require.Equal(t, []string{"delete"}, methods(rt.calls))
	})
	t.Run("rejected", func(t *testing.T) {
		t.Parallel()
		rt := &fakeRuntime{approve: func(StepRef, string) error { return &StepError{Code: CodeRejected, Message: "no"} }}
		res := run(t, f, "F", Input{MSISDN: "155"}, rt)
		require.Equal(t, Failed, res.Status)
		require.Equal(t, CodeRejected, res.Err.Code)
		require.Empty(t, rt.calls)
	})
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	f := parseString(t, "F:\n  - method: a\n  - method: b\n")
	ctx := context.Background()
	halt := errors.New("paused")

	rt := &fakeRuntime{boundary: func(ref StepRef) error {
		if ref.Index == 1 {
			return halt
		}
		return nil
	}}
	_, err := Run(ctx, f, "F", Input{}, rt)
	require.ErrorIs(t, err, halt)
	require.Equal(t, []string{"a"}, methods(rt.calls), "the boundary stops the run before the step")

	down := errors.New("journal down")
	rt = &fakeRuntime{answer: func(StepRef, Call) (any, error) { return nil, down }}
	_, err = Run(ctx, f, "F", Input{}, rt)
	require.ErrorIs(t, err, down)
	require.Len(t, rt.calls, 1)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Run(cancelled, f, "F", Input{}, &fakeRuntime{})
	require.ErrorIs(t, err, context.Canceled)

	_, err = Run(ctx, f, "G", Input{}, &fakeRuntime{})
	require.EqualError(t, err, `flows: run f.yaml: no flow "G"`)

	bad, _ := Parse("bad.yaml", []byte("F:\n  - next_sequence: G\n"))
	_, err = Run(ctx, bad, "F", Input{}, &fakeRuntime{})
	require.ErrorContains(t, err, "the file has errors")
}

func TestRunCallCarriesPolicy(t *testing.T) {
	t.Parallel()
	f := parseString(t, "F:\n  - id: w\n    method: write\n    retry: 3\n    timeout: 5s\n")
	var got Call
	var ref StepRef
	rt := &fakeRuntime{answer: func(r StepRef, c Call) (any, error) { got, ref = c, r; return nil, nil }}
	run(t, f, "F", Input{}, rt)
	require.Equal(t, 3, got.Retry.Attempts)
	require.Equal(t, 5*time.Second, got.Timeout)
	require.Equal(t, StepRef{Key: "F[0]", Flow: "F", Index: 0, ID: "w", Iteration: -1, Pos: Pos{File: "f.yaml", Line: 2, Col: 5}}, ref)
}

func TestRunSearchInDict(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
F:
  - method: search_in_dict
    args:
      data: "{{ enquiry }}"
      criteria: {status: [{status: ContractActive}], resource: [{resourceNumber: "{{ msisdn }}"}]}
    save_as: contract
  - method: use
    args: {id: "{{ contract['id'] }}"}
  - method: search_in_dict
    args: {data: "{{ enquiry }}"}
`)
	enquiry := map[string]any{"contract": []any{
		map[string]any{"id": "K0", "status": []any{map[string]any{"status": "ContractTerminated"}},
			"resource": []any{map[string]any{"resourceNumber": "155"}}},
		map[string]any{"id": "K1", "status": []any{map[string]any{"status": "ContractSuspended"}, map[string]any{"status": "ContractActive"}},
			"resource": []any{map[string]any{"resourceNumber": "999"}, map[string]any{"resourceNumber": "155"}}},
	}}
	rt := &fakeRuntime{}
	res := run(t, f, "F", Input{MSISDN: "155", Columns: map[string]any{"enquiry": enquiry}}, rt)
	require.Equal(t, []seen{{Key: "F[1]", Method: "use", Args: map[string]any{"id": "K1"}}}, rt.calls, "search_in_dict never reaches the runtime")
	require.Equal(t, Failed, res.Status)
	require.Equal(t, CodeInvalidArgs, res.Err.Code)
	require.Nil(t, search(enquiry, map[string]any{"id": "K9"}))
	require.Equal(t, "K0", search(enquiry, map[string]any{"resource": []any{map[string]any{"resourceNumber": "155"}}}).(map[string]any)["id"])
}

func TestRunStructResults(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
F:
  - method: write
    save_as: w
  - when: w and w['outcome'] == 'applied'
    method: after
    args: {w: "{{ w }}", text: "w={{ w }}"}
`)
	rt := &fakeRuntime{answer: byMethod(map[string]any{"write": &writeResult{Applied: true, Outcome: "applied"}})}
	run(t, f, "F", Input{}, rt)
	require.Equal(t, []string{"write", "after"}, methods(rt.calls))
	require.Equal(t, &writeResult{Applied: true, Outcome: "applied"}, rt.calls[1].Args["w"])
	require.Equal(t, `w={"applied":true,"outcome":"applied"}`, rt.calls[1].Args["text"])
}

func TestStepKeys(t *testing.T) {
	t.Parallel()
	f := parseString(t, `
"A/B [x]":
  - loop_over: xs
    next_sequence: Inner
Inner:
  - loop_over: xs
    method: m
`)
	rt := &fakeRuntime{}
	run(t, f, "A/B [x]", Input{Columns: map[string]any{"xs": []any{1, 2}}}, rt)
	var keys []string
	for _, c := range rt.calls {
		keys = append(keys, c.Key)
	}
	require.Equal(t, []string{
		"A%2FB %5Bx%5D[0]#0/Inner[0]#0", "A%2FB %5Bx%5D[0]#0/Inner[0]#1",
		"A%2FB %5Bx%5D[0]#1/Inner[0]#0", "A%2FB %5Bx%5D[0]#1/Inner[0]#1",
	}, keys)
}

// journal is a runtime as the engine is: calls already made are answered
// from the journal by key, others go live; a crash can be injected.
type journal struct {
	done    map[string]any
	live    []string // keys that went live, in order
	crashAt int      // the live call that crashes, 0 for none
	keys    []string // every boundary key of the last run
}

var errCrash = errors.New("crash")

func (j *journal) Boundary(_ context.Context, ref StepRef) error {
	j.keys = append(j.keys, ref.Key)
	return nil
}

func (j *journal) Call(_ context.Context, ref StepRef, c Call) (any, error) {
	if v, ok := j.done[ref.Key]; ok {
		return v, nil
	}
	if len(j.live)+1 == j.crashAt {
		return nil, errCrash
	}
	j.live = append(j.live, ref.Key)
	var v any
	switch c.Method {
	case "line.get_contract":
		v = contract("Control")
	case "line.get_individual_party":
		v = map[string]any{"id": "P1"}
	case "line.set_soft_cancel_control":
		v = writeResult{Outcome: "rejected"}
	}
	j.done[ref.Key] = v
	return v, nil
}

func (j *journal) Approve(context.Context, StepRef, string) error { return nil }

func TestReplayDeterminism(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	ctx := context.Background()
	in := Input{MSISDN: "155"}

	full := &journal{done: map[string]any{}}
	res, err := Run(ctx, f, "Cancelar", in, full)
	require.NoError(t, err)
	require.Equal(t, Succeeded, res.Status)
	firstKeys := full.keys

	// Keys are unique within a run.
	seenKeys := map[string]bool{}
	for _, k := range firstKeys {
		require.False(t, seenKeys[k], k)
		seenKeys[k] = true
	}

	// Running again with the same answers gives the same keys and no live call.
	full.keys = nil
	liveBefore := len(full.live)
	res2, err := Run(ctx, f, "Cancelar", in, full)
	require.NoError(t, err)
	require.Equal(t, res, res2)
	require.Equal(t, firstKeys, full.keys)
	require.Len(t, full.live, liveBefore)

	// A crash at each call, then a rerun: every call goes live exactly once.
	for crash := 1; crash <= liveBefore; crash++ {
		j := &journal{done: map[string]any{}, crashAt: crash}
		_, err := Run(ctx, f, "Cancelar", in, j)
		require.ErrorIs(t, err, errCrash)
		j.crashAt, j.keys = 0, nil
		res, err := Run(ctx, f, "Cancelar", in, j)
		require.NoError(t, err)
		require.Equal(t, Succeeded, res.Status)
		require.Equal(t, full.live, j.live, "crash at %d", crash)
		require.Equal(t, firstKeys, j.keys)
	}
	require.True(t, strings.HasPrefix(full.live[len(full.live)-1], "Cancelar[1]/Soft_Cancel_Control[1]/Hard_Cancel["))
}

// TestRunConcurrently runs one file on many lines at once, as the engine
// does; with -race it checks that a File is safe for concurrent use.
func TestRunConcurrently(t *testing.T) {
	t.Parallel()
	f := legacyFile(t)
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			rt := &fakeRuntime{answer: byMethod(map[string]any{
				"line.get_contract":            contract([]string{"Control", "Postpaid"}[i%2]),
				"line.set_soft_cancel_control": writeResult{Applied: i%4 == 0},
			})}
			res, err := Run(context.Background(), f, "Cancelar", Input{MSISDN: fmt.Sprint(i)}, rt)
			if err == nil && res.Status != Succeeded {
				err = res.Err
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}
