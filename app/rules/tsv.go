package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultTSVCategory is the category of AnyBURL rules when the caller names none.
const DefaultTSVCategory = "anyburl"

// ParseTSV reads AnyBURL's rule output, one rule a line:
//
//	predictions<TAB>correct<TAB>confidence<TAB>head <= body
//
// Blank lines are skipped. A rule's id is its category and a hash of its
// pattern, so it stays the same when AnyBURL writes the rules in another
// order. Problems are reported at their line and column; a line with an error
// is left out.
func ParseTSV(file string, data []byte, category string) ([]Rule, Diagnostics) {
	if category == "" {
		category = DefaultTSVCategory
	}
	var (
		rules []Rule
		diags Diagnostics
	)
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		r, d, ok := parseTSVLine(line, category)
		for i := range d {
			d[i].Pos = Position{File: file, Line: n + 1, Col: d[i].Pos.Col}
		}
		diags = append(diags, d...)
		if ok {
			r.Pos = Position{File: file, Line: n + 1, Col: 1}
			rules = append(rules, r)
		}
	}
	return rules, diags
}

// parseTSVLine reads one line; the diagnostics it returns carry only a column.
func parseTSVLine(line, category string) (Rule, Diagnostics, bool) {
	cols := strings.Split(line, "\t")
	colStart := func(i int) int { // 1-based character column of field i
		c := 1
		for _, f := range cols[:i] {
			c += utf8.RuneCountInString(f) + 1
		}
		return c
	}
	fail := func(col int, format string, args ...any) (Rule, Diagnostics, bool) {
		return Rule{}, Diagnostics{{Pos: Position{Col: col}, Severity: Error, Msg: fmt.Sprintf(format, args...)}}, false
	}
	if len(cols) != 4 {
		return fail(1, "expected 4 tab-separated fields (predictions, correct, confidence, rule), found %d", len(cols))
	}
	predictions, err := strconv.Atoi(strings.TrimSpace(cols[0]))
	if err != nil || predictions < 0 {
		return fail(colStart(0), "predictions must be a non-negative integer, found %q", cols[0])
	}
	correct, err := strconv.Atoi(strings.TrimSpace(cols[1]))
	if err != nil || correct < 0 {
		return fail(colStart(1), "correct must be a non-negative integer, found %q", cols[1])
	}
	conf, err := strconv.ParseFloat(strings.TrimSpace(cols[2]), 64)
	if err != nil || conf < 0 || conf > 1 {
		return fail(colStart(2), "confidence must be a number between 0 and 1, found %q", cols[2])
	}
	pattern := cols[3]
	head, body, err := ParsePattern(pattern)
	if se := (*SyntaxError)(nil); errors.As(err, &se) {
		return fail(colStart(3)+utf8.RuneCountInString(pattern[:se.Offset]), "rule: %s", se.Msg)
	}
	if d, bad := problem(head, body); bad {
		d.Pos.Col = colStart(3)
		return Rule{}, Diagnostics{d}, false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(pattern)))
	return Rule{
		ID:          category + "-" + hex.EncodeToString(sum[:6]),
		Category:    category,
		Confidence:  conf,
		Description: fmt.Sprintf("learned by AnyBURL: %d predictions, %d correct", predictions, correct),
		Head:        head,
		Body:        body,
	}, nil, true
}
