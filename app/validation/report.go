package validation

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pff/pff/app/schema"
)

// Decision is what to do with a record.
type Decision string

// Decisions.
const (
	Accept Decision = "ACCEPT"
	Review Decision = "REVIEW"
	Reject Decision = "REJECT"
)

// Where a violation comes from.
const (
	SourceRule       = "rule"
	SourceCheck      = "check"
	SourceConstraint = "constraint"
	SourceModel      = "model"
)

// Report is the validation of one record.
type Report struct {
	// Record is the customer id.
	Record      string   `json:"record"`
	Decision    Decision `json:"decision"`
	Score       float64  `json:"score"`
	Explanation string   `json:"explanation"`

	SchemaErrors []schema.Error `json:"schema_errors,omitempty"`
	Violations   []Violation    `json:"violations,omitempty"`
	// EvalErrors are checks that could not be evaluated on an object.
	EvalErrors []string `json:"eval_errors,omitempty"`
	// Error is why the record could not be validated at all, for a report
	// made by FailedReport; the decision then rests on it alone.
	Error string `json:"error,omitempty"`
	// Satisfied and NotApplicable count rules and checks: those that held
	// wherever they applied, and those that applied nowhere.
	Satisfied     int `json:"satisfied"`
	NotApplicable int `json:"not_applicable"`

	// Learned is the learned term of the score: the model's judgement of
	// the record's facts, or a note that there was no model.
	Learned Learned `json:"learned"`

	Versions Versions `json:"versions"`
	// JudgedAt is the moment current statuses were judged at.
	JudgedAt time.Time `json:"judged_at"`
}

// Violation is one place where a rule, check or model finds the record wrong.
type Violation struct {
	// Source is SourceRule, SourceCheck, SourceConstraint or SourceModel.
	Source string `json:"source"`
	ID     string `json:"id"`
	// Duplicates are the ids of rules merged into this one.
	Duplicates []string `json:"duplicates,omitempty"`
	// Category is the kind of fault.
	Category    string  `json:"category"`
	Confidence  float64 `json:"confidence"`
	Description string  `json:"description"`
	// Rule is the pattern of a Horn rule or the expression of a check.
	Rule string `json:"rule,omitempty"`
	// Bindings are a Horn rule's variables at the violation.
	Bindings Bindings `json:"bindings,omitempty"`
	// Pointers are the JSON pointers of the facts or the object involved.
	Pointers []string `json:"pointers"`
	// Alternatives are, for a fact a model doubts, the values it finds
	// likelier, likeliest first.
	Alternatives []Alternative `json:"alternatives,omitempty"`
}

// Learned is what a plausibility model made of a record.
type Learned struct {
	Model string `json:"model,omitempty"`
	// Scored facts are those the model could judge; Doubted those it
	// reports; Abstained those it had too little evidence to judge.
	Scored    int `json:"scored"`
	Doubted   int `json:"doubted"`
	Abstained int `json:"abstained"`
	// Policy is what the model's findings may decide: "review" (they send
	// a record to REVIEW at most) or "score".
	Policy ModelPolicy `json:"policy,omitempty"`
	Note   string      `json:"note,omitempty"`
}

// Versions name the schema, rules, checks, constraints and model that made
// a report; empty when not used.
type Versions struct {
	Schema      string `json:"schema,omitempty"`
	Rules       string `json:"rules,omitempty"`
	Checks      string `json:"checks,omitempty"`
	Constraints string `json:"constraints,omitempty"`
	Model       string `json:"model,omitempty"`
}

// Thresholds turn a score into a decision.
type Thresholds struct {
	// Accept is the lowest score accepted without review.
	Accept float64
	// Reject is the score below which a record is rejected.
	Reject float64
}

// The default thresholds accept a record at most 10% likely to hold a real
// fault and reject one at least 90% likely to.
const (
	DefaultAccept = 0.9
	DefaultReject = 0.1
)

// finding is one factor of the score (see the package doc): a violation or
// a schema error, and its confidence.
type finding struct {
	violation  *Violation
	schema     *schema.Error
	confidence float64
}

func (f finding) String() string {
	if e := f.schema; e != nil {
		return fmt.Sprintf("schema %s at %s (%.2f)", e.Keyword, pointerText(e.Pointer), f.confidence)
	}
	v := f.violation
	place := ""
	if len(v.Pointers) > 0 {
		place = " at " + pointerText(v.Pointers[0])
	}
	return fmt.Sprintf("%s (%s %s, %.2f)%s", v.Category, v.Source, v.ID, v.Confidence, place)
}

