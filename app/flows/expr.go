package flows

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Expr is an expression of a flow file, compiled when the file is parsed.
type Expr struct {
	// Source is the expression as written, without surrounding space.
	Source string
	// Pos is where Source starts.
	Pos Pos

	program *vm.Program
	at      place
	vars    []varUse
}

// varUse is a variable an expression reads, for lint.
type varUse struct {
	name string
	pos  Pos
}

// ExprError is an expression that failed at run time. A step whose
// expression fails fails with code expr_error; the failure never turns into
// false, and an argument that fails is never sent.
type ExprError struct {
	// Pos is the place in the file of the part of the expression that failed.
	Pos Pos
	// Expr is the expression's source.
	Expr string
	// Err says why. Python's errors wrap ErrName, ErrKey, ErrIndex or ErrType.
	Err error
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("%s: %s: %v", e.Pos, e.Expr, e.Err)
}

func (e *ExprError) Unwrap() error { return e.Err }

// place maps rune offsets of a scalar's text to positions in the file.
type place struct {
	pos    Pos  // the position of offset 0
	indent int  // columns before the text on later lines (block scalars)
	exact  bool // false when the file does not hold the text as is (escapes, folding)
}

// at returns the position of rune offset off of text, which starts at p.
func (p place) at(text string, off int) Pos {
	if !p.exact {
		return p.pos
	}
	pos := p.pos
	i := 0
	for _, r := range text {
		if i == off {
			break
		}
		i++
		if r == '\n' {
			pos.Line++
			pos.Col = p.indent + 1
		} else {
			pos.Col++
		}
	}
	return pos
}

// shift returns the place of rune offset off of text.
func (p place) shift(text string, off int) place {
	p.pos = p.at(text, off)
	return p
}

// compileExpr compiles an expression found at pl. On failure it returns a
// diagnostic at the offending part.
func compileExpr(raw string, pl place) (*Expr, *Diagnostic) {
	trimmed := strings.TrimLeftFunc(raw, unicode.IsSpace)
	pl = pl.shift(raw, len([]rune(raw))-len([]rune(trimmed)))
	src := strings.TrimRightFunc(trimmed, unicode.IsSpace)
	e := &Expr{Source: src, Pos: pl.pos, at: pl}
	if src == "" {
		return nil, &Diagnostic{Pos: e.Pos, Code: CodeExpr, Message: "empty expression"}
	}
	toks := tokenize(src)
	if c, ok := pythonOnly(toks); ok {
		return nil, &Diagnostic{Pos: e.pos(c.off), Code: CodePython,
			Message: fmt.Sprintf("Python %s, which expr cannot express: run pff flows migrate", c.what)}
	}
	p := &patcher{toks: toks, callees: map[ast.Node]bool{}, locals: map[string]bool{}}
	program, err := expr.Compile(src, p.options()...)
	if p.err != nil {
		return nil, &Diagnostic{Pos: e.pos(p.err.off), Code: CodeExpr, Message: p.err.msg}
	}
	if err != nil {
		d := &Diagnostic{Pos: e.Pos, Code: CodeExpr, Message: err.Error()}
		var fe *file.Error
		if errors.As(err, &fe) {
			d.Pos, d.Message = e.pos(fe.From), fe.Message
		}
		return nil, d
	}
	e.program = program
	for _, v := range p.vars {
		e.vars = append(e.vars, varUse{name: v.name, pos: e.pos(v.off)})
	}
	return e, nil
}

// pos is the place in the file of rune offset off of the source.
func (e *Expr) pos(off int) Pos { return e.at.at(e.Source, off) }

// eval runs the expression over the variables.
func (e *Expr) eval(m *vm.VM, vars map[string]any) (any, error) {
	out, err := m.Run(e.program, vars)
	if err == nil {
		return out, nil
	}
	xe := &ExprError{Pos: e.Pos, Expr: e.Source, Err: err}
	var fe *file.Error
	if errors.As(err, &fe) {
		xe.Pos = e.pos(fe.From)
		xe.Err = fe.Unwrap()
		if xe.Err == nil {
			xe.Err = errors.New(fe.Message)
		}
	}
	return nil, xe
}
