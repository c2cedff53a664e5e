package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The migrator parses a legacy expression as Python, the subset fix flows
// use, and writes it back as expr. Python's precedence is kept by the tree;
// the writer adds the parentheses expr needs.

// pyNode is a node of a Python expression.
type pyNode interface{ pyNode() }

type (
	pyName  struct{ name string }
	pyLit   struct{ text string } // a number or string, written as expr reads it
	pyUnary struct {
		op string
		x  pyNode
	}
	pyBinary struct {
		op   string // as expr writes it
		l, r pyNode
	}
	pyCond struct{ cond, yes, no pyNode }
	pyCall struct {
		fn   pyNode
		args []pyNode
	}
	pyIndex struct{ x, key pyNode }
	pySlice struct{ x, lo, hi pyNode } // lo and hi may be nil
	pyAttr  struct {
		x    pyNode
		name string
	}
	pyList struct{ items []pyNode }
	pyDict struct{ keys, vals []pyNode }
	// pyComp is a list comprehension or generator expression with one
	// for clause and any number of if clauses, joined into cond.
	pyComp struct {
		elem pyNode
		v    string
		iter pyNode
		cond pyNode // nil without if
	}
)

func (pyName) pyNode()   {}
func (pyLit) pyNode()    {}
func (pyUnary) pyNode()  {}
func (pyBinary) pyNode() {}
func (pyCond) pyNode()   {}
func (pyCall) pyNode()   {}
func (pyIndex) pyNode()  {}
func (pySlice) pyNode()  {}
func (pyAttr) pyNode()   {}
func (pyList) pyNode()   {}
func (pyDict) pyNode()   {}
func (pyComp) pyNode()   {}

// pyError is what the migrator cannot rewrite, at a rune offset.
type pyError struct {
	off int
	msg string
}

func (e *pyError) Error() string { return e.msg }

type pyParser struct {
	toks []token
	i    int
}

