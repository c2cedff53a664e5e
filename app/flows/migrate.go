package flows

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Change is one expression that Migrate rewrote.
type Change struct {
	// Pos is where the expression started in the file given to Migrate.
	Pos Pos
	Old string
	New string
}

// Migrate rewrites the Python-only expressions of a flow file into expr:
// x if c else y becomes c ? x : y, comprehensions become filter, map,
// count, any and all, len() of a generator becomes count, is None becomes
// == None, Python's string and dict methods become expr's operators and
// functions, and multi-line expressions are joined into one line. Every
// other byte of the file, comments and formatting included, stays as it
// was. Migrate fails, naming each place, when the YAML does not parse or an
// expression cannot be rewritten; it then returns no output.
func Migrate(filename string, data []byte) ([]byte, []Change, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("flows: migrate %s: %w", filename, err)
	}
	m := &migrator{p: &parser{file: filename, lines: strings.Split(string(data), "\n")}, src: data}
	m.document(&doc)
	if len(m.errs) > 0 {
		return nil, nil, fmt.Errorf("flows: migrate %s: %w", filename, errors.Join(m.errs...))
	}
	out, err := m.apply(&doc)
	if err != nil {
		return nil, nil, fmt.Errorf("flows: migrate %s: %w", filename, err)
	}
	return out, m.changes, nil
}

type migrator struct {
	p       *parser // for positions
	src     []byte
	edits   []edit
	changes []Change
	errs    []error
}

// edit replaces a scalar's value.
type edit struct {
	node   *yaml.Node
	indent int  // the indentation its continuation lines must exceed
	flow   bool // inside a flow collection, where , [ ] { } end a plain scalar
	value  string
}

func (m *migrator) document(doc *yaml.Node) {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return // nothing to migrate; Parse says what is wrong
	}
	top := doc.Content[0]
	for i := 1; i < len(top.Content); i += 2 {
		if top.Content[i].Kind != yaml.SequenceNode {
			continue
		}
		for _, st := range top.Content[i].Content {
			if st.Kind != yaml.MappingNode {
				continue
			}
			for j := 0; j+1 < len(st.Content); j += 2 {
				key, val := st.Content[j], st.Content[j+1]
				indent := key.Column - 1
				switch key.Value {
				case "when", "loop_over":
					m.expression(val, indent)
				case "args", "value":
					m.values(val, indent, false)
				case "approve", "fail", "end":
					m.template(val, indent, false)
				}
			}
		}
	}
}

// values migrates the templates in an argument or set value.
func (m *migrator) values(n *yaml.Node, indent int, flow bool) {
	flow = flow || n.Style&yaml.FlowStyle != 0
	switch n.Kind {
	case yaml.SequenceNode:
		for _, e := range n.Content {
			m.values(e, m.lineIndent(e), flow)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			m.values(n.Content[i+1], n.Content[i].Column-1, flow)
		}
	case yaml.ScalarNode:
		m.template(n, indent, flow)
	}
}

// expression migrates a when or loop_over.
func (m *migrator) expression(n *yaml.Node, indent int) {
	if n.Kind != yaml.ScalarNode {
		return
	}
	if t := strings.TrimSpace(n.Value); strings.HasPrefix(t, "{{") {
		m.template(n, indent, false)
		return
	}
	pl := m.p.place(n)
	if out, ok := m.rewrite(n.Value, pl); ok {
		m.edits = append(m.edits, edit{node: n, indent: indent, value: out})
	}
}

// template migrates the placeholders of a string.
func (m *migrator) template(n *yaml.Node, indent int, flow bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" || !isTemplate(n.Value) {
		return
	}
	pl := m.p.place(n)
	rs := []rune(n.Value)
	var b strings.Builder
	changed := false
	lit := 0
	for i := 0; i+1 < len(rs); {
		if rs[i] != '{' || rs[i+1] != '{' {
			i++
			continue
		}
		end := placeholderEnd(rs, i+2)
		if end < 0 {
			break // Parse reports it
		}
		inner := string(rs[i+2 : end])
		b.WriteString(string(rs[lit : i+2]))
		if out, ok := m.rewrite(inner, pl.shift(n.Value, i+2)); ok {
			b.WriteString(keepSpace(inner, out))
			changed = true
		} else {
			b.WriteString(inner)
		}
		i, lit = end+2, end
	}
	if changed {
		b.WriteString(string(rs[lit:]))
		m.edits = append(m.edits, edit{node: n, indent: indent, flow: flow, value: b.String()})
	}
}

// keepSpace puts out between the spaces that surrounded old on one line.
func keepSpace(old, out string) string {
	lead, trail := "", ""
	if strings.TrimLeftFunc(old, unicode.IsSpace) != old {
		lead = " "
	}
	if strings.TrimRightFunc(old, unicode.IsSpace) != old {
		trail = " "
	}
	return lead + out + trail
}

// rewrite migrates one expression when it is Python-only. It records the
// change, or an error at the expression's place.
func (m *migrator) rewrite(raw string, pl place) (string, bool) {
	trimmed := strings.TrimLeftFunc(raw, unicode.IsSpace)
	pl = pl.shift(raw, len([]rune(raw))-len([]rune(trimmed)))
	src := strings.TrimRightFunc(trimmed, unicode.IsSpace)
	if _, ok := pythonOnly(tokenize(src)); !ok {
		return "", false
	}
	out, err := migrateExpr(src)
	if err != nil {
		pos := pl.pos
		var pe *pyError
		if errors.As(err, &pe) {
			pos = pl.at(src, pe.off)
		}
		m.errs = append(m.errs, fmt.Errorf("%s: cannot migrate %s: %w", pos, src, err))
		return "", false
	}
	m.changes = append(m.changes, Change{Pos: pl.pos, Old: src, New: out})
	return out, true
}

