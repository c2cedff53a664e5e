package rules

import (
	"strconv"
	"strings"
)

// Term is a variable or a constant in an atom.
type Term struct {
	// Value is the variable's name or the constant's unquoted value.
	Value string
	// Var is true for variables.
	Var bool
}

// Var returns a variable term.
func Var(name string) Term { return Term{Value: name, Var: true} }

// Const returns a constant term.
func Const(value string) Term { return Term{Value: value} }

// String writes variables bare and constants quoted, so the text parses back
// to the same term.
func (t Term) String() string {
	if t.Var {
		return t.Value
	}
	return quote(t.Value)
}

// Atom is predicate(subject, object).
type Atom struct {
	Predicate string
	Subject   Term
	Object    Term
}

func (a Atom) String() string {
	return a.Predicate + "(" + a.Subject.String() + "," + a.Object.String() + ")"
}

// Position is where a rule was defined.
type Position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Position) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteString(":" + strconv.Itoa(p.Col))
		}
	}
	return b.String()
}

// Rule is one Horn rule: Head must hold for every binding of Body.
type Rule struct {
	ID          string
	Category    string
	Confidence  float64
	Description string
	Head        Atom
	Body        []Atom
	Pos         Position
	// Duplicates are the ids of rules that said the same thing and were
	// merged into this one by [Compile].
	Duplicates []string
}

// Pattern is the rule's text, "head <= body", in a form the parsers accept.
func (r Rule) Pattern() string {
	var b strings.Builder
	b.WriteString(r.Head.String())
	b.WriteString(" <= ")
	for i, a := range r.Body {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.String())
	}
	return b.String()
}

// quote writes a constant between single quotes, escaping quotes and
// backslashes.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}