// decide sets the score, decision and explanation from the report's
// findings. Under ModelReviews a record that only the model's findings
// push below the reject threshold is sent to REVIEW: the model alone never
// rejects.
func (r *Report) decide(t Thresholds, schemaConfidence float64, policy ModelPolicy) {
	findings := r.findings(schemaConfidence)
	score, withoutModel := 1.0, 1.0
	for _, f := range findings {
		score *= 1 - f.confidence
		if f.violation == nil || f.violation.Source != SourceModel {
			withoutModel *= 1 - f.confidence
		}
	}
	// Twelve significant digits are more than confidences carry, and
	// rounding keeps 1 − 0.9 at the threshold 0.1 rather than a hair below.
	round := func(x float64) float64 {
		x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
		return x
	}
	r.Score = round(score)
	capped := false
	switch {
	case r.Score < t.Reject && policy == ModelReviews && round(withoutModel) >= t.Reject:
		r.Decision, capped = Review, true
	case r.Score < t.Reject:
		r.Decision = Reject
	case r.Score < t.Accept || len(r.EvalErrors) > 0:
		r.Decision = Review
	default:
		r.Decision = Accept
	}
	r.Explanation = r.explain(findings, t)
	if capped {
		r.Explanation += " The model's findings alone do not reject a record: it is for review."
	}
}

// findings lists the score's factors, most confident first: each violated
// rule or check once, each doubted fact, each failing schema keyword once.
func (r *Report) findings(schemaConfidence float64) []finding {
	n := len(r.Violations) + len(r.SchemaErrors)
	out := make([]finding, 0, n)
	type key struct{ source, id, pointer string }
	seen := make(map[key]bool, n)
	for i := range r.Violations {
		v := &r.Violations[i]
		k := key{source: v.Source, id: v.ID}
		if v.Source == SourceModel && len(v.Pointers) > 0 {
			k.pointer = v.Pointers[0]
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, finding{violation: v, confidence: v.Confidence})
		}
	}
	for i := range r.SchemaErrors {
		e := &r.SchemaErrors[i]
		if k := (key{source: "schema", id: e.Keyword}); !seen[k] {
			seen[k] = true
			out = append(out, finding{schema: e, confidence: schemaConfidence})
		}
	}
	slices.SortStableFunc(out, func(a, b finding) int { return cmp.Compare(b.confidence, a.confidence) })
	return out
}

// explain says in a sentence or two why the decision was made.
func (r *Report) explain(findings []finding, t Thresholds) string {
	var b strings.Builder
	switch r.Decision {
	case Accept:
		fmt.Fprintf(&b, "ACCEPT: score %s is at least %.2f", scoreText(r.Score), t.Accept)
	case Review:
		if r.Score < t.Reject {
			fmt.Fprintf(&b, "REVIEW: score %s is below %.2f only for the model's findings", scoreText(r.Score), t.Reject)
		} else if r.Score >= t.Accept {
			fmt.Fprintf(&b, "REVIEW: %d check evaluation%s failed, so the record is not fully verified", len(r.EvalErrors), plural(len(r.EvalErrors)))
		} else {
			fmt.Fprintf(&b, "REVIEW: score %s is between %.2f and %.2f", scoreText(r.Score), t.Reject, t.Accept)
		}
	case Reject:
		fmt.Fprintf(&b, "REJECT: score %s is below %.2f", scoreText(r.Score), t.Reject)
	}
	if len(findings) == 0 {
		fmt.Fprintf(&b, "; nothing found wrong (%d rules and checks held, %d did not apply).", r.Satisfied, r.NotApplicable)
		return b.String()
	}
	const shown = 3
	fmt.Fprintf(&b, "; %d finding%s: ", len(findings), plural(len(findings)))
	for i, f := range findings[:min(shown, len(findings))] {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	if len(findings) > shown {
		fmt.Fprintf(&b, "; and %d more", len(findings)-shown)
	}
	b.WriteByte('.')
	return b.String()
}

// scoreText writes a score with three decimals, or two significant digits
// when it is smaller than that shows.
func scoreText(score float64) string {
	if score != 0 && score < 0.001 {
		return fmt.Sprintf("%.2g", score)
	}
	return fmt.Sprintf("%.3f", score)
}

func pointerText(p string) string {
	if p == "" {
		return "the record"
	}
	return p
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
