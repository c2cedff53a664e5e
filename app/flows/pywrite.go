package flows

import (
	"fmt"
	"maps"
	"strings"
)

// Precedences of expr's operators as the writer sees them: an operand
// whose precedence is below what its place needs gets parentheses.
const (
	precCond  = 1
	precOr    = 10
	precAnd   = 15
	precNot   = 17 // the flow language's `not`, which binds as Python's does
	precCmp   = 20
	precAdd   = 30
	precMul   = 60
	precUnary = 90
	precPow   = 100
	precAtom  = 1000
)

func binaryPrec(op string) int {
	switch op {
	case "or":
		return precOr
	case "and":
		return precAnd
	case "+", "-":
		return precAdd
	case "*", "/", "%":
		return precMul
	case "**":
		return precPow
	}
	return precCmp
}

// pyWriter writes a Python tree as expr.
type pyWriter struct {
	// subst writes a comprehension's variable as expr's # inside its closure.
	subst map[string]string
}

// migrateExpr rewrites a Python expression as expr, checking that the
// result compiles.
func migrateExpr(src string) (string, error) {
	n, err := parsePython(src)
	var out string
	if err == nil {
		out, _, err = (&pyWriter{}).write(n)
	}
	if err != nil {
		// Not Python the migrator knows: expr over several lines, perhaps,
		// which only needs joining.
		joined := joinLines(src)
		if _, ok := pythonOnly(tokenize(joined)); ok {
			return "", err
		}
		out = joined
	}
	if _, d := compileExpr(out, place{}); d != nil {
		return "", fmt.Errorf("the rewrite %s does not compile: %s", out, d.Message)
	}
	return out, nil
}

