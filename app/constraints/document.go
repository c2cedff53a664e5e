package constraints

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/pff/pff/app/rules"
)

// Document is a constraint set as a file holds it: JSON, the constraints
// and, for a learned set, how it was learned.
type Document struct {
	// Learned says how the set was learned; hand-written sets leave it out.
	Learned     *Provenance  `json:"learned,omitempty"`
	Constraints []Constraint `json:"constraints"`
}

// Provenance is how a learned set came about: the records it was learned
// from and the held-out records every constraint was checked on.
type Provenance struct {
	Records    int `json:"records"`
	HeldOut    int `json:"held_out_records"`
	Candidates int `json:"candidates"`
	// Dropped are candidates a held-out record broke: they held on every
	// record they were learned from, and were chance.
	Dropped int    `json:"dropped_by_held_out"`
	Seed    uint64 `json:"seed"`
}

// Marshal writes a document as indented JSON, one constraint a line, which
// lints and diffs by line.
func (d *Document) Marshal() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{\n")
	if d.Learned != nil {
		p, err := json.Marshal(d.Learned)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "  \"learned\": %s,\n", p)
	}
	b.WriteString("  \"constraints\": [")
	for i, c := range d.Constraints {
		line, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("constraints: marshal %s: %w", c.ID, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(line)
	}
	b.WriteString("\n  ]\n}\n")
	return b.Bytes(), nil
}

// Parse reads a constraint set, each constraint with its position in file.
// The diagnostics name every problem at its line and column; constraints
// with a problem are left out.
func Parse(file string, data []byte) (*Document, rules.Diagnostics) {
	var diags rules.Diagnostics
	at := func(off int, format string, args ...any) {
		diags = append(diags, rules.Diagnostic{Pos: position(file, data, off), Msg: fmt.Sprintf(format, args...)})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		at(0, "a constraint set is a JSON object {\"constraints\": [...]}")
		return nil, diags
	}
	doc := &Document{}
	seen := false
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			at(int(dec.InputOffset()), "%v", err)
			return nil, diags
		}
		key, _ := keyTok.(string)
		off := int(dec.InputOffset())
		switch key {
		case "learned":
			if err := dec.Decode(&doc.Learned); err != nil {
				at(off, "learned: %v", err)
				return nil, diags
			}
		case "constraints":
			seen = true
			if !parseList(dec, data, file, doc, &diags) {
				return nil, diags
			}
		default:
			at(off, "unknown member %q (want constraints or learned)", key)
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, diags
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		at(len(data), "the object does not end: %v", err)
	} else if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		at(int(dec.InputOffset()), "unexpected data after the constraint set")
	}
	if !seen {
		at(0, "no \"constraints\" member")
	}
	return doc, diags
}

// parseList reads the constraints array, checking each constraint where it
// starts, and says whether the rest of the document can be read.
func parseList(dec *json.Decoder, data []byte, file string, doc *Document, diags *rules.Diagnostics) bool {
	at := func(off int, format string, args ...any) {
		*diags = append(*diags, rules.Diagnostic{Pos: position(file, data, off), Msg: fmt.Sprintf(format, args...)})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		at(int(dec.InputOffset()), "constraints is an array")
		return false
	}
	ids := map[string]int{}
	keys := map[string]string{}
	for dec.More() {
		off := skipSeparators(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			at(off, "%v", err)
			return false
		}
		strict := json.NewDecoder(bytes.NewReader(raw))
		strict.DisallowUnknownFields()
		var c Constraint
		if err := strict.Decode(&c); err != nil {
			at(off, "%s", strings.TrimPrefix(err.Error(), "json: "))
			continue
		}
		c.Pos = position(file, data, off)
		if msg := problemOf(&c); msg != "" {
			at(off, "constraint %q: %s", c.ID, msg)
			continue
		}
		if line, dup := ids[c.ID]; dup {
			at(off, "id %q is used on line %d too", c.ID, line)
			continue
		}
		ids[c.ID] = c.Pos.Line
		if other, dup := keys[c.key()]; dup {
			*diags = append(*diags, rules.Diagnostic{Pos: c.Pos, Severity: rules.Note,
				Msg: fmt.Sprintf("constraint %q says what %q says; the more confident is kept", c.ID, other)})
		}
		keys[c.key()] = c.ID
		doc.Constraints = append(doc.Constraints, c)
	}
	_, err := dec.Token() // ]
	return err == nil
}

// Lint returns every problem of a constraint set document; a set without
// constraints is an error, since activating it would check nothing.
func Lint(file string, data []byte) rules.Diagnostics {
	doc, diags := Parse(file, data)
	if doc != nil && len(doc.Constraints) == 0 && diags.Err() == nil {
		diags = append(diags, rules.Diagnostic{Pos: rules.Position{File: file, Line: 1, Col: 1}, Msg: "no constraints"})
	}
	return diags
}

// Load parses and compiles a constraint set.
func Load(file string, data []byte) (*Set, error) {
	doc, diags := Parse(file, data)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return Compile(doc.Constraints)
}

// position returns the line and column (1-based, columns in characters) of
// byte offset off.
func position(file string, data []byte, off int) rules.Position {
	off = min(max(off, 0), len(data))
	lineStart := bytes.LastIndexByte(data[:off], '\n') + 1
	return rules.Position{File: file, Line: bytes.Count(data[:off], []byte{'\n'}) + 1, Col: utf8.RuneCount(data[lineStart:off]) + 1}
}

// skipSeparators skips the white space, colon or comma before a value.
func skipSeparators(data []byte, off int) int {
	for off < len(data) && strings.IndexByte(" \t\r\n:,", data[off]) >= 0 {
		off++
	}
	return off
}
