package bss

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// verifySpec says how to tell whether a write was applied: a read and an
// expression over its answer.
type verifySpec struct {
	method   string
	argsSpec map[string]any
	args     valueTemplate
	src      string
	prog     *vm.Program
}

// verifyEnv is what a verify expression sees.
type verifyEnv struct {
	// Result is the read's value; nil when it found nothing.
	Result any `expr:"result"`
	// Found is whether the read found something.
	Found bool `expr:"found"`
	// Args are the write's args.
	Args map[string]any `expr:"args"`
}

// maxExprLen bounds an expression in the catalogue.
const maxExprLen = 4096

// verifyOptions are the compile options of every verify expression: the
// environment and the functions over BSS documents.
func verifyOptions() []expr.Option {
	return []expr.Option{
		expr.Env(verifyEnv{}),
		expr.Function("line_contract", func(p ...any) (any, error) {
			msisdn, err := scalarText(p[1])
			if err != nil {
				return nil, fmt.Errorf("line_contract: msisdn %w", err)
			}
			if line, ok := FindLine(p[0], msisdn); ok {
				return line["contract"], nil
			}
			return nil, nil
		}, new(func(any, any) any)),
		expr.Function("current_status", func(p ...any) (any, error) {
			return CurrentStatus(p[0]), nil
		}, new(func(any) string)),
		expr.Function("find", func(p ...any) (any, error) {
			for _, e := range anyList(p[0]) {
				if DeepMatch(e, p[1]) {
					return e, nil
				}
			}
			return nil, nil
		}, new(func(any, any) any)),
		expr.Function("match", func(p ...any) (any, error) {
			return p[0] != nil && DeepMatch(p[0], p[1]), nil
		}, new(func(any, any) bool)),
	}
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// compileVerifies compiles the verify spec of every write, now that every
// method is known.
func (c *Catalogue) compileVerifies() []error {
	var errs []error
	for _, name := range c.names {
		for _, v := range c.methods[name].variants {
			if v.verify == nil {
				continue
			}
			if err := c.compileVerify(v); err != nil {
				errs = append(errs, fmt.Errorf("methods.%s.variants (%s).verify: %w", name, v.id, err))
			}
		}
	}
	return errs
}

func (c *Catalogue) compileVerify(v *variant) (err error) {
	vs := v.verify
	target, ok := c.methods[vs.method]
	switch {
	case !ok:
		return fmt.Errorf("method %q is not in the catalogue", vs.method)
	case target.effect != EffectRead:
		return fmt.Errorf("method %s is a %s; verify with a read", vs.method, target.effect)
	case vs.src == "":
		return errors.New("expr is empty")
	case len(vs.src) > maxExprLen:
		return fmt.Errorf("expr is longer than %d bytes", maxExprLen)
	}
	var argsSpec any = vs.argsSpec
	if vs.argsSpec == nil {
		argsSpec = map[string]any{}
	}
	if vs.args, err = compileValue(argsSpec, 0); err != nil {
		return fmt.Errorf("args: %w", err)
	}
	declared := v.params()
	var errs []error
	vs.args.walk(func(t template) {
		for _, a := range t.args() {
			if !slices.Contains(declared, a) {
				errs = append(errs, fmt.Errorf("args: {%s} is not an arg of the write", a))
			}
		}
	})
	for k := range vs.argsSpec {
		if _, known := slices.BinarySearch(target.params, k); !known {
			errs = append(errs, fmt.Errorf("args: %s is not an arg of %s", k, vs.method))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if vs.prog, err = compileExpr(vs.src); err != nil {
		return fmt.Errorf("expr: %w", err)
	}
	return nil
}

// compileExpr compiles an expression; expr-lang is third-party code, so a
// panic on a hostile catalogue becomes an error.
func compileExpr(src string) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("expression does not compile: %v", r)
		}
	}()
	return expr.Compile(src, verifyOptions()...)
}

// verifyRequest resolves the read that verifies a write made with args.
func (c *Catalogue) verifyRequest(v *variant, args map[string]any) (Request, error) {
	rendered, _, err := v.verify.args.render(args)
	if err != nil {
		return Request{}, fmt.Errorf("bss: verify %s: args: %w", v.method, err)
	}
	readArgs, _ := rendered.(map[string]any)
	req, err := c.Resolve(v.verify.method, readArgs)
	if err != nil {
		return Request{}, fmt.Errorf("bss: verify %s: %w", v.method, err)
	}
	return req, nil
}

// evalVerify runs a verify expression. It must yield a boolean: anything
// else is an error, never false (the legacy engine's silent false sent
// flows down the wrong branch).
func evalVerify(vs *verifySpec, result any, found bool, args map[string]any) (applied bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			applied, err = false, fmt.Errorf("verify expression panicked: %v", r)
		}
	}()
	out, err := expr.Run(vs.prog, verifyEnv{Result: result, Found: found, Args: args})
	if err != nil {
		return false, fmt.Errorf("verify expression %q: %w", vs.src, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("verify expression %q gave %T (%v), not a boolean", vs.src, out, out)
	}
	return b, nil
}

// ErrNotVerifiable is returned by Verify for a write whose catalogue entry
// has no verify.
var ErrNotVerifiable = errors.New("bss: the catalogue says no way to verify this write")

// Verify tells whether the write req (resolved with args; nil means
// req.Args) has been applied, by running its verify read and expression.
// known is false when that cannot be told (the read failed, the expression
// failed, or the write has no verify); err then says why. A read that finds
// nothing is not a failure: the expression decides with found=false.
func (c *Client) Verify(ctx context.Context, req Request, args map[string]any) (applied, known bool, err error) {
	if args == nil {
		args = req.Args
	}
	v := req.v
	if v == nil || v.method != req.Operation {
		// A Request rebuilt by hand or decoded: resolve it again.
		r, err := c.cat.Resolve(req.Operation, args)
		if err != nil {
			return false, false, err
		}
		v = r.v
	}
	if v.verify == nil {
		return false, false, fmt.Errorf("%w: %s (%s)", ErrNotVerifiable, v.method, v.id)
	}
	read, err := c.cat.verifyRequest(v, args)
	if err != nil {
		return false, false, err
	}
	res := c.Do(ctx, read)
	switch res.Outcome {
	case Success, NotFound:
	default:
		return false, false, fmt.Errorf("bss: verify %s: %s was %s: %w", v.method, read.Operation, res.Outcome, res.Err)
	}
	applied, err = evalVerify(v.verify, res.Value, res.Outcome == Success, args)
	if err != nil {
		return false, false, fmt.Errorf("bss: verify %s: %w", v.method, err)
	}
	return applied, true, nil
}
