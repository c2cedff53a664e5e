package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Parse reads a flow file: a mapping of flow names to lists of steps. It
// returns the file and a diagnostic, with its line and column, for every
// problem that makes the file unfit to run: YAML and structure errors,
// expressions that do not compile (Python included), next_sequence to a
// missing flow or in a cycle, on_error jumps to no step, duplicate ids.
// The file holds every flow and step it could read, so that Lint can say
// more; Run refuses a file with errors.
func Parse(filename string, data []byte) (*File, Diagnostics) {
	p := &parser{file: filename, lines: strings.Split(string(data), "\n")}
	f := &File{Name: filename, byName: map[string]*Flow{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlError(err)
		p.errorf(Pos{File: filename, Line: line, Col: 1}, CodeYAML, "invalid YAML: %s", msg)
	} else {
		p.document(f, &doc)
		p.crossCheck(f)
	}
	p.diags.sort()
	f.diags = p.diags
	return f, slices.Clone(p.diags)
}

type parser struct {
	file  string
	lines []string
	diags Diagnostics
}

// yamlError splits the yaml package's "yaml: line N: message".
func yamlError(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				return n, text
			}
		}
	}
	return 1, msg
}

func (p *parser) document(f *File, doc *yaml.Node) {
	if len(doc.Content) == 0 {
		p.errorf(Pos{File: p.file, Line: 1, Col: 1}, CodeStructure, "empty file: want a mapping of flow names to steps")
		return
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		p.errorf(p.pos(top), CodeStructure, "want a mapping of flow names to steps, found %s", kindName(top))
		return
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := resolve(top.Content[i]), resolve(top.Content[i+1])
		if key.Kind != yaml.ScalarNode || key.Value == "" {
			p.errorf(p.pos(key), CodeStructure, "want a flow name, found %s", kindName(key))
			continue
		}
		if first := f.byName[key.Value]; first != nil {
			p.errorf(p.pos(key), CodeStructure, "flow %q is defined twice (first at line %d)", key.Value, first.Pos.Line)
			continue
		}
		fl := &Flow{Name: key.Value, Pos: p.pos(key), key: escapeKey(key.Value), ids: map[string]int{}}
		f.Flows = append(f.Flows, fl)
		f.byName[fl.Name] = fl
		if val.Kind != yaml.SequenceNode {
			p.errorf(p.pos(val), CodeStructure, "flow %q: want a list of steps, found %s", fl.Name, kindName(val))
			continue
		}
		for j, item := range val.Content {
			fl.Steps = append(fl.Steps, p.step(fl, j, resolve(item)))
		}
	}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (p *parser) step(fl *Flow, index int, n *yaml.Node) *Step {
	st := &Step{Pos: p.pos(n), Flow: fl.Name, Index: index, valuePos: map[string]Pos{}}
	if n.Kind != yaml.MappingNode {
		p.errorf(p.pos(n), CodeStructure, "want a step (a mapping), found %s", kindName(n))
		return st
	}
	keyPos := map[string]Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		name := k.Value
		if _, dup := keyPos[name]; dup {
			p.errorf(p.pos(k), CodeStructure, "key %q is given twice", name)
			continue
		}
		keyPos[name], st.valuePos[name] = p.pos(k), p.pos(v)
		switch name {
		case "id":
			st.ID = p.identifier(v, name)
			if st.ID == OnErrorFail || st.ID == OnErrorContinue {
				p.errorf(p.pos(v), CodeStructure, "id %q is reserved for on_error", st.ID)
			}
		case "method":
			st.Method = p.text(v, name)
		case "args":
			st.Args = p.args(v)
		case "save_as":
			st.SaveAs = p.variable(v, name)
		case "when":
			st.When = p.expr(v, name)
		case "loop_over":
			st.LoopOver = p.expr(v, name)
		case "next_sequence":
			st.NextSequence = p.text(v, name)
		case "set":
			st.Set = p.variable(v, name)
		case "value":
			st.Value = p.value(v)
		case "retry":
			st.Retry = p.retry(v)
		case "timeout":
			st.Timeout = p.duration(v, name)
		case "on_error":
			st.OnError = p.text(v, name)
		case "approve":
			st.Approve = p.message(v, name)
		case "fail":
			st.Fail = p.message(v, name)
		case "end":
			st.End = p.end(v)
		default:
			p.errorf(p.pos(k), CodeStructure, "unknown key %q", name)
		}
	}
	p.combination(st, keyPos)
	return st
}

