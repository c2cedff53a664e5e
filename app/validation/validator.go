package validation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pff/pff/app/checks"
	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
)

// Plausibility is a learned model of which facts are plausible, the seam
// for the learned term of the score. Validation works without one.
type Plausibility interface {
	// Version identifies the model in reports.
	Version() string
	// Assess scores the facts of a record's graph and returns those the
	// model doubts.
	Assess(ctx context.Context, g *kg.Graph) (Assessment, error)
}

// Assessment is a plausibility model's judgement of one record.
type Assessment struct {
	// Scored is how many facts the model could judge.
	Scored int
	// Abstained is how many facts it had too little evidence to judge: a
	// value or an entity seen too rarely in training.
	Abstained int
	Findings  []Finding
}

// Finding is a fact a plausibility model doubts.
type Finding struct {
	// Pointer is the JSON pointer of the fact (kg.Triple.Pointer).
	Pointer     string
	Description string
	// Confidence is the model's probability that the fact is wrong.
	Confidence float64
	// Alternatives are what the fact's value more likely is, likeliest first.
	Alternatives []Alternative
}

// Alternative is a value a model finds plausible in place of a doubted one.
type Alternative struct {
	Value string `json:"value"`
	// Probability is the model's probability that the fact with this value is true.
	Probability float64 `json:"probability"`
}

// ModelPolicy says what findings of the plausibility model may decide.
type ModelPolicy string

// The policies.
const (
	// ModelReviews lets model findings lower the score and send a record to
	// REVIEW, never to REJECT: only the schema, rules, checks and
	// constraints reject. The default.
	ModelReviews ModelPolicy = "review"
	// ModelScores counts model findings in the score like any other, so
	// they may reject a record on their own.
	ModelScores ModelPolicy = "score"
)

// Config says what to validate records with. Every part is optional.
type Config struct {
	Schema       *schema.Schema
	Rules        *rules.Set
	Checks       *checks.Set
	Constraints  *constraints.Set
	Plausibility Plausibility
	// ModelPolicy is what model findings may decide; empty means
	// ModelReviews.
	ModelPolicy ModelPolicy
	// SchemaConfidence is the probability that a failing schema keyword is a
	// real fault. Zero means 0.9.
	SchemaConfidence float64
	// Thresholds; zero means DefaultAccept and DefaultReject.
	Thresholds Thresholds
	// Now is the moment current statuses are judged at; nil means the clock.
	Now func() time.Time
	// NoModelNote is what reports say when Plausibility is nil; empty means
	// that no model is active.
	NoModelNote string
}

// Validator validates records. It is safe for concurrent use.
type Validator struct {
	cfg Config
}

