package checks

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Result is what a set of checks found in one record.
type Result struct {
	Violations []Violation
	// Errors are expressions that failed to evaluate on an object, such as
	// a builtin given nil; the check is neither satisfied nor violated there.
	Errors []EvalError
	// Satisfied counts checks that held for every target object.
	Satisfied int
	// NotApplicable counts checks whose target the record does not hold.
	NotApplicable int
}

// Violation is an object for which a check's expression is false.
type Violation struct {
	// Check points into the set; it must not be modified.
	Check *Check
	// Pointer is the JSON pointer of the object.
	Pointer string
}

// EvalError is a check that could not be evaluated on an object.
type EvalError struct {
	Check   *Check
	Pointer string
	Err     error
}

func (e EvalError) Error() string {
	return fmt.Sprintf("check %q at %q: %v", e.Check.ID, e.Pointer, e.Err)
}

// Evaluate runs every check on the record doc, a JSON document decoded into
// map[string]any, judging current statuses at now. Violations and errors
// come in the set's check order, then in pointer order.
func (s *Set) Evaluate(doc any, now time.Time) Result {
	var res Result
	root, ok := doc.(map[string]any)
	if !ok {
		res.NotApplicable = len(s.checks)
		return res
	}
	found := collect(root, s.targets)
	e := newEnv(root, now)
	var machine vm.VM
	for i := range s.checks {
		c := &s.checks[i]
		targets := found[c.Target]
		if len(targets) == 0 {
			res.NotApplicable++
			continue
		}
		violations, errs := len(res.Violations), len(res.Errors)
		for _, t := range targets {
			e.This, e.Parent, e.ParentEntity, e.Pointer = t.obj, t.parent, t.parentEntity, t.pointer
			out, err := machine.Run(s.programs[i], e)
			switch {
			case err != nil:
				res.Errors = append(res.Errors, EvalError{Check: c, Pointer: t.pointer, Err: err})
			case out != true:
				res.Violations = append(res.Violations, Violation{Check: c, Pointer: t.pointer})
			}
		}
		slices.SortFunc(res.Violations[violations:], func(a, b Violation) int { return cmp.Compare(a.Pointer, b.Pointer) })
		slices.SortFunc(res.Errors[errs:], func(a, b EvalError) int { return cmp.Compare(a.Pointer, b.Pointer) })
		if len(res.Violations) == violations && len(res.Errors) == errs {
			res.Satisfied++
		}
	}
	return res
}
