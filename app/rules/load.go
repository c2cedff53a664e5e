package rules

import (
	"fmt"
	"path/filepath"
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

// Lint returns every problem in a rule file, each with its line and column.
func Lint(file string, data []byte) Diagnostics {
	_, diags := Parse(file, data)
	return diags
}
