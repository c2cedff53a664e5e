package flows

import (
	"strings"
	"unicode"

	"github.com/expr-lang/expr/vm"
)

// Template is a string of a flow file that may hold {{ expression }}
// placeholders. A template that is one placeholder and nothing else (space
// aside) evaluates to the expression's value, whatever its type; any other
// template is a string with each placeholder written as Python's str()
// would, lists and maps as JSON.
type Template struct {
	// Text is the template as written.
	Text string
	// Pos is where Text starts.
	Pos Pos

	parts []templatePart
	whole *Expr // set when the template is one placeholder
}

// templatePart is literal text or a placeholder.
type templatePart struct {
	text string
	expr *Expr
}

// parseTemplate splits text, found at pl, into literal text and compiled
// placeholders.
func parseTemplate(text string, pl place) (*Template, *Diagnostic) {
	t := &Template{Text: text, Pos: pl.pos}
	rs := []rune(text)
	lit := 0 // start of the pending literal text
	for i := 0; i+1 < len(rs); {
		if rs[i] != '{' || rs[i+1] != '{' {
			i++
			continue
		}
		end := placeholderEnd(rs, i+2)
		if end < 0 {
			return nil, &Diagnostic{Pos: pl.at(text, i), Code: CodeExpr, Message: "unterminated {{ placeholder: want }}"}
		}
		e, d := compileExpr(string(rs[i+2:end]), pl.shift(text, i+2))
		if d != nil {
			return nil, d
		}
		if lit < i {
			t.parts = append(t.parts, templatePart{text: string(rs[lit:i])})
		}
		t.parts = append(t.parts, templatePart{expr: e})
		i = end + 2
		lit = i
	}
	if lit < len(rs) {
		t.parts = append(t.parts, templatePart{text: string(rs[lit:])})
	}
	var exprs []*Expr
	blank := true
	for _, p := range t.parts {
		if p.expr != nil {
			exprs = append(exprs, p.expr)
		} else if strings.TrimFunc(p.text, unicode.IsSpace) != "" {
			blank = false
		}
	}
	if len(exprs) == 1 && blank {
		t.whole = exprs[0]
	}
	return t, nil
}

// placeholderEnd returns the offset of the "}}" that closes a placeholder
// whose expression starts at rs[from], skipping string literals and the
// braces of map literals and closures; -1 when there is none.
func placeholderEnd(rs []rune, from int) int {
	depth := 0
	for i := from; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\'' || r == '"' || r == '`':
			for i++; i < len(rs) && rs[i] != r; i++ {
				if rs[i] == '\\' && r != '`' {
					i++
				}
			}
		case r == '{':
			depth++
		case r == '}' && depth > 0:
			depth--
		case r == '}' && i+1 < len(rs) && rs[i+1] == '}':
			return i
		}
	}
	return -1
}

// isTemplate reports whether a string holds a placeholder.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// eval returns the template's value: the placeholder's value for a whole
// template, else the interpolated string.
func (t *Template) eval(m *vm.VM, vars map[string]any) (any, error) {
	if t.whole != nil {
		return t.whole.eval(m, vars)
	}
	return t.render(m, vars)
}

// render interpolates the template into a string.
func (t *Template) render(m *vm.VM, vars map[string]any) (string, error) {
	if len(t.parts) == 1 && t.parts[0].expr == nil {
		return t.parts[0].text, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.expr.eval(m, vars)
		if err != nil {
			return "", err
		}
		s, err := pyStr(v)
		if err != nil {
			return "", &ExprError{Pos: p.expr.Pos, Expr: p.expr.Source, Err: err}
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// exprs lists the template's expressions.
func (t *Template) exprs() []*Expr {
	var out []*Expr
	for _, p := range t.parts {
		if p.expr != nil {
			out = append(out, p.expr)
		}
	}
	return out
}

// Value is a step's argument or a set value: a literal, a template, or a
// list or map of values. String leaves are templates.
type Value struct {
	// Pos is where the value is written.
	Pos Pos

	lit           any       // a literal scalar, when the others are unset
	tmpl          *Template // a string with placeholders
	list          []*Value  // a list, when isList
	keys          []string  // a map's keys in file order, when isMap
	vals          []*Value  // a map's values
	isList, isMap bool
}

// Source returns the value as written: literals as themselves, templates as
// their text, lists as []any and maps as map[string]any. Plans and
// approvals show it.
func (v *Value) Source() any {
	switch {
	case v.tmpl != nil:
		return v.tmpl.Text
	case v.isList:
		out := make([]any, len(v.list))
		for i, e := range v.list {
			out[i] = e.Source()
		}
		return out
	case v.isMap:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			out[k] = v.vals[i].Source()
		}
		return out
	}
	return v.lit
}

// eval evaluates every template of the value.
func (v *Value) eval(m *vm.VM, vars map[string]any) (any, error) {
	switch {
	case v.tmpl != nil:
		return v.tmpl.eval(m, vars)
	case v.isList:
		out := make([]any, len(v.list))
		for i, e := range v.list {
			x, err := e.eval(m, vars)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case v.isMap:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			x, err := v.vals[i].eval(m, vars)
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	}
	return v.lit, nil
}

// exprs lists the value's expressions.
func (v *Value) exprs() []*Expr {
	switch {
	case v.tmpl != nil:
		return v.tmpl.exprs()
	case v.isList:
		var out []*Expr
		for _, e := range v.list {
			out = append(out, e.exprs()...)
		}
		return out
	case v.isMap:
		var out []*Expr
		for _, e := range v.vals {
			out = append(out, e.exprs()...)
		}
		return out
	}
	return nil
}