// joinLines joins a multi-line expression into one line.
func joinLines(src string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(strings.TrimSpace(l), `\`)
	}
	return strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
}

// operand writes n, in parentheses when its precedence is below min.
func (w *pyWriter) operand(n pyNode, min int) (string, error) {
	s, prec, err := w.write(n)
	if prec < min {
		s = "(" + s + ")"
	}
	return s, err
}

// write returns n as expr and its precedence.
func (w *pyWriter) write(n pyNode) (string, int, error) {
	switch n := n.(type) {
	case pyName:
		if s, ok := w.subst[n.name]; ok {
			return s, precAtom, nil
		}
		return n.name, precAtom, nil
	case pyLit:
		return n.text, precAtom, nil
	case pyUnary:
		x, err := w.operand(n.x, precUnary)
		if n.op == "not" {
			return "not " + x, precNot, err
		}
		return n.op + x, precUnary, err
	case pyBinary:
		prec := binaryPrec(n.op)
		lmin, rmin := prec, prec+1
		switch {
		case n.op == "**":
			lmin, rmin = prec+1, prec
		case prec == precCmp:
			lmin = prec + 1
		}
		l, err := w.operand(n.l, lmin)
		if err != nil {
			return "", 0, err
		}
		r, err := w.operand(n.r, rmin)
		return l + " " + n.op + " " + r, prec, err
	case pyCond:
		c, err1 := w.operand(n.cond, precOr)
		yes, err2 := w.operand(n.yes, precOr)
		no, err3 := w.operand(n.no, precCond)
		return c + " ? " + yes + " : " + no, precCond, firstErr(err1, err2, err3)
	case pyCall:
		return w.call(n)
	case pyIndex:
		x, err1 := w.operand(n.x, precAtom)
		k, _, err2 := w.write(n.key)
		return x + "[" + k + "]", precAtom, firstErr(err1, err2)
	case pySlice:
		x, err := w.operand(n.x, precAtom)
		var lo, hi string
		var err1, err2 error
		if n.lo != nil {
			lo, _, err1 = w.write(n.lo)
		}
		if n.hi != nil {
			hi, _, err2 = w.write(n.hi)
		}
		return x + "[" + lo + ":" + hi + "]", precAtom, firstErr(err, err1, err2)
	case pyAttr:
		x, err := w.operand(n.x, precAtom)
		return x + "." + n.name, precAtom, err
	case pyList:
		items, err := w.list(n.items)
		return "[" + items + "]", precAtom, err
	case pyDict:
		pairs := make([]string, len(n.keys))
		for i := range n.keys {
			k, _, err1 := w.write(n.keys[i])
			v, _, err2 := w.write(n.vals[i])
			if err := firstErr(err1, err2); err != nil {
				return "", 0, err
			}
			pairs[i] = k + ": " + v
		}
		return "{" + strings.Join(pairs, ", ") + "}", precAtom, nil
	case pyComp:
		return w.comp("list", n)
	}
	return "", 0, fmt.Errorf("unexpected %T", n)
}

func (w *pyWriter) list(items []pyNode) (string, error) {
	out := make([]string, len(items))
	for i, it := range items {
		s, _, err := w.write(it)
		if err != nil {
			return "", err
		}
		out[i] = s
	}
	return strings.Join(out, ", "), nil
}

// call writes a call: the builtins that take a comprehension, Python's
// string and dict methods, and plain functions.
func (w *pyWriter) call(n pyCall) (string, int, error) {
	if a, ok := n.fn.(pyAttr); ok {
		return w.method(a, n.args)
	}
	name, ok := n.fn.(pyName)
	if !ok {
		return "", 0, fmt.Errorf("calls of computed functions have no expr equivalent")
	}
	if len(n.args) == 1 {
		if c, ok := n.args[0].(pyComp); ok {
			switch name.name {
			case "len", "sum", "any", "all", "list", "min", "max":
				return w.comp(name.name, c)
			}
			return "", 0, fmt.Errorf("%s() of a comprehension has no expr equivalent", name.name)
		}
	}
	args, err := w.list(n.args)
	return name.name + "(" + args + ")", precAtom, err
}

func (w *pyWriter) method(a pyAttr, args []pyNode) (string, int, error) {
	x, err := w.operand(a.x, precAtom)
	if err != nil {
		return "", 0, err
	}
	switch {
	case a.name == "get" && (len(args) == 1 || len(args) == 2):
		k, _, err := w.write(args[0])
		if err != nil || len(args) == 1 {
			return x + "?.[" + k + "]", precAtom, err
		}
		d, err := w.operand(args[1], precAtom)
		return "(" + x + "?.[" + k + "] ?? " + d + ")", precAtom, err
	case (a.name == "startswith" || a.name == "endswith") && len(args) == 1:
		x, err1 := w.operand(a.x, precCmp+1)
		y, err2 := w.operand(args[0], precCmp+1)
		op := map[string]string{"startswith": "startsWith", "endswith": "endsWith"}[a.name]
		return x + " " + op + " " + y, precCmp, firstErr(err1, err2)
	case len(args) == 0:
		fn := map[string]string{"lower": "lower", "upper": "upper", "strip": "trim", "keys": "keys", "values": "values"}[a.name]
		if fn != "" {
			return fn + "(" + x + ")", precAtom, nil
		}
	}
	return "", 0, fmt.Errorf("the method .%s() with %d arguments has no expr equivalent", a.name, len(args))
}

// comp writes a comprehension: as a list, or as what fn makes of it.
func (w *pyWriter) comp(fn string, c pyComp) (string, int, error) {
	iter, _, err := w.write(c.iter)
	if err != nil {
		return "", 0, err
	}
	elemIsVar := c.elem == pyName{name: c.v}
	builtin := func(name string, body pyNode) (string, int, error) {
		pred, err := w.closure(c.v, body)
		return name + "(" + iter + ", " + pred + ")", precAtom, err
	}
	switch fn {
	case "len":
		if c.cond == nil {
			return "len(" + iter + ")", precAtom, nil
		}
		return builtin("count", c.cond)
	case "sum":
		if lit, ok := c.elem.(pyLit); ok && lit.text == "1" {
			return w.comp("len", c)
		}
	case "any":
		if c.cond == nil {
			return builtin("any", c.elem)
		}
		return builtin("any", pyBinary{op: "and", l: c.cond, r: c.elem})
	case "all":
		if c.cond == nil {
			return builtin("all", c.elem)
		}
		return builtin("all", pyBinary{op: "or", l: pyUnary{op: "not", x: c.cond}, r: c.elem})
	}
	list := iter
	if c.cond != nil {
		if list, _, err = builtin("filter", c.cond); err != nil {
			return "", 0, err
		}
	}
	if !elemIsVar {
		pred, err := w.closure(c.v, c.elem)
		if err != nil {
			return "", 0, err
		}
		list = "map(" + list + ", " + pred + ")"
	}
	if fn == "list" || fn == "len" {
		return list, precAtom, nil
	}
	return fn + "(" + list + ")", precAtom, nil
}

// closure writes a comprehension's body as an expr predicate: with the
// variable as #, or, when the body holds a comprehension of its own whose
// # would hide it, bound by let.
func (w *pyWriter) closure(v string, body pyNode) (string, error) {
	inner := &pyWriter{subst: maps.Clone(w.subst)}
	if inner.subst == nil {
		inner.subst = map[string]string{}
	}
	if hasComp(body) {
		delete(inner.subst, v)
		s, _, err := inner.write(body)
		return "{let " + v + " = #; " + s + "}", err
	}
	inner.subst[v] = "#"
	s, _, err := inner.write(body)
	return "{" + s + "}", err
}

// hasComp reports whether a tree holds a comprehension.
func hasComp(n pyNode) bool {
	switch n := n.(type) {
	case pyComp:
		return true
	case pyUnary:
		return hasComp(n.x)
	case pyBinary:
		return hasComp(n.l) || hasComp(n.r)
	case pyCond:
		return hasComp(n.cond) || hasComp(n.yes) || hasComp(n.no)
	case pyCall:
		return hasComp(n.fn) || anyComp(n.args)
	case pyIndex:
		return hasComp(n.x) || hasComp(n.key)
	case pySlice:
		return hasComp(n.x) || n.lo != nil && hasComp(n.lo) || n.hi != nil && hasComp(n.hi)
	case pyAttr:
		return hasComp(n.x)
	case pyList:
		return anyComp(n.items)
	case pyDict:
		return anyComp(n.keys) || anyComp(n.vals)
	}
	return false
}

func anyComp(ns []pyNode) bool {
	for _, n := range ns {
		if hasComp(n) {
			return true
		}
	}
	return false
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
