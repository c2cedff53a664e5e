package flows

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Pos is a place in a flow file: 1-based line and column, columns counted
// in characters.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity says whether a diagnostic makes a file unusable.
type Severity uint8

const (
	// Error diagnostics make a file fail to load or lint.
	Error Severity = iota
	// Warning diagnostics point at something suspicious that still runs.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic codes, stable for tools that filter or count them.
const (
	CodeYAML          = "yaml"           // the file is not valid YAML
	CodeStructure     = "structure"      // a key, type or combination of keys is wrong
	CodeExpr          = "expr"           // an expression or template does not compile
	CodePython        = "python"         // Python that expr cannot express: run pff flows migrate
	CodeUnknownMethod = "unknown-method" // the catalog has no such method
	CodeUnknownArg    = "unknown-arg"    // the method takes no such argument
	CodeUnknownVar    = "unknown-var"    // no step saves or sets the name
	CodeMissingFlow   = "missing-flow"   // next_sequence names no flow of the file
	CodeCycle         = "cycle"          // next_sequence calls back into a flow being run
	CodeUnreachable   = "unreachable"    // a step after an unconditional fail or end
	CodeBadJump       = "bad-jump"       // on_error names no step of the flow
	CodeDuplicateID   = "duplicate-id"   // two steps of a flow share an id
)

// Diagnostic is one problem found in a flow file.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Code     string
	Message  string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Message)
}

// Diagnostics are the problems found in a flow file.
type Diagnostics []Diagnostic

func (ds Diagnostics) String() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == Error })
}

// Err joins the errors into one error, or returns nil when there are none.
func (ds Diagnostics) Err() error {
	var errs []error
	for _, d := range ds {
		if d.Severity == Error {
			errs = append(errs, errors.New(d.String()))
		}
	}
	return errors.Join(errs...)
}

// ExitCode is what a lint command exits with: 0 when clean, 1 when there
// are only warnings, 2 when there is an error.
func (ds Diagnostics) ExitCode() int {
	switch {
	case ds.HasErrors():
		return 2
	case len(ds) > 0:
		return 1
	}
	return 0
}

// sort orders diagnostics by place, keeping the order of those at one place.
func (ds Diagnostics) sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.File, b.Pos.File), cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}
