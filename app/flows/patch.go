package flows

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// Functions the patcher inserts. Their names cannot be written in an
// expression, so they never clash with a flow's variables or functions.
const (
	fnVar     = "·var"     // a variable: NameError when unset
	fnVarOpt  = "·varopt"  // a variable left of ??: None when unset
	fnGetitem = "·getitem" // x[k] and x.k: KeyError when missing
	fnGetopt  = "·getopt"  // x?.[k] and left of ??: None when missing
	fnTruthy  = "·truthy"  // Python's bool()
	fnIn      = "·in"      // Python's in
)

// predicateBuiltin reports whether an expr builtin's predicate is a
// condition, which gets Python's truthiness.
func predicateBuiltin(name string) bool {
	switch name {
	case "all", "any", "none", "one", "filter", "count", "find", "findIndex", "findLast", "findLastIndex":
		return true
	}
	return false
}

// bindsTighterThanNot reports whether an operator binds tighter than
// Python's `not` but looser than expr's, so that expr reads `not a == b`
// as `(not a) == b`.
func bindsTighterThanNot(op string) bool {
	switch op {
	case "==", "!=", "<", ">", "<=", ">=", "in", "matches", "contains", "startsWith", "endsWith", "..", "+", "-":
		return true
	}
	return false
}

// patcher rewrites an expression's tree to Python's meaning: variables
// that must exist, strict subscripts, truthiness wherever a condition is
// read, value-returning and/or, Python's `in` and the precedence of `not`.
// It runs as two expr visitors: scan, which sees the tree before any
// change, then the patch itself, which visits children before parents.
type patcher struct {
	toks    []token
	callees map[ast.Node]bool // identifiers called as functions
	locals  map[string]bool   // names bound by let
	vars    []varAt
	temps   int
	err     *patchError
}

type varAt struct {
	name string
	off  int
}

type patchError struct {
	off int
	msg string
}

type scanVisitor struct{ p *patcher }

func (s scanVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		s.p.callees[n.Callee] = true
	case *ast.VariableDeclaratorNode:
		s.p.locals[n.Name] = true
	}
}

func (p *patcher) options() []expr.Option {
	return []expr.Option{
		// An empty strict environment makes unknown functions compile
		// errors; variables never reach the checker as identifiers.
		expr.Env(map[string]any{}),
		expr.Patch(scanVisitor{p}),
		expr.Patch(p),
		expr.Function(fnVar, func(a ...any) (any, error) { return variable(a[0], a[1], true) }, new(func(any, string) any)),
		expr.Function(fnVarOpt, func(a ...any) (any, error) { return variable(a[0], a[1], false) }, new(func(any, string) any)),
		expr.Function(fnGetitem, func(a ...any) (any, error) { return getitem(a[0], a[1]) }, new(func(any, any) any)),
		expr.Function(fnGetopt, func(a ...any) (any, error) { return getopt(a[0], a[1]) }, new(func(any, any) any)),
		expr.Function(fnTruthy, func(a ...any) (any, error) { return truthy(a[0]), nil }, new(func(any) bool)),
		expr.Function(fnIn, func(a ...any) (any, error) { return contains(a[0], a[1]) }, new(func(any, any) bool)),
		expr.Function("str", func(a ...any) (any, error) { return pyStr(a[0]) }, new(func(any) string)),
		expr.Function("bool", func(a ...any) (any, error) { return truthy(a[0]), nil }, new(func(any) bool)),
	}
}

// variable reads a variable of the run's scope.
func variable(env, name any, strict bool) (any, error) {
	vars, _ := env.(map[string]any)
	v, ok := vars[name.(string)]
	if !ok && strict {
		return nil, fmt.Errorf("%w: name '%s' is not defined", ErrName, name)
	}
	return v, nil
}

func (p *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		p.identifier(node, n)
	case *ast.MemberNode:
		if n.Method {
			p.fail(n.Location().From, "method calls are not supported")
			return
		}
		fn := fnGetitem
		if n.Optional {
			fn = fnGetopt
		}
		*node = call(fn, n, n.Node, n.Property)
	case *ast.ChainNode:
		// Every optional member is a call to getopt now: no chain to cut.
		*node = n.Node
	case *ast.UnaryNode:
		if n.Operator == "not" || n.Operator == "!" {
			n.Node = call(fnTruthy, n.Node, n.Node)
		}
	case *ast.BinaryNode:
		p.binary(node, n)
	case *ast.ConditionalNode:
		n.Cond = call(fnTruthy, n.Cond, n.Cond)
	case *ast.BuiltinNode:
		if predicateBuiltin(n.Name) && len(n.Arguments) > 1 {
			if pr, ok := n.Arguments[1].(*ast.PredicateNode); ok {
				pr.Node = call(fnTruthy, pr.Node, pr.Node)
			}
		}
	}
}

