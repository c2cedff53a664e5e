package flows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Runtime is what the interpreter needs from the engine that runs a line.
// The engine reruns a line's flow from its start after a crash and answers
// the calls it has already made from its journal, by StepRef.Key.
type Runtime interface {
	// Boundary runs before every step and every iteration of a looping
	// step; an error (cancelled, paused) stops the run there.
	Boundary(ctx context.Context, ref StepRef) error
	// Call performs one method call, or returns its journaled result on
	// replay. The value returned is what save_as stores: for a read, the
	// decoded document, nil when there is none (so that `when: not x`
	// fallbacks run); for a write, a Truther that is true when the write
	// was applied (or the line already was in that state) and false when
	// the system refused it. An outcome the flow cannot act on is a
	// *StepError (codes such as CodeTransient, CodeUnknown, CodeTimeout),
	// returned after the runtime has applied call.Retry and call.Timeout:
	// only it knows whether resending a write is safe. Any other error
	// aborts the run.
	Call(ctx context.Context, ref StepRef, call Call) (any, error)
	// Approve parks the line at an approve step: it returns nil once a
	// person has approved, ErrAwaitingApproval until then, and a
	// *StepError (such as CodeRejected) to fail the step.
	Approve(ctx context.Context, ref StepRef, message string) error
}

// ErrAwaitingApproval is what Runtime.Approve returns until the step is approved.
var ErrAwaitingApproval = errors.New("flows: awaiting approval")

// MethodSearchInDict is the one method the interpreter runs itself: it is
// pure. Its arguments are data and criteria; it returns the first value
// within data (data itself included, depth first, map keys in sorted order)
// that deep-partially matches criteria, or None.
const MethodSearchInDict = "search_in_dict"

// Limits that stop a run that would not end; exceeding one fails the line
// with CodeLimit, which on_error does not catch.
const (
	MaxDepth  = 32      // next_sequence calls within one another
	MaxVisits = 100     // runs of one step within one call of its flow (on_error jumps back)
	MaxSteps  = 100_000 // steps and loop iterations in one run
)

// Call is one method call for the runtime.
type Call struct {
	Method string
	// Args are the step's arguments with their templates evaluated.
	Args map[string]any
	// Retry is the step's retry policy, nil when it has none.
	Retry *RetryPolicy
	// Timeout is the step's timeout, zero for the runtime's default.
	Timeout time.Duration
}

// StepRef identifies one execution of a step.
type StepRef struct {
	// Key is stable across reruns of a line and unique within a run: the
	// call path, each frame written flow[index], with ~visit when the step
	// runs again after an on_error jump (visits from 2) and #iteration in a
	// loop. Frames are joined by "/". Example:
	// Cancelar[1]/Soft_Cancel_Control[1]/Hard_Cancel[1]. In flow names,
	// the characters % / [ ] # ~ are escaped as %XX.
	Key   string
	Flow  string
	Index int
	ID    string
	// Iteration is the loop iteration, -1 outside loops.
	Iteration int
	Pos       Pos
}

// StepError is a failed step: a call's failure as the runtime reports it,
// or one of the interpreter's (CodeExprError, CodeFail, CodeLimit,
// CodeInvalidArgs).
type StepError struct {
	Code    string
	Message string
	// Err is the cause, if any: an *ExprError for CodeExprError.
	Err error
}

func (e *StepError) Error() string { return e.Code + ": " + e.Message }

func (e *StepError) Unwrap() error { return e.Err }

// Input is a line: its MSISDN, its other input columns and its payload.
type Input struct {
	MSISDN  string
	Columns map[string]any
	Payload any
}

// Status is how a run ended.
type Status string

const (
	Succeeded        Status = "succeeded"         // the flow ran to its end
	Failed           Status = "failed"            // a step failed and nothing caught it
	AwaitingApproval Status = "awaiting_approval" // an approve step waits for a person
	Ended            Status = "ended"             // an end step ended the line successfully
)

// Result is the outcome of a run.
type Result struct {
	Status Status
	// At is the step where the run stopped, unless it succeeded.
	At StepRef
	// Err is why it failed.
	Err *StepError
	// Message is the message of the fail, approve or end step.
	Message string
	// Vars are the variables at the end of the run.
	Vars map[string]any
}

