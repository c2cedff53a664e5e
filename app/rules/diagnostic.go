package rules

import (
	"errors"
	"fmt"
	"strings"
)

// Severity says whether a diagnostic stopped a rule from loading.
type Severity uint8

const (
	// Error diagnostics drop the rule (or the file) they are about.
	Error Severity = iota
	// Note diagnostics explain something the parser did, such as skipping a
	// rule without a body.
	Note
	// Warning diagnostics point at something that loads but likely checks
	// nothing, such as a rule whose constants the corpus never holds.
	Warning
)

func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found in a rule file, at a line and column
// (1-based, columns counted in characters).
type Diagnostic struct {
	Pos      Position
	Severity Severity
	Msg      string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Diagnostics are the problems found in one or more rule files.
type Diagnostics []Diagnostic

// Err joins the error diagnostics into one error, or returns nil when there
// are only notes.
func (ds Diagnostics) Err() error {
	var errs []error
	for _, d := range ds {
		if d.Severity == Error {
			errs = append(errs, errors.New(d.String()))
		}
	}
	return errors.Join(errs...)
}

func (ds Diagnostics) String() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// problem says what makes a parsed rule unusable as a check, beyond syntax:
// an empty body (a note: the rule is skipped), an oversized or disconnected
// body (errors). The caller fills in the position.
func problem(head Atom, body []Atom) (Diagnostic, bool) {
	switch {
	case len(body) == 0:
		return Diagnostic{Severity: Note, Msg: fmt.Sprintf("rule %s has an empty body: it states a fact, not a check; skipped", head)}, true
	case len(body) > MaxBodyAtoms:
		return Diagnostic{Msg: fmt.Sprintf("body has %d atoms, more than the %d allowed", len(body), MaxBodyAtoms)}, true
	}
	if a, b, ok := disconnected(body); ok {
		return Diagnostic{Msg: fmt.Sprintf("body atoms %s and %s share no variable, so the body is a cross product; connect them", a, b)}, true
	}
	return Diagnostic{}, false
}

// disconnected returns two body atoms with variables that no chain of shared
// variables links. Atoms without variables are tests, not joins, and never
// count as disconnected.
func disconnected(body []Atom) (Atom, Atom, bool) {
	component := make([]int, len(body))
	for i := range component {
		component[i] = i
	}
	find := func(i int) int {
		for component[i] != i {
			component[i] = component[component[i]]
			i = component[i]
		}
		return i
	}
	firstAtomOf := map[string]int{}
	for i, a := range body {
		for _, t := range [2]Term{a.Subject, a.Object} {
			if !t.Var {
				continue
			}
			if j, seen := firstAtomOf[t.Value]; seen {
				component[find(i)] = find(j)
			} else {
				firstAtomOf[t.Value] = i
			}
		}
	}
	first := -1
	for i, a := range body {
		if !a.Subject.Var && !a.Object.Var {
			continue
		}
		if first < 0 {
			first = i
		} else if find(i) != find(first) {
			return body[first], a, true
		}
	}
	return Atom{}, Atom{}, false
}
