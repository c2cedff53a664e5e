package checks

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pff/pff/app/rules"
)

// Parse reads a YAML checks file,
//
//	checks:
//	  - id: ...
//	    category: ...
//	    confidence: 0.99
//	    description: ...
//	    target: contract
//	    expr: ...
//
// and returns the checks that loaded and a diagnostic for every problem at
// its line and column. A check with a problem is left out. Expressions are
// compiled by Compile; Lint does both.
func Parse(file string, data []byte) ([]Check, rules.Diagnostics) {
	p := yamlParser{file: file, lines: bytes.Split(data, []byte("\n"))}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pos, msg := p.syntaxError(err)
		p.errorf(pos, "invalid YAML: %s", msg)
		return nil, p.diags
	}
	p.document(&doc)
	return p.checks, p.diags
}

// Lint returns every problem in a checks file, expressions included.
func Lint(file string, data []byte) rules.Diagnostics {
	checks, diags := Parse(file, data)
	_, compileDiags := compile(checks)
	return append(diags, compileDiags...)
}

type yamlParser struct {
	file   string
	lines  [][]byte
	checks []Check
	diags  rules.Diagnostics
}

func (p *yamlParser) document(doc *yaml.Node) {
	if doc.Kind == 0 { // empty file
		p.errorf(rules.Position{File: p.file, Line: 1, Col: 1}, "empty file: want a mapping with a checks list")
		return
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode {
		p.errorf(p.pos(top), "want a mapping with a checks list, found %s", kindName(top))
		return
	}
	var list *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i], top.Content[i+1]
		if key.Value == "checks" {
			list = val
		} else {
			p.notef(p.pos(key), "unknown key %q ignored", key.Value)
		}
	}
	switch {
	case list == nil:
		p.errorf(p.pos(top), "no checks list")
	case list.Kind != yaml.SequenceNode:
		p.errorf(p.pos(list), "checks: want a list, found %s", kindName(list))
	default:
		for _, item := range list.Content {
			p.check(item)
		}
	}
}

func (p *yamlParser) check(item *yaml.Node) {
	if item.Kind != yaml.MappingNode {
		p.errorf(p.pos(item), "want a check (a mapping), found %s", kindName(item))
		return
	}
	errorsBefore := p.errorCount()
	c := Check{Pos: p.pos(item)}
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		key, val := item.Content[i], item.Content[i+1]
		switch key.Value {
		case "id", "category", "confidence", "description", "target", "expr":
			if val.Kind != yaml.ScalarNode {
				p.errorf(p.pos(val), "%s: want a scalar, found %s", key.Value, kindName(val))
				continue
			}
			fields[key.Value] = val
		default:
			p.notef(p.pos(key), "unknown key %q ignored", key.Value)
		}
	}
	for _, name := range []string{"id", "category", "confidence", "target", "expr"} {
		if fields[name] == nil {
			p.errorf(c.Pos, "check has no %s", name)
		}
	}
	str := func(name string) string {
		if n := fields[name]; n != nil {
			return n.Value
		}
		return ""
	}
	c.ID, c.Category, c.Description, c.Target, c.Expr = str("id"), str("category"), str("description"), str("target"), str("expr")
	if n := fields["confidence"]; n != nil {
		conf, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || conf < 0 || conf > 1 {
			p.errorf(p.pos(n), "confidence must be a number between 0 and 1, found %q", n.Value)
		}
		c.Confidence = conf
	}
	if n := fields["expr"]; n != nil {
		c.exprPos = p.exprPosition(n)
	}
	if p.errorCount() == errorsBefore {
		p.checks = append(p.checks, c)
	}
}

// exprPosition works out where an expression's text sits in the file, so
// that compile errors point into it.
func (p *yamlParser) exprPosition(n *yaml.Node) exprPosition {
	start := p.pos(n)
	switch n.Style {
	case yaml.LiteralStyle:
		// The text starts on the line after the "|" indicator, at the
		// indentation of its first line.
		for l := n.Line; l < len(p.lines); l++ {
			line := p.lines[l]
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			indent := len(line) - len(bytes.TrimLeft(line, " "))
			return exprPosition{start: rules.Position{File: p.file, Line: l + 1, Col: indent + 1}, indent: indent, exact: true}
		}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		start.Col++ // past the quote
		return exprPosition{start: start, exact: !strings.Contains(n.Value, "\n") && p.verbatim(start, n.Value)}
	case 0: // plain
		return exprPosition{start: start, exact: !strings.Contains(n.Value, "\n")}
	}
	return exprPosition{start: start}
}

// verbatim reports whether the file holds value as is at pos: quoted
// scalars without escapes.
func (p *yamlParser) verbatim(pos rules.Position, value string) bool {
	if pos.Line < 1 || pos.Line > len(p.lines) {
		return false
	}
	line := []rune(string(p.lines[pos.Line-1]))
	from := pos.Col - 1
	return from+len([]rune(value)) <= len(line) && string(line[from:from+len([]rune(value))]) == value
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// syntaxError splits the yaml package's "yaml: line N: message".
func (p *yamlParser) syntaxError(err error) (rules.Position, string) {
	pos := rules.Position{File: p.file, Line: 1, Col: 1}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		return pos, msg[len(m[0]):]
	}
	return pos, strings.TrimPrefix(msg, "yaml: ")
}

func (p *yamlParser) pos(n *yaml.Node) rules.Position {
	return rules.Position{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *yamlParser) errorf(pos rules.Position, format string, args ...any) {
	p.diags = append(p.diags, rules.Diagnostic{Pos: pos, Severity: rules.Error, Msg: fmt.Sprintf(format, args...)})
}

func (p *yamlParser) notef(pos rules.Position, format string, args ...any) {
	p.diags = append(p.diags, rules.Diagnostic{Pos: pos, Severity: rules.Note, Msg: fmt.Sprintf(format, args...)})
}

func (p *yamlParser) errorCount() int {
	n := 0
	for _, d := range p.diags {
		if d.Severity == rules.Error {
			n++
		}
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("the scalar %q", n.Value)
}