// Run runs a flow of f on one line. It is deterministic: given the same
// answers from rt, it makes the same calls with the same keys. It returns
// an error when f has errors, flow does not exist, ctx is done or rt fails
// with something other than a *StepError; a failed step is a Result.
func Run(ctx context.Context, f *File, flow string, in Input, rt Runtime) (Result, error) {
	if f == nil || rt == nil {
		return Result{}, errors.New("flows: run: no file or no runtime")
	}
	if err := f.diags.Err(); err != nil {
		return Result{}, fmt.Errorf("flows: run %s: the file has errors: %w", f.Name, err)
	}
	fl := f.Flow(flow)
	if fl == nil {
		return Result{}, fmt.Errorf("flows: run %s: no flow %q", f.Name, flow)
	}
	vars := make(map[string]any, len(in.Columns)+2)
	maps.Copy(vars, in.Columns)
	vars["msisdn"], vars["payload"] = in.MSISDN, in.Payload
	r := &runner{file: f, rt: rt, vars: vars}
	out, err := r.flow(ctx, fl, "", 0)
	if err != nil {
		return Result{}, err
	}
	res := Result{Status: Succeeded, Vars: vars}
	if out != nil {
		res.Status, res.At, res.Err, res.Message = out.status, out.at, out.err, out.message
	}
	return res, nil
}

// isBuiltinVar reports whether the interpreter sets a name itself.
func isBuiltinVar(name string) bool {
	switch name {
	case "msisdn", "payload", "item", "index", "error", "True", "False", "None":
		return true
	}
	return false
}

type runner struct {
	file  *File
	rt    Runtime
	vars  map[string]any
	vm    vm.VM
	steps int
}

// stop is why a flow did not run to its end.
type stop struct {
	status  Status
	at      StepRef
	err     *StepError
	message string
	final   bool // no on_error catches it
}

func (r *runner) flow(ctx context.Context, fl *Flow, prefix string, depth int) (*stop, error) {
	visits := make([]int, len(fl.Steps))
	for i := 0; i < len(fl.Steps); {
		st := fl.Steps[i]
		visits[i]++
		ref := StepRef{Key: prefix + fl.key + "[" + strconv.Itoa(i) + "]", Flow: fl.Name, Index: i, ID: st.ID, Iteration: -1, Pos: st.Pos}
		if visits[i] > 1 {
			ref.Key += "~" + strconv.Itoa(visits[i])
		}
		if visits[i] > MaxVisits {
			return limit(ref, "step ran more than %d times in one call of its flow", MaxVisits), nil
		}
		next, out, err := r.step(ctx, fl, st, ref, depth)
		if out != nil || err != nil {
			return out, err
		}
		i = next
	}
	return nil, nil
}

// step runs a step, each iteration for a looping one, and returns the
// index of the step to run next.
func (r *runner) step(ctx context.Context, fl *Flow, st *Step, ref StepRef, depth int) (int, *stop, error) {
	if out, err := r.boundary(ctx, ref); out != nil || err != nil {
		return 0, out, err
	}
	if st.LoopOver == nil {
		out, err := r.once(ctx, st, ref, depth)
		if err != nil {
			return 0, nil, err
		}
		next, _, out := r.settle(fl, st, out)
		return next, out, nil
	}
	v, err := st.LoopOver.eval(&r.vm, r.vars)
	if err != nil {
		next, _, out := r.settle(fl, st, exprFailure(ref, err))
		return next, out, nil
	}
	items, ok := list(v)
	if !ok {
		err := &ExprError{Pos: st.LoopOver.Pos, Expr: st.LoopOver.Source, Err: fmt.Errorf("%w: loop_over wants a list, not %s", ErrType, pyType(v))}
		next, _, out := r.settle(fl, st, exprFailure(ref, err))
		return next, out, nil
	}
	defer r.restore("item")()
	defer r.restore("index")()
	for i, item := range items {
		iter := ref
		iter.Iteration = i
		iter.Key += "#" + strconv.Itoa(i)
		r.vars["item"], r.vars["index"] = item, i
		if out, err := r.boundary(ctx, iter); out != nil || err != nil {
			return 0, out, err
		}
		out, err := r.once(ctx, st, iter, depth)
		if err != nil {
			return 0, nil, err
		}
		next, jumped, out := r.settle(fl, st, out)
		if out != nil || jumped {
			return next, out, nil
		}
	}
	return st.Index + 1, nil, nil
}

// restore returns a function that puts a variable back as it is now.
func (r *runner) restore(name string) func() {
	old, had := r.vars[name]
	return func() {
		if had {
			r.vars[name] = old
		} else {
			delete(r.vars, name)
		}
	}
}

// list returns the elements of a list value.
func list(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

func (r *runner) boundary(ctx context.Context, ref StepRef) (*stop, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("flows: %s: %w", ref.Key, err)
	}
	if r.steps++; r.steps > MaxSteps {
		return limit(ref, "the run took more than %d steps", MaxSteps), nil
	}
	if err := r.rt.Boundary(ctx, ref); err != nil {
		return nil, fmt.Errorf("flows: %s: %w", ref.Key, err)
	}
	return nil, nil
}