// apply writes the edits into the source and checks that the result reads
// back as before, the source's document, with the new values.
func (m *migrator) apply(before *yaml.Node) ([]byte, error) {
	type span struct {
		from, to int
		text     string
	}
	spans := make([]span, 0, len(m.edits))
	want := map[*yaml.Node]string{}
	for _, e := range m.edits {
		from, to, err := m.span(e)
		if err != nil {
			return nil, err
		}
		spans = append(spans, span{from: from, to: to, text: renderScalar(e.value, e.node.Style, e.flow)})
		want[e.node] = e.value
	}
	slices.SortFunc(spans, func(a, b span) int { return b.from - a.from })
	out := slices.Clone(m.src)
	for _, s := range spans {
		out = slices.Concat(out[:s.from], []byte(s.text), out[s.to:])
	}
	var after yaml.Node
	if err := yaml.Unmarshal(out, &after); err != nil {
		return nil, fmt.Errorf("the rewritten file is not valid YAML: %w", err)
	}
	if !sameDocument(before, &after, want) {
		return nil, errors.New("the rewritten file does not read back as the original with the rewritten expressions")
	}
	return out, nil
}

// sameDocument reports whether b is a with the scalar values of want.
func sameDocument(a, b *yaml.Node, want map[*yaml.Node]string) bool {
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	if a.Kind == yaml.ScalarNode {
		v, edited := want[a]
		if !edited {
			v = a.Value
		}
		return b.Value == v && (edited || a.ShortTag() == b.ShortTag())
	}
	for i := range a.Content {
		if !sameDocument(a.Content[i], b.Content[i], want) {
			return false
		}
	}
	return true
}

// span finds the bytes of the source that write a scalar.
func (m *migrator) span(e edit) (int, int, error) {
	n := e.node
	from := m.offset(n.Line, n.Column)
	if from < 0 {
		return 0, 0, fmt.Errorf("%s:%d:%d: cannot find the scalar", m.p.file, n.Line, n.Column)
	}
	src := m.src
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		for i := from + 1; i < len(src); i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return from, i + 1, nil
			}
		}
	case yaml.SingleQuotedStyle:
		for i := from + 1; i < len(src); i++ {
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				return from, i + 1, nil
			}
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		return from, m.continuationEnd(n.Line, e.indent, lineEnd(src, from)), nil
	default:
		if bytes.HasPrefix(src[from:], []byte(n.Value)) {
			return from, from + len(n.Value), nil
		}
		end := m.continuationEnd(n.Line, e.indent, lineEnd(src, from))
		if i := bytes.Index(src[from:end], []byte(" #")); i >= 0 {
			end = from + i
		}
		return from, from + len(bytes.TrimRightFunc(src[from:end], unicode.IsSpace)), nil
	}
	return 0, 0, fmt.Errorf("%s:%d:%d: unterminated scalar", m.p.file, n.Line, n.Column)
}

// continuationEnd returns the end of the last line after line (1-based)
// that continues a scalar: blank lines and lines indented more than indent
// that are not comments. end is the end of the scalar's first line.
func (m *migrator) continuationEnd(line, indent, end int) int {
	for l := line; l < len(m.p.lines); l++ {
		text := m.p.lines[l]
		trimmed := strings.TrimLeft(text, " ")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if len(text)-len(trimmed) <= indent || strings.HasPrefix(trimmed, "#") {
			break
		}
		end = m.offset(l+1, 1) + len(strings.TrimRightFunc(text, unicode.IsSpace))
	}
	return end
}

// offset returns the byte offset of a 1-based line and rune column, or -1.
func (m *migrator) offset(line, col int) int {
	if line < 1 || line > len(m.p.lines) {
		return -1
	}
	off := 0
	for _, l := range m.p.lines[:line-1] {
		off += len(l) + 1
	}
	text := m.p.lines[line-1]
	for i := range text {
		if col == 1 {
			return off + i
		}
		col--
	}
	if col == 1 {
		return off + len(text)
	}
	return -1
}

// lineIndent is the indentation of the line a node starts on.
func (m *migrator) lineIndent(n *yaml.Node) int {
	if n.Line < 1 || n.Line > len(m.p.lines) {
		return 0
	}
	text := m.p.lines[n.Line-1]
	return len(text) - len(strings.TrimLeft(text, " "))
}

func lineEnd(src []byte, from int) int {
	if i := bytes.IndexByte(src[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(src)
}

// renderScalar writes a value as a YAML scalar on one line: in its old
// style when that can hold it, else plain, double- or single-quoted.
func renderScalar(s string, style yaml.Style, flow bool) string {
	single := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	double := `"` + s + `"`
	doubleOK := !strings.ContainsAny(s, "\"\\") && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	singleOK := !strings.Contains(s, "\n")
	switch {
	case style == yaml.SingleQuotedStyle && singleOK:
		return single
	case style == yaml.DoubleQuotedStyle && doubleOK:
		return double
	case style != yaml.SingleQuotedStyle && style != yaml.DoubleQuotedStyle && plainOK(s, flow):
		return s
	case doubleOK:
		return double
	case singleOK:
		return single
	}
	return strconv.Quote(s)
}

// plainOK reports whether YAML reads s, written plain, back as the string s.
func plainOK(s string, flow bool) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\t") || flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+s), &n); err != nil {
		return false
	}
	v := n.Content[0].Content[1]
	return v.Kind == yaml.ScalarNode && v.Style == 0 && v.ShortTag() == "!!str" && v.Value == s
}
