package rules

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Parse reads a rule file in the format its extension names: .json for the
// original system's format, .tsv for AnyBURL's output.
func Parse(file string, data []byte) ([]Rule, Diagnostics) {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		return ParseJSON(file, data)
	case ".tsv":
		return ParseTSV(file, data, "")
	}
	return nil, Diagnostics{{
		Pos: Position{File: file},
		Msg: fmt.Sprintf("unknown rule file extension %q: want .json or .tsv", filepath.Ext(file)),
	}}
}

// Lint returns every problem in a rule file, each with its line and column,
// in file order, and notes the rules that repeat an earlier one up to
// variable names and body order, which Compile merges.
func Lint(file string, data []byte) Diagnostics {
	rules, diags := Parse(file, data)
	first := map[string]Rule{}
	for _, r := range rules {
		key := canonicalize(r.Head, r.Body).key
		f, dup := first[key]
		if !dup {
			first[key] = r
			continue
		}
		diags = append(diags, Diagnostic{Pos: r.Pos, Severity: Note, Msg: fmt.Sprintf(
			"rule %q repeats rule %q (line %d); they will be merged, keeping the higher confidence", r.ID, f.ID, f.Pos.Line)})
	}
	slices.SortStableFunc(diags, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return diags
}
