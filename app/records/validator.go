package records

import (
	"context"
	"fmt"

	"github.com/pff/pff/app/validation"
)

// ValidatorSource gives the validator that judges records now. Knowledge
// versioning implements it with the schema, rules and checks active in the
// database; until then Defaults serves the embedded ones. Implementations must
// be safe for concurrent use and should cache: it is called once per job.
type ValidatorSource interface {
	Validator(ctx context.Context) (*validation.Validator, error)
}

// Static is a ValidatorSource that always gives the same validator.
type Static struct {
	V *validation.Validator
}

// Validator returns s.V.
func (s Static) Validator(context.Context) (*validation.Validator, error) { return s.V, nil }

// Defaults returns a source of the validator of the embedded default rules
// and checks.
func Defaults() (Static, error) {
	rs, cs, err := validation.Defaults()
	if err != nil {
		return Static{}, fmt.Errorf("records: default rules and checks: %w", err)
	}
	v, err := validation.New(validation.Config{Rules: rs, Checks: cs})
	if err != nil {
		return Static{}, fmt.Errorf("records: default validator: %w", err)
	}
	return Static{V: v}, nil
}
