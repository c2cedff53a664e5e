package validation

import (
	"fmt"
	"io"
	"strings"
)

// Text renders the report for a person reading a terminal:
//
//	record A4C123B1612DD272D1371C17149D4395: REJECT, score 0.010
//	REJECT: score 0.010 is below 0.10; 1 finding: ...
//
//	violations
//	  0.99  plan_product_count  check one-active-plan-per-active-contract
//	        An active contract has exactly one active FRANQUIA_PLANO product.
//	        at /contract/2
//	...
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "record %s: %s, score %s\n%s\n", r.Record, r.Decision, scoreText(r.Score), r.Explanation)
	if len(r.Violations) > 0 {
		b.WriteString("\nviolations\n")
		for _, v := range r.Violations {
			fmt.Fprintf(&b, "  %.2f  %s  %s %s\n", v.Confidence, v.Category, v.Source, v.ID)
			if v.Description != "" {
				fmt.Fprintf(&b, "        %s\n", v.Description)
			}
			if len(v.Bindings) > 0 {
				fmt.Fprintf(&b, "        where %s\n", bindingsText(v.Bindings))
			}
			fmt.Fprintf(&b, "        at %s\n", strings.Join(mapSlice(v.Pointers, pointerText), ", "))
			if len(v.Alternatives) > 0 {
				alts := make([]string, len(v.Alternatives))
				for i, a := range v.Alternatives {
					alts[i] = fmt.Sprintf("%s p=%.2f", a.Value, a.Probability)
				}
				fmt.Fprintf(&b, "        likelier: %s\n", strings.Join(alts, ", "))
			}
		}
	}
	if len(r.SchemaErrors) > 0 {
		b.WriteString("\nschema errors\n")
		for _, e := range r.SchemaErrors {
			fmt.Fprintf(&b, "  %s: %s\n", pointerText(e.Pointer), e.Message)
		}
	}
	if len(r.EvalErrors) > 0 {
		b.WriteString("\nchecks that could not be evaluated\n")
		for _, e := range r.EvalErrors {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	fmt.Fprintf(&b, "\n%d held, %d did not apply; %s\n", r.Satisfied, r.NotApplicable, r.Versions.text())
	if l := r.Learned; l.Note != "" {
		fmt.Fprintf(&b, "%s\n", l.Note)
	} else {
		fmt.Fprintf(&b, "model %s judged %d facts, doubts %d, abstained on %d for too little evidence\n", l.Model, l.Scored, l.Doubted, l.Abstained)
	}
	return b.String()
}

// WriteText writes Text to w.
func (r *Report) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, r.Text())
	return err
}

func (v Versions) text() string {
	or := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	return fmt.Sprintf("schema %s, rules %s, checks %s, constraints %s, model %s", or(v.Schema), or(v.Rules), or(v.Checks), or(v.Constraints), or(v.Model))
}

func bindingsText(bindings Bindings) string {
	vars := make([]string, len(bindings))
	for i, b := range bindings {
		vars[i] = b.Var + "=" + b.Value
	}
	return strings.Join(vars, " ")
}

func mapSlice(s []string, f func(string) string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}
