package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/pff/pff/app/rules"
)

// Targets that are not keys of the record.
const (
	// TargetRecord is the record itself, the customer.
	TargetRecord = "customer"
	// TargetEntity is every object with an "id" member.
	TargetEntity = "entity"
)

// Check is one expression check.
type Check struct {
	ID          string
	Category    string
	Confidence  float64
	Description string
	// Target is the kind of object the check is about (see the package doc).
	Target string
	// Expr must be true for every target object.
	Expr string
	// Pos is where the check is defined.
	Pos rules.Position

	// exprPos places Expr in its file, for compile errors.
	exprPos exprPosition
}

// exprPosition maps a line and column of an expression to its file: line 1
// starts at start; a block scalar's later lines start at column indent+1.
// When the text in the file differs from the expression (escapes, folding),
// everything maps to start.
type exprPosition struct {
	start  rules.Position
	indent int
	exact  bool
}

func (p exprPosition) at(line, col int) rules.Position {
	switch {
	case p.start.Line == 0:
		return p.start
	case !p.exact:
		return p.start
	case line <= 1:
		return rules.Position{File: p.start.File, Line: p.start.Line, Col: p.start.Col + col}
	}
	return rules.Position{File: p.start.File, Line: p.start.Line + line - 1, Col: p.indent + col + 1}
}

// Set is a compiled set of checks. It is immutable and safe for concurrent
// use.
type Set struct {
	checks   []Check
	programs []*vm.Program
	targets  []string // distinct targets, in first-use order
	version  string
}

// Compile type-checks every expression against the check environment and
// returns the set, or an error listing every problem at its place.
func Compile(checks []Check) (*Set, error) {
	s, diags := compile(checks)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func compile(checks []Check) (*Set, rules.Diagnostics) {
	s := &Set{}
	var diags rules.Diagnostics
	fail := func(pos rules.Position, format string, args ...any) {
		diags = append(diags, rules.Diagnostic{Pos: pos, Msg: fmt.Sprintf(format, args...)})
	}
	ids := map[string]rules.Position{}
	for _, c := range checks {
		first, dup := ids[c.ID]
		switch {
		case c.ID == "":
			fail(c.Pos, "check has no id")
			continue
		case dup:
			fail(c.Pos, "duplicate check id %q (first at %s)", c.ID, first)
			continue
		case c.Target == "":
			fail(c.Pos, "check %q has no target", c.ID)
			continue
		case c.Confidence < 0 || c.Confidence > 1:
			fail(c.Pos, "check %q: confidence %v outside [0, 1]", c.ID, c.Confidence)
			continue
		}
		ids[c.ID] = c.Pos
		program, err := expr.Compile(c.Expr, expr.Env(env{}), expr.AsBool())
		if err != nil {
			var fe *file.Error
			if errors.As(err, &fe) {
				fail(c.exprPos.at(fe.Line, fe.Column), "check %q: %s", c.ID, fe.Message)
			} else {
				fail(c.exprPos.at(1, 0), "check %q: %v", c.ID, err)
			}
			continue
		}
		s.checks = append(s.checks, c)
		s.programs = append(s.programs, program)
		if !slices.Contains(s.targets, c.Target) {
			s.targets = append(s.targets, c.Target)
		}
	}
	s.version = fingerprint(s.checks)
	return s, diags
}

// Checks returns the set's checks.
func (s *Set) Checks() []Check { return slices.Clone(s.checks) }

// Len is the number of checks.
func (s *Set) Len() int { return len(s.checks) }

// Version identifies the set's content: equal sets have equal versions.
func (s *Set) Version() string { return s.version }

func fingerprint(checks []Check) string {
	h := sha256.New()
	for _, c := range checks {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", c.ID, c.Category,
			strconv.FormatFloat(c.Confidence, 'g', -1, 64), c.Description, c.Target, c.Expr)
	}
	return hex.EncodeToString(h.Sum(nil)[:6])
}