// once runs one execution of a step: its condition, then its action.
func (r *runner) once(ctx context.Context, st *Step, ref StepRef, depth int) (*stop, error) {
	if st.When != nil {
		v, err := st.When.eval(&r.vm, r.vars)
		if err != nil {
			return exprFailure(ref, err), nil
		}
		if !truthy(v) {
			return nil, nil
		}
	}
	switch {
	case st.Method != "":
		return r.call(ctx, st, ref)
	case st.NextSequence != "":
		callee := r.file.Flow(st.NextSequence)
		if callee == nil || depth+1 >= MaxDepth {
			return limit(ref, "next_sequence %q: no such flow, or more than %d nested calls", st.NextSequence, MaxDepth), nil
		}
		return r.flow(ctx, callee, ref.Key+"/", depth+1)
	case st.Set != "":
		v, err := st.Value.eval(&r.vm, r.vars)
		if err != nil {
			return exprFailure(ref, err), nil
		}
		r.vars[st.Set] = v
	case st.Approve != nil:
		msg, err := st.Approve.render(&r.vm, r.vars)
		if err != nil {
			return exprFailure(ref, err), nil
		}
		var se *StepError
		switch err := r.rt.Approve(ctx, ref, msg); {
		case errors.Is(err, ErrAwaitingApproval):
			return &stop{status: AwaitingApproval, at: ref, message: msg}, nil
		case errors.As(err, &se):
			return &stop{status: Failed, at: ref, err: se}, nil
		case err != nil:
			return nil, fmt.Errorf("flows: approve %s: %w", ref.Key, err)
		}
	case st.Fail != nil:
		msg, err := st.Fail.render(&r.vm, r.vars)
		if err != nil {
			return exprFailure(ref, err), nil
		}
		return &stop{status: Failed, at: ref, err: &StepError{Code: CodeFail, Message: msg}, message: msg, final: true}, nil
	case st.End != nil:
		msg, err := st.End.render(&r.vm, r.vars)
		if err != nil {
			return exprFailure(ref, err), nil
		}
		return &stop{status: Ended, at: ref, message: msg}, nil
	}
	return nil, nil
}

// call evaluates a method step's arguments, all of them before anything is
// sent, and makes the call.
func (r *runner) call(ctx context.Context, st *Step, ref StepRef) (*stop, error) {
	args := make(map[string]any, len(st.Args))
	for _, a := range st.Args {
		v, err := a.Value.eval(&r.vm, r.vars)
		if err != nil {
			return exprFailure(ref, err), nil
		}
		args[a.Name] = v
	}
	var result any
	if st.Method == MethodSearchInDict {
		var se *StepError
		if result, se = searchInDict(args); se != nil {
			return &stop{status: Failed, at: ref, err: se}, nil //nolint:nilerr // a step that fails stops its line: an outcome, not an error
		}
	} else {
		var err error
		result, err = r.rt.Call(ctx, ref, Call{Method: st.Method, Args: args, Retry: st.Retry, Timeout: st.Timeout})
		var se *StepError
		switch {
		case errors.As(err, &se):
			return &stop{status: Failed, at: ref, err: se}, nil
		case err != nil:
			return nil, fmt.Errorf("flows: call %s at %s: %w", st.Method, ref.Key, err)
		}
	}
	if st.SaveAs != "" {
		r.vars[st.SaveAs] = result
	}
	return nil, nil
}

// settle applies a step's on_error to how it ended: it returns the index of
// the next step, whether that is a jump, and the stop to pass up, if any.
// A handled failure sets the step's variable to None and error to
// {code, message, step}.
func (r *runner) settle(fl *Flow, st *Step, out *stop) (int, bool, *stop) {
	if out == nil {
		return st.Index + 1, false, nil
	}
	if out.status != Failed || out.final || st.OnError == "" || st.OnError == OnErrorFail {
		return 0, false, out
	}
	if name := cmp.Or(st.SaveAs, st.Set); name != "" {
		r.vars[name] = nil
	}
	r.vars["error"] = map[string]any{"code": out.err.Code, "message": out.err.Message, "step": out.at.Key}
	if st.OnError == OnErrorContinue {
		return st.Index + 1, false, nil
	}
	return fl.ids[st.OnError], true, nil
}

func exprFailure(ref StepRef, err error) *stop {
	return &stop{status: Failed, at: ref, err: &StepError{Code: CodeExprError, Message: err.Error(), Err: err}}
}

func limit(ref StepRef, format string, args ...any) *stop {
	return &stop{status: Failed, at: ref, err: &StepError{Code: CodeLimit, Message: fmt.Sprintf(format, args...)}, final: true}
}
