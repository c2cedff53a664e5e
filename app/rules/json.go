package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ParseJSON reads rules in the original system's JSON format,
//
//	{"Category": [{"id": "r1", "confidence": 0.9, "description": "...", "pattern": "h(A,B) <= b(A,B)"}]}
//
// and returns the rules that loaded and a diagnostic for every problem, each
// at the line and column of the offending value in the file. A rule with a
// problem is left out; a JSON syntax error ends the file.
func ParseJSON(file string, data []byte) ([]Rule, Diagnostics) {
	p := jsonParser{file: file, data: data, lines: newLineIndex(data), dec: json.NewDecoder(bytes.NewReader(data))}
	p.dec.UseNumber()
	p.parse()
	return p.rules, p.diags
}

type jsonParser struct {
	file  string
	data  []byte
	lines lineIndex
	dec   *json.Decoder
	rules []Rule
	diags Diagnostics
	ids   map[string]Position
}

// errStop ends parsing after a JSON syntax error, which has been reported.
var errStop = errors.New("stop")

func (p *jsonParser) parse() {
	p.ids = map[string]Position{}
	err := p.document()
	if err == nil {
		if _, err = p.dec.Token(); errors.Is(err, io.EOF) {
			return
		} else if err == nil {
			p.errorf(p.dec.InputOffset(), "unexpected data after the top-level object")
			return
		}
	}
	if !errors.Is(err, errStop) {
		p.syntaxError(err)
	}
}

func (p *jsonParser) document() error {
	off, tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		p.errorf(off, `expected an object {"Category": [rules...]}, found %s`, describe(tok))
		return errStop
	}
	for p.dec.More() {
		keyOff, key, err := p.token()
		if err != nil {
			return err
		}
		category := key.(string) // object keys are always strings
		if category == "" {
			p.errorf(keyOff, "empty category name")
		}
		if err := p.category(category); err != nil {
			return err
		}
	}
	_, _, err = p.token() // '}'
	return err
}

func (p *jsonParser) category(category string) error {
	off, tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		p.errorf(off, "category %q: expected an array of rules, found %s", category, describe(tok))
		return p.skip(tok)
	}
	for p.dec.More() {
		if err := p.rule(category); err != nil {
			return err
		}
	}
	_, _, err = p.token() // ']'
	return err
}

// field is one value of a rule object and where it starts.
type field struct {
	off int64
	val json.Token
	set bool
}

// rule reads one rule object and keeps the rule if it has no error.
func (p *jsonParser) rule(category string) error {
	off, tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		p.errorf(off, "category %q: expected a rule object, found %s", category, describe(tok))
		return p.skip(tok)
	}
	fields := map[string]*field{"id": {}, "confidence": {}, "description": {}, "pattern": {}}
	for p.dec.More() {
		keyOff, key, err := p.token()
		if err != nil {
			return err
		}
		valOff, val, err := p.token()
		if err != nil {
			return err
		}
		if f, known := fields[key.(string)]; known {
			*f = field{off: valOff, val: val, set: true}
		} else {
			p.notef(keyOff, "unknown field %q ignored", key)
		}
		if err := p.skip(val); err != nil {
			return err
		}
	}
	if _, _, err := p.token(); err != nil { // '}'
		return err
	}
	errorsBefore := p.errorCount()
	r := Rule{Category: category, Pos: p.pos(off)}
	r.ID = p.id(off, fields["id"])
	r.Description = p.str("description", fields["description"])
	if f := fields["confidence"]; !f.set {
		p.errorf(off, "rule %q has no confidence", r.ID)
	} else if c, err := confidence(f.val); err != nil {
		p.errorf(f.off, "%v", err)
	} else {
		r.Confidence = c
	}
	if f := fields["pattern"]; !f.set {
		p.errorf(off, "rule %q has no pattern", r.ID)
	} else if pattern, ok := f.val.(string); !ok {
		p.errorf(f.off, "pattern must be a string, found %s", describe(f.val))
	} else {
		r.Head, r.Body = p.pattern(f.off, pattern)
	}
	if p.errorCount() == errorsBefore && len(r.Body) > 0 {
		p.rules = append(p.rules, r)
	}
	return nil
}