func (p *patcher) identifier(node *ast.Node, n *ast.IdentifierNode) {
	var lit ast.Node
	switch {
	case n.Value == "True":
		lit = &ast.BoolNode{Value: true}
	case n.Value == "False":
		lit = &ast.BoolNode{Value: false}
	case n.Value == "None":
		lit = &ast.NilNode{}
	case n.Value == "$env" || p.callees[n] || p.locals[n.Value]:
		return
	default:
		p.vars = append(p.vars, varAt{name: n.Value, off: n.Location().From})
		lit = call(fnVar, n, &ast.IdentifierNode{Value: "$env"}, &ast.StringNode{Value: n.Value})
	}
	ast.Patch(node, lit)
}

func (p *patcher) binary(node *ast.Node, n *ast.BinaryNode) {
	// Python reads `not a == b` as `not (a == b)`; expr as `(not a) == b`.
	// Move the `not` up unless the source has it in parentheses. Its
	// location stays on the `not`, so an enclosing operator moves it again.
	var not *ast.UnaryNode
	if u, ok := n.Left.(*ast.UnaryNode); ok && bindsTighterThanNot(n.Operator) && u.Operator == "not" &&
		p.tokenAt(u.Location().From).is(tokName, "not") && !p.closesBetween(u.Location().From, n.Location().From) {
		not = u
		n.Left = untruthy(u.Node)
	}
	var out ast.Node = n
	switch n.Operator {
	case "and", "&&", "or", "||":
		out = p.boolean(n)
	case "in":
		out = call(fnIn, n, n.Left, n.Right)
	case "??":
		n.Left = lenient(n.Left)
	}
	if not != nil {
		not.Node = call(fnTruthy, out, out)
		out = not
	}
	*node = out
}

// boolean gives and/or Python's meaning: the deciding operand's value,
// not a bool. `a or b` becomes `let t = a; truthy(t) ? t : b`.
func (p *patcher) boolean(n *ast.BinaryNode) ast.Node {
	name := fmt.Sprintf("·t%d", p.temps)
	p.temps++
	ref := func() ast.Node { return at(&ast.IdentifierNode{Value: name}, n) }
	cond := &ast.ConditionalNode{Cond: call(fnTruthy, n, ref()), Exp1: ref(), Exp2: n.Right}
	if n.Operator == "and" || n.Operator == "&&" {
		cond.Exp1, cond.Exp2 = n.Right, ref()
	}
	return at(&ast.VariableDeclaratorNode{Name: name, Value: n.Left, Expr: at(cond, n)}, n)
}

// lenient turns the subscripts and variable on the left of ?? into their
// forgiving forms, so that `a['b']['c'] ?? d` is d when any part is missing.
func lenient(n ast.Node) ast.Node {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return n
	}
	switch id := c.Callee.(*ast.IdentifierNode); id.Value {
	case fnGetitem:
		id.Value = fnGetopt
		c.Arguments[0] = lenient(c.Arguments[0])
	case fnGetopt:
		c.Arguments[0] = lenient(c.Arguments[0])
	case fnVar:
		id.Value = fnVarOpt
	}
	return n
}

// untruthy undoes the truthiness wrapper the patcher put around n.
func untruthy(n ast.Node) ast.Node {
	if c, ok := n.(*ast.CallNode); ok {
		if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == fnTruthy {
			return c.Arguments[0]
		}
	}
	return n
}

// tokenAt returns the token starting at rune offset off.
func (p *patcher) tokenAt(off int) token {
	for _, t := range p.toks {
		if t.pos == off {
			return t
		}
	}
	return token{}
}

// closesBetween reports whether a bracket opened before from closes in
// [from, to): whether something starting at from is in parentheses that end
// before to.
func (p *patcher) closesBetween(from, to int) bool {
	depth := 0
	for _, t := range p.toks {
		if t.pos < from || t.pos >= to {
			continue
		}
		switch t.kind {
		case tokOpen:
			depth++
		case tokClose:
			depth--
		}
		if depth < 0 {
			return true
		}
	}
	return false
}

func (p *patcher) fail(off int, msg string) {
	if p.err == nil {
		p.err = &patchError{off: off, msg: msg}
	}
}

// call builds fn(args...) at the location of node.
func call(fn string, node ast.Node, args ...ast.Node) ast.Node {
	return at(&ast.CallNode{Callee: at(&ast.IdentifierNode{Value: fn}, node), Arguments: args}, node)
}

func at(n, like ast.Node) ast.Node {
	n.SetLocation(like.Location())
	return n
}