// combination checks that the keys of a step go together.
func (p *parser) combination(st *Step, keyPos map[string]Pos) {
	// The keys that say what a step does; a step has exactly one.
	actionKeys := []string{"method", "next_sequence", "set", "approve", "fail", "end"}
	var actions []string
	for _, k := range actionKeys {
		if _, ok := keyPos[k]; ok {
			actions = append(actions, k)
		}
	}
	switch {
	case len(actions) == 0:
		p.errorf(st.Pos, CodeStructure, "step does nothing: give it one of %s", strings.Join(actionKeys, ", "))
	case len(actions) > 1:
		p.errorf(keyPos[actions[1]], CodeStructure, "a step does one thing: it has both %s and %s", actions[0], actions[1])
	}
	for _, k := range []string{"args", "save_as", "retry", "timeout"} {
		if _, ok := keyPos[k]; ok && !slices.Contains(actions, "method") {
			p.errorf(keyPos[k], CodeStructure, "%s needs method", k)
		}
	}
	_, hasSet := keyPos["set"]
	_, hasValue := keyPos["value"]
	switch {
	case hasSet && !hasValue:
		p.errorf(keyPos["set"], CodeStructure, "set needs value")
	case hasValue && !hasSet:
		p.errorf(keyPos["value"], CodeStructure, "value needs set")
	}
	if pos, ok := keyPos["on_error"]; ok && (st.Fail != nil || st.End != nil) {
		p.errorf(pos, CodeStructure, "on_error does nothing on a step that fails or ends the line")
	}
}

// scalar returns a scalar's text, or reports that key wants one.
func (p *parser) scalar(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(p.pos(n), CodeStructure, "%s: want a scalar, found %s", key, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) text(n *yaml.Node, key string) string {
	s, ok := p.scalar(n, key)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(p.pos(n), CodeStructure, "%s is empty", key)
	}
	return s
}

// identifier reads a step id.
func (p *parser) identifier(n *yaml.Node, key string) string {
	s, ok := p.scalar(n, key)
	if ok && !isIdentifier(s, "-") {
		p.errorf(p.pos(n), CodeStructure, "%s %q: want letters, digits, _ and -, starting with a letter or _", key, s)
	}
	return s
}

// variable reads a name that save_as or set assigns.
func (p *parser) variable(n *yaml.Node, key string) string {
	s, ok := p.scalar(n, key)
	switch {
	case !ok:
	case !isIdentifier(s, ""):
		p.errorf(p.pos(n), CodeStructure, "%s %q: want a name of letters, digits and _, starting with a letter or _", key, s)
	case isBuiltinVar(s) || isKeyword(s) || s == "nil" || s == "true" || s == "false":
		p.errorf(p.pos(n), CodeStructure, "%s %q: the name is reserved", key, s)
	}
	return s
}

func isIdentifier(s, extra string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || i > 0 && (unicode.IsDigit(r) || strings.ContainsRune(extra, r))) {
			return false
		}
	}
	return s != ""
}

// expr reads a when or loop_over expression. A template that is one
// placeholder is accepted as the expression inside it.
func (p *parser) expr(n *yaml.Node, key string) *Expr {
	src, ok := p.scalar(n, key)
	if !ok {
		return nil
	}
	pl := p.place(n)
	if t := strings.TrimSpace(src); strings.HasPrefix(t, "{{") && strings.HasSuffix(t, "}}") {
		if end := placeholderEnd([]rune(t), 2); end == len([]rune(t))-2 {
			lead := strings.Index(src, "{{")
			pl = pl.shift(src, len([]rune(src[:lead]))+2)
			src = string([]rune(t)[2:end])
		}
	}
	e, d := compileExpr(src, pl)
	if d != nil {
		d.Message = key + ": " + d.Message
		p.diags = append(p.diags, *d)
	}
	return e
}

// value reads an argument or set value: scalars, lists and maps, with
// strings as templates.
func (p *parser) value(n *yaml.Node) *Value {
	v := &Value{Pos: p.pos(n)}
	switch n.Kind {
	case yaml.SequenceNode:
		v.isList = true
		v.list = make([]*Value, 0, len(n.Content))
		for _, e := range n.Content {
			v.list = append(v.list, p.value(resolve(e)))
		}
	case yaml.MappingNode:
		v.isMap = true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if slices.Contains(v.keys, k.Value) {
				p.errorf(p.pos(k), CodeStructure, "key %q is given twice", k.Value)
				continue
			}
			v.keys = append(v.keys, k.Value)
			v.vals = append(v.vals, p.value(resolve(n.Content[i+1])))
		}
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
		case "!!bool", "!!int", "!!float":
			if err := n.Decode(&v.lit); err != nil {
				v.lit = n.Value
			}
		default:
			if isTemplate(n.Value) {
				v.tmpl = p.template(n, n.Value)
			} else {
				v.lit = n.Value
			}
		}
	default:
		p.errorf(p.pos(n), CodeStructure, "want a value, found %s", kindName(n))
	}
	return v
}

func (p *parser) template(n *yaml.Node, text string) *Template {
	t, d := parseTemplate(text, p.place(n))
	if d != nil {
		p.diags = append(p.diags, *d)
		return &Template{Text: text, Pos: p.pos(n)}
	}
	return t
}

// args reads a method's arguments.
func (p *parser) args(n *yaml.Node) []Arg {
	if n.Kind != yaml.MappingNode {
		p.errorf(p.pos(n), CodeStructure, "args: want a mapping of argument names to values, found %s", kindName(n))
		return nil
	}
	var args []Arg
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if slices.ContainsFunc(args, func(a Arg) bool { return a.Name == k.Value }) {
			p.errorf(p.pos(k), CodeStructure, "argument %q is given twice", k.Value)
			continue
		}
		args = append(args, Arg{Name: k.Value, Pos: p.pos(k), Value: p.value(resolve(n.Content[i+1]))})
	}
	return args
}