// id checks a rule's id: present, a non-empty string, unique in the file.
func (p *jsonParser) id(ruleOff int64, f *field) string {
	id, ok := f.val.(string)
	switch {
	case !f.set:
		p.errorf(ruleOff, "rule has no id")
	case !ok || id == "":
		p.errorf(f.off, "id must be a non-empty string, found %s", describe(f.val))
	default:
		if first, dup := p.ids[id]; dup {
			p.errorf(f.off, "duplicate id %q (first at %s)", id, first)
		} else {
			p.ids[id] = p.pos(f.off)
		}
	}
	return id
}

// str returns an optional string field, reporting a value of another type.
func (p *jsonParser) str(name string, f *field) string {
	s, ok := f.val.(string)
	if f.set && !ok {
		p.errorf(f.off, "%s must be a string, found %s", name, describe(f.val))
	}
	return s
}

// pattern parses a rule's pattern and reports its problems at their place in
// the file.
func (p *jsonParser) pattern(quoteOff int64, pattern string) (Atom, []Atom) {
	head, body, err := ParsePattern(pattern)
	var se *SyntaxError
	if errors.As(err, &se) {
		p.errorf(p.patternOffset(quoteOff, pattern, se.Offset), "pattern: %s", se.Msg)
		return Atom{}, nil
	}
	if d, bad := problem(head, body); bad {
		d.Pos = p.pos(quoteOff)
		p.diags = append(p.diags, d)
		if d.Severity == Error {
			return Atom{}, nil
		}
	}
	return head, body
}

func (p *jsonParser) errorCount() int {
	n := 0
	for _, d := range p.diags {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// confidence accepts a JSON number in [0, 1].
func confidence(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("confidence must be a number, found %s", describe(v))
	}
	c, err := strconv.ParseFloat(string(n), 64)
	if err != nil || c < 0 || c > 1 {
		return 0, fmt.Errorf("confidence must be between 0 and 1, found %s", n)
	}
	return c, nil
}

// patternOffset maps a byte offset inside a decoded pattern to the file. When
// the JSON string holds escapes the two no longer line up, and the string's
// opening quote is the best place to point at.
func (p *jsonParser) patternOffset(quoteOff int64, pattern string, inPattern int) int64 {
	start := quoteOff + 1
	end := start + int64(len(pattern))
	if end <= int64(len(p.data)) && string(p.data[start:end]) == pattern {
		return start + int64(inPattern)
	}
	return quoteOff
}

// token reads the next token and the offset where it starts.
func (p *jsonParser) token() (int64, json.Token, error) {
	off := p.valueStart(p.dec.InputOffset())
	tok, err := p.dec.Token()
	return off, tok, err
}

// valueStart skips the whitespace and separators that the decoder has not
// consumed yet, to find where the next token starts.
func (p *jsonParser) valueStart(off int64) int64 {
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// skip consumes the rest of a value whose first token was tok.
func (p *jsonParser) skip(tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		_, t, err := p.token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func (p *jsonParser) syntaxError(err error) {
	off := int64(len(p.data))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = max(se.Offset-1, 0)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	p.errorf(off, "invalid JSON: %v", err)
}

func (p *jsonParser) pos(off int64) Position {
	line, col := p.lines.at(off)
	return Position{File: p.file, Line: line, Col: col}
}

func (p *jsonParser) errorf(off int64, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{Pos: p.pos(off), Severity: Error, Msg: fmt.Sprintf(format, args...)})
}

func (p *jsonParser) notef(off int64, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{Pos: p.pos(off), Severity: Note, Msg: fmt.Sprintf(format, args...)})
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "the number " + string(v)
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}
