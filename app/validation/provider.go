package validation

import (
	"context"
	"fmt"
)

// ValidatorSource gives the validator that judges records now:
// knowledge.Source serves the schema, rules and checks active in the
// database, Static one fixed validator. Implementations must be safe for
// concurrent use and should cache: it is called once per job.
type ValidatorSource interface {
	Validator(ctx context.Context) (*Validator, error)
}

// Static is a ValidatorSource that always gives the same validator.
type Static struct {
	V *Validator
}

// Validator returns s.V.
func (s Static) Validator(context.Context) (*Validator, error) { return s.V, nil }

// DefaultSource returns a source of the validator of the embedded default
// rules and checks.
func DefaultSource() (Static, error) {
	rs, cs, err := Defaults()
	if err != nil {
		return Static{}, fmt.Errorf("validation: default rules and checks: %w", err)
	}
	v, err := New(Config{Rules: rs, Checks: cs})
	if err != nil {
		return Static{}, fmt.Errorf("validation: default validator: %w", err)
	}
	return Static{V: v}, nil
}
