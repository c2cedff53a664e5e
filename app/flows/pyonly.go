package flows

import "strings"

// pyConstruct is a piece of Python that expr cannot express.
type pyConstruct struct {
	off  int // rune offset in the expression
	what string
}

// pythonOnly finds the first Python construct of an expression that expr
// cannot express, so that lint can send the author to the migrator. A
// multi-line expression is reported, at its start, only when it holds
// nothing else.
func pythonOnly(toks []token) (pyConstruct, bool) {
	var opens []int // indexes of the open brackets around the current token
	multiLine := false
	for i, t := range toks {
		var prev token
		if i > 0 {
			prev = toks[i-1]
		}
		switch {
		case t.kind == tokNewline || t.is(tokOp, `\`):
			multiLine = true
		case t.kind == tokOpen:
			opens = append(opens, i)
		case t.kind == tokClose && len(opens) > 0:
			opens = opens[:len(opens)-1]
		case t.is(tokName, "for"):
			return comprehension(toks, opens), true
		case t.is(tokName, "if") && isOperand(prev):
			return pyConstruct{off: t.pos, what: "conditional expression (x if c else y)"}, true
		case t.is(tokName, "is"):
			return pyConstruct{off: t.pos, what: "`is`"}, true
		case t.is(tokOp, "//"):
			// expr would read the rest as a comment.
			return pyConstruct{off: t.pos, what: "`//` (floor division; expr reads it as a comment)"}, true
		case t.is(tokName, "lambda"):
			return pyConstruct{off: t.pos, what: "lambda"}, true
		case t.is(tokOp, ".") && toks[i+1].kind == tokName && pyMethod(toks[i+1].text) && toks[i+2].is(tokOpen, "("):
			return pyConstruct{off: t.pos, what: "`." + toks[i+1].text + "()`"}, true
		case t.kind == tokString && strings.ContainsAny(t.text[:1], "rRbBuUfF"):
			return pyConstruct{off: t.pos, what: "string prefix"}, true
		}
	}
	if multiLine {
		return pyConstruct{what: "multi-line expression"}, true
	}
	return pyConstruct{}, false
}

// comprehension names the comprehension whose `for` is inside the
// innermost of opens.
func comprehension(toks []token, opens []int) pyConstruct {
	if len(opens) == 0 {
		return pyConstruct{what: "generator expression"}
	}
	i := opens[len(opens)-1]
	open := toks[i]
	switch {
	case open.text == "[":
		return pyConstruct{off: open.pos, what: "list comprehension"}
	case open.text == "{":
		return pyConstruct{off: open.pos, what: "dict or set comprehension"}
	case i > 0 && toks[i-1].kind == tokName && !isKeyword(toks[i-1].text):
		return pyConstruct{off: toks[i-1].pos, what: "`" + toks[i-1].text + "()` of a generator expression"}
	}
	return pyConstruct{off: open.pos, what: "generator expression"}
}

// pyMethod reports whether the migrator rewrites a Python method.
func pyMethod(name string) bool {
	switch name {
	case "get", "startswith", "endswith", "lower", "upper", "strip", "keys", "values":
		return true
	}
	return false
}

// isOperand reports whether a token can end an operand, after which `if`
// is Python's conditional rather than expr's `if c {a} else {b}`.
func isOperand(t token) bool {
	switch t.kind {
	case tokNumber, tokString, tokClose:
		return true
	case tokName:
		return !isKeyword(t.text)
	}
	return false
}

func isKeyword(name string) bool {
	switch name {
	case "and", "or", "not", "in", "is", "if", "else", "for", "lambda", "let",
		"matches", "contains", "startsWith", "endsWith":
		return true
	}
	return false
}