// message reads the message of approve or fail.
func (p *parser) message(n *yaml.Node, key string) *Template {
	s, ok := p.scalar(n, key)
	if !ok {
		return nil
	}
	if strings.TrimSpace(s) == "" {
		p.errorf(p.pos(n), CodeStructure, "%s: want a message", key)
	}
	return p.template(n, s)
}

// end reads `end: true` or `end: <message>`.
func (p *parser) end(n *yaml.Node) *Template {
	s, ok := p.scalar(n, "end")
	switch {
	case !ok:
		return nil
	case n.ShortTag() == "!!bool":
		if s != "true" {
			p.errorf(p.pos(n), CodeStructure, "end: false does nothing; remove the step")
		}
		return &Template{Pos: p.pos(n)}
	}
	return p.template(n, s)
}

func (p *parser) duration(n *yaml.Node, key string) time.Duration {
	d, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || d <= 0 {
		p.errorf(p.pos(n), CodeStructure, "%s: want a positive duration such as 10s or 1m30s", key)
		return 0
	}
	return d
}

// crossCheck checks what refers to other steps and flows: next_sequence
// targets and cycles, step ids and on_error jumps.
func (p *parser) crossCheck(f *File) {
	for _, fl := range f.Flows {
		for _, st := range fl.Steps {
			if st.ID == "" {
				continue
			}
			if first, dup := fl.ids[st.ID]; dup {
				p.errorf(st.valuePos["id"], CodeDuplicateID, "duplicate id %q (first at line %d)", st.ID, fl.Steps[first].Pos.Line)
				continue
			}
			fl.ids[st.ID] = st.Index
		}
	}
	for _, fl := range f.Flows {
		for _, st := range fl.Steps {
			if st.NextSequence != "" && f.byName[st.NextSequence] == nil {
				p.errorf(st.valuePos["next_sequence"], CodeMissingFlow, "next_sequence: no flow %q in the file", st.NextSequence)
			}
			if j := st.OnError; j != "" && j != OnErrorFail && j != OnErrorContinue {
				if _, ok := fl.ids[j]; !ok {
					p.errorf(st.valuePos["on_error"], CodeBadJump, "on_error: flow %q has no step with id %q (want fail, continue or a step id)", fl.Name, j)
				}
			}
		}
	}
	p.cycles(f)
}

// cycles reports each next_sequence that calls back into a flow that is
// still running, which would recurse forever.
func (p *parser) cycles(f *File) {
	const (
		unseen = iota
		running
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(fl *Flow)
	visit = func(fl *Flow) {
		state[fl.Name] = running
		path = append(path, fl.Name)
		for _, st := range fl.Steps {
			callee := f.byName[st.NextSequence]
			switch {
			case callee == nil:
			case state[callee.Name] == running:
				from := slices.Index(path, callee.Name)
				cycle := append(slices.Clone(path[from:]), callee.Name)
				p.errorf(st.valuePos["next_sequence"], CodeCycle, "next_sequence cycle: %s", strings.Join(cycle, " → "))
			case state[callee.Name] == unseen:
				visit(callee)
			}
		}
		path = path[:len(path)-1]
		state[fl.Name] = done
	}
	for _, fl := range f.Flows {
		if state[fl.Name] == unseen {
			visit(fl)
		}
	}
}

// place works out where a scalar's text sits in the file, so that
// positions can point into expressions.
func (p *parser) place(n *yaml.Node) place {
	start := p.pos(n)
	switch n.Style {
	case yaml.LiteralStyle:
		// The text starts on the line after the "|" indicator, at the
		// indentation of its first non-empty line.
		for l := n.Line; l < len(p.lines); l++ {
			line := p.lines[l]
			if strings.TrimSpace(line) == "" {
				continue
			}
			indent := len(line) - len(strings.TrimLeft(line, " "))
			return place{pos: Pos{File: p.file, Line: n.Line + 1, Col: indent + 1}, indent: indent, exact: true}
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		start.Col++ // past the quote
		return place{pos: start, exact: !strings.Contains(n.Value, "\n") && p.verbatim(start, n.Value)}
	case 0: // plain
		return place{pos: start, exact: !strings.Contains(n.Value, "\n") && p.verbatim(start, n.Value)}
	}
	return place{pos: start}
}

// verbatim reports whether the file holds value as is at pos.
func (p *parser) verbatim(pos Pos, value string) bool {
	if pos.Line < 1 || pos.Line > len(p.lines) {
		return false
	}
	line := []rune(p.lines[pos.Line-1])
	from, n := pos.Col-1, len([]rune(value))
	return from >= 0 && from+n <= len(line) && string(line[from:from+n]) == value
}

func (p *parser) pos(n *yaml.Node) Pos {
	return Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *parser) errorf(pos Pos, code, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{Pos: pos, Severity: Error, Code: code, Message: fmt.Sprintf(format, args...)})
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "nothing"
}