// parsePython parses a Python expression; newlines and backslash
// continuations are whitespace to it.
func parsePython(src string) (pyNode, error) {
	p := &pyParser{}
	for _, t := range tokenize(src) {
		if t.kind != tokNewline && !t.is(tokOp, `\`) {
			p.toks = append(p.toks, t)
		}
	}
	n, err := p.test()
	if err == nil && p.peek().kind != tokEOF {
		err = p.errorf("unexpected %q", p.peek().text)
	}
	return n, err
}

func (p *pyParser) peek() token { return p.toks[p.i] }

func (p *pyParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// accept consumes the next token if it is text (a name, operator or bracket).
func (p *pyParser) accept(text string) bool {
	if t := p.peek(); t.text == text && t.kind != tokString {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) expect(text string) error {
	if !p.accept(text) {
		return p.errorf("want %q, found %q", text, p.peek().text)
	}
	return nil
}

func (p *pyParser) errorf(format string, args ...any) error {
	return &pyError{off: p.peek().pos, msg: fmt.Sprintf(format, args...)}
}

// test is Python's conditional expression, x if c else y.
func (p *pyParser) test() (pyNode, error) {
	x, err := p.or()
	if err != nil || !p.accept("if") {
		return x, err
	}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if err := p.expect("else"); err != nil {
		return nil, err
	}
	y, err := p.test()
	return pyCond{cond: c, yes: x, no: y}, err
}

func (p *pyParser) or() (pyNode, error)  { return p.boolean("or", p.and) }
func (p *pyParser) and() (pyNode, error) { return p.boolean("and", p.not) }

func (p *pyParser) boolean(op string, operand func() (pyNode, error)) (pyNode, error) {
	x, err := operand()
	for err == nil && p.accept(op) {
		var y pyNode
		y, err = operand()
		x = pyBinary{op: op, l: x, r: y}
	}
	return x, err
}

func (p *pyParser) not() (pyNode, error) {
	if p.accept("not") {
		x, err := p.not()
		return pyUnary{op: "not", x: x}, err
	}
	return p.comparison()
}

// comparison turns Python's chains, a < b < c, into a < b and b < c.
func (p *pyParser) comparison() (pyNode, error) {
	x, err := p.arith()
	if err != nil {
		return nil, err
	}
	var out pyNode
	for {
		op := ""
		switch t := p.peek(); {
		case t.kind == tokOp && (t.text == "<" || t.text == ">" || t.text == "==" || t.text == "!=" || t.text == "<=" || t.text == ">="):
			op = p.next().text
		case p.accept("in"):
			op = "in"
		case p.accept("is"):
			op = "=="
			if p.accept("not") {
				op = "!="
			}
		case t.is(tokName, "not") && p.toks[p.i+1].is(tokName, "in"):
			p.i += 2
			op = "not in"
		}
		if op == "" {
			break
		}
		y, err := p.arith()
		if err != nil {
			return nil, err
		}
		cmp := pyBinary{op: op, l: x, r: y}
		if out == nil {
			out = cmp
		} else {
			out = pyBinary{op: "and", l: out, r: cmp}
		}
		x = y
	}
	if out == nil {
		return x, nil
	}
	return out, nil
}

func (p *pyParser) arith() (pyNode, error) {
	return p.binaryLevel([]string{"+", "-"}, p.term)
}

func (p *pyParser) term() (pyNode, error) {
	return p.binaryLevel([]string{"*", "/", "%"}, p.factor)
}

func (p *pyParser) binaryLevel(ops []string, operand func() (pyNode, error)) (pyNode, error) {
	x, err := operand()
	for err == nil {
		t := p.peek()
		switch {
		case t.kind == tokOp && (t.text == "//" || t.text == "|" || t.text == "&" || t.text == "^" || t.text == "<<" || t.text == ">>" || t.text == "@"):
			return nil, p.errorf("Python's %s operator has no expr equivalent", t.text)
		case t.kind != tokOp || !slices.Contains(ops, t.text):
			return x, nil
		}
		p.next()
		var y pyNode
		y, err = operand()
		x = pyBinary{op: t.text, l: x, r: y}
	}
	return nil, err
}

func (p *pyParser) factor() (pyNode, error) {
	if t := p.peek(); t.is(tokOp, "-") || t.is(tokOp, "+") {
		p.next()
		x, err := p.factor()
		return pyUnary{op: t.text, x: x}, err
	}
	x, err := p.postfix()
	if err != nil || !p.accept("**") {
		return x, err
	}
	y, err := p.factor()
	return pyBinary{op: "**", l: x, r: y}, err
}

func (p *pyParser) postfix() (pyNode, error) {
	x, err := p.atom()
	for err == nil {
		switch {
		case p.accept("("):
			var args []pyNode
			args, err = p.callArgs()
			x = pyCall{fn: x, args: args}
		case p.accept("["):
			x, err = p.subscript(x)
		case p.peek().is(tokOp, "."):
			p.next()
			name := p.next()
			if name.kind != tokName {
				return nil, p.errorf("want a name after .")
			}
			x = pyAttr{x: x, name: name.text}
		default:
			return x, nil
		}
	}
	return nil, err
}

func (p *pyParser) callArgs() ([]pyNode, error) {
	var args []pyNode
	for !p.accept(")") {
		if t := p.peek(); t.is(tokOp, "*") || t.is(tokOp, "**") || t.kind == tokName && p.toks[p.i+1].is(tokOp, "=") {
			return nil, p.errorf("keyword and starred arguments have no expr equivalent")
		}
		a, err := p.test()
		if err != nil {
			return nil, err
		}
		if p.peek().is(tokName, "for") {
			if a, err = p.comprehension(a); err != nil {
				return nil, err
			}
		}
		args = append(args, a)
		if !p.accept(",") {
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			break
		}
	}
	return args, nil
}

func (p *pyParser) subscript(x pyNode) (pyNode, error) {
	var lo, hi pyNode
	var err error
	if !p.peek().is(tokOp, ":") {
		if lo, err = p.test(); err != nil {
			return nil, err
		}
		if p.accept("]") {
			return pyIndex{x: x, key: lo}, nil
		}
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	if !p.peek().is(tokClose, "]") {
		if hi, err = p.test(); err != nil {
			return nil, err
		}
	}
	if p.peek().is(tokOp, ":") {
		return nil, p.errorf("slices with a step have no expr equivalent")
	}
	return pySlice{x: x, lo: lo, hi: hi}, p.expect("]")
}

func (p *pyParser) atom() (pyNode, error) {
	t := p.next()
	switch t.kind {
	case tokName:
		if isPythonKeyword(t.text) {
			return nil, &pyError{off: t.pos, msg: fmt.Sprintf("unexpected %q", t.text)}
		}
		return pyName{name: t.text}, nil
	case tokNumber:
		return pyLit{text: t.text}, nil
	case tokString:
		if p.peek().kind == tokString {
			return nil, p.errorf("adjacent string literals have no expr equivalent")
		}
		return pyString(t)
	case tokOpen:
		switch t.text {
		case "(":
			return p.parens()
		case "[":
			items, comp, err := p.items("]")
			if comp != nil || err != nil {
				return comp, err
			}
			return pyList{items: items}, nil
		}
		return p.dict()
	}
	return nil, &pyError{off: t.pos, msg: fmt.Sprintf("unexpected %q", t.text)}
}

// pyString rewrites a Python string literal for expr: prefixes u and r are
// dropped (raw strings requoted), others refused.
func pyString(t token) (pyNode, error) {
	text := t.text
	prefix := strings.ToLower(text[:strings.IndexAny(text, `'"`+"`")])
	body := text[len(prefix):]
	switch {
	case strings.HasPrefix(body, `'''`) || strings.HasPrefix(body, `"""`):
		return nil, &pyError{off: t.pos, msg: "triple-quoted strings have no expr equivalent"}
	case prefix == "" || prefix == "u":
		return pyLit{text: body}, nil
	case prefix == "r":
		return pyLit{text: strconv.Quote(body[1 : len(body)-1])}, nil
	}
	return nil, &pyError{off: t.pos, msg: fmt.Sprintf("%s-strings have no expr equivalent", prefix)}
}

// parens reads a parenthesised expression, a tuple (as a list) or a
// generator expression.
func (p *pyParser) parens() (pyNode, error) {
	items, comp, err := p.items(")")
	switch {
	case err != nil:
		return nil, err
	case comp != nil:
		return comp, nil
	case len(items) == 1 && !p.toks[p.i-2].is(tokOp, ","):
		return items[0], nil
	}
	return pyList{items: items}, nil
}

// items reads comma-separated expressions up to the closing bracket, or
// one comprehension.
func (p *pyParser) items(closing string) ([]pyNode, pyNode, error) {
	var items []pyNode
	for !p.accept(closing) {
		x, err := p.test()
		if err != nil {
			return nil, nil, err
		}
		if len(items) == 0 && p.peek().is(tokName, "for") {
			comp, err := p.comprehension(x)
			if err == nil {
				err = p.expect(closing)
			}
			return nil, comp, err
		}
		items = append(items, x)
		if !p.accept(",") {
			if err := p.expect(closing); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	return items, nil, nil
}

func (p *pyParser) comprehension(elem pyNode) (pyNode, error) {
	p.next() // for
	v := p.next()
	if v.kind != tokName || p.peek().is(tokOp, ",") {
		return nil, &pyError{off: v.pos, msg: "comprehensions over more than one name have no expr equivalent"}
	}
	if err := p.expect("in"); err != nil {
		return nil, err
	}
	iter, err := p.or()
	if err != nil {
		return nil, err
	}
	c := pyComp{elem: elem, v: v.text, iter: iter}
	for p.accept("if") {
		cond, err := p.or()
		if err != nil {
			return nil, err
		}
		if c.cond == nil {
			c.cond = cond
		} else {
			c.cond = pyBinary{op: "and", l: c.cond, r: cond}
		}
	}
	if p.peek().is(tokName, "for") {
		return nil, p.errorf("comprehensions with more than one for have no expr equivalent")
	}
	return c, nil
}

func (p *pyParser) dict() (pyNode, error) {
	var d pyDict
	for !p.accept("}") {
		k, err := p.test()
		if err != nil {
			return nil, err
		}
		if !p.accept(":") {
			return nil, p.errorf("sets and dict comprehensions have no expr equivalent")
		}
		v, err := p.test()
		if err != nil {
			return nil, err
		}
		if p.peek().is(tokName, "for") {
			return nil, p.errorf("dict comprehensions have no expr equivalent")
		}
		d.keys, d.vals = append(d.keys, k), append(d.vals, v)
		if !p.accept(",") {
			if err := p.expect("}"); err != nil {
				return nil, err
			}
			break
		}
	}
	return d, nil
}

func isPythonKeyword(name string) bool {
	switch name {
	case "and", "or", "not", "in", "is", "if", "else", "for", "lambda":
		return true
	}
	return false
}