// New checks the configuration and returns a validator.
func New(cfg Config) (*Validator, error) {
	if cfg.SchemaConfidence == 0 {
		cfg.SchemaConfidence = 0.9
	}
	if cfg.Thresholds == (Thresholds{}) {
		cfg.Thresholds = Thresholds{Accept: DefaultAccept, Reject: DefaultReject}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ModelPolicy == "" {
		cfg.ModelPolicy = ModelReviews
	}
	if cfg.NoModelNote == "" {
		cfg.NoModelNote = "no active model: the score is from the schema, rules and checks alone"
	}
	t := cfg.Thresholds
	switch {
	case cfg.SchemaConfidence < 0 || cfg.SchemaConfidence > 1:
		return nil, fmt.Errorf("validation: schema confidence %v outside [0, 1]", cfg.SchemaConfidence)
	case t.Reject < 0 || t.Reject > t.Accept || t.Accept > 1:
		return nil, fmt.Errorf("validation: thresholds reject %v, accept %v: want 0 <= reject <= accept <= 1", t.Reject, t.Accept)
	case cfg.ModelPolicy != ModelReviews && cfg.ModelPolicy != ModelScores:
		return nil, fmt.Errorf("validation: model policy %q: want %q or %q", cfg.ModelPolicy, ModelReviews, ModelScores)
	}
	return &Validator{cfg: cfg}, nil
}

// Versions names what the validator's reports are made with.
func (v *Validator) Versions() Versions {
	var vs Versions
	if v.cfg.Schema != nil {
		vs.Schema = v.cfg.Schema.Version()
	}
	if v.cfg.Rules != nil {
		vs.Rules = v.cfg.Rules.Version()
	}
	if v.cfg.Checks != nil {
		vs.Checks = v.cfg.Checks.Version()
	}
	if v.cfg.Constraints != nil {
		vs.Constraints = v.cfg.Constraints.Version()
	}
	if v.cfg.Plausibility != nil {
		vs.Model = v.cfg.Plausibility.Version()
	}
	return vs
}

// Validate reports on one record, a customer-enquiry JSON document. It
// fails only for input that is not a record it can read, with a
// *RecordError (not JSON it reads, such as a number beyond a float64's
// range, or not a JSON object with a customer id), or when the
// plausibility model fails. FailedReport makes a report of either.
func (v *Validator) Validate(ctx context.Context, record []byte) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(record, &doc); err != nil {
		return nil, decodeError(record, err)
	}
	now := v.cfg.Now()
	g, err := kg.Builder{Now: now}.Build(record)
	if err != nil {
		return nil, &RecordError{Offset: -1, Reason: strings.TrimPrefix(err.Error(), "kg: "), Err: err}
	}
	r := &Report{Record: g.Root, Versions: v.Versions(), JudgedAt: now}
	if v.cfg.Schema != nil {
		r.SchemaErrors = v.cfg.Schema.Validate(doc)
	}
	if v.cfg.Rules != nil {
		res := v.cfg.Rules.Evaluate(g)
		r.Satisfied += res.Satisfied
		r.NotApplicable += res.NotApplicable
		r.Violations = slices.Grow(r.Violations, len(res.Violations))
		for _, x := range res.Violations {
			r.Violations = append(r.Violations, ruleViolation(x))
		}
	}
	if v.cfg.Checks != nil {
		res := v.cfg.Checks.Evaluate(doc, now)
		r.Satisfied += res.Satisfied
		r.NotApplicable += res.NotApplicable
		for _, x := range res.Violations {
			r.Violations = append(r.Violations, checkViolation(x))
		}
		for _, e := range res.Errors {
			r.EvalErrors = append(r.EvalErrors, e.Error())
		}
	}
	if v.cfg.Constraints != nil {
		res := v.cfg.Constraints.Evaluate(g)
		r.Satisfied += res.Satisfied
		r.NotApplicable += res.NotApplicable
		for _, x := range res.Violations {
			r.Violations = append(r.Violations, constraintViolation(x))
		}
	}
	r.Learned = Learned{Note: v.cfg.NoModelNote}
	if v.cfg.Plausibility != nil {
		a, err := v.cfg.Plausibility.Assess(ctx, g)
		if err != nil {
			return nil, fmt.Errorf("validation: plausibility of %s: %w", g.Root, err)
		}
		r.Learned = Learned{Model: v.cfg.Plausibility.Version(), Scored: a.Scored, Abstained: a.Abstained,
			Doubted: len(a.Findings), Policy: v.cfg.ModelPolicy}
		for _, f := range a.Findings {
			if f.Confidence < 0 || f.Confidence > 1 {
				return nil, errors.New("validation: plausibility model returned a confidence outside [0, 1]")
			}
			r.Violations = append(r.Violations, Violation{
				Source: SourceModel, ID: v.cfg.Plausibility.Version(), Category: "implausible_fact",
				Confidence: f.Confidence, Description: f.Description, Pointers: []string{f.Pointer},
				Alternatives: f.Alternatives,
			})
		}
	}
	r.decide(v.cfg.Thresholds, v.cfg.SchemaConfidence, v.cfg.ModelPolicy)
	return r, nil
}

// ruleViolation shares the bindings and pointers of x: an evaluation's
// result owns them and never changes them.
func ruleViolation(x rules.Violation) Violation {
	return Violation{
		Source: SourceRule, ID: x.Rule.ID, Duplicates: x.Rule.Duplicates,
		Category: x.Rule.Category, Confidence: x.Rule.Confidence, Description: x.Rule.Description,
		Rule: x.Pattern, Bindings: Bindings(x.Bindings), Pointers: x.Pointers,
	}
}

func constraintViolation(x constraints.Violation) Violation {
	c := x.Constraint
	return Violation{
		Source: SourceConstraint, ID: c.ID, Category: "constraint_" + string(c.Kind), Confidence: c.Confidence,
		Description: c.Text() + ": " + x.Detail, Rule: c.Text(), Pointers: slices.Clone(x.Pointers),
	}
}

func checkViolation(x checks.Violation) Violation {
	return Violation{
		Source: SourceCheck, ID: x.Check.ID,
		Category: x.Check.Category, Confidence: x.Check.Confidence, Description: x.Check.Description,
		Rule: x.Check.Expr, Pointers: []string{x.Pointer},
	}
}
