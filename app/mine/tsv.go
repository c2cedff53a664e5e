package mine

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/pff/pff/app/rules"
)

// WriteTSV writes the rules in AnyBURL's format, one a line:
//
//	predictions<TAB>correct<TAB>confidence<TAB>head <= body
func (r *Result) WriteTSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, rule := range r.Rules {
		fmt.Fprintf(bw, "%d\t%d\t%s\t%s\n", rule.Predictions, rule.Correct,
			strconv.FormatFloat(rule.Confidence, 'g', -1, 64), rule.Pattern())
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("mine: write rules: %w", err)
	}
	return nil
}

// RuleSet returns the rules as app/rules reads them from the TSV, with the
// same ids (category and a hash of the pattern), ready for rules.Compile.
// An empty category means rules.DefaultTSVCategory.
func (r *Result) RuleSet(category string) ([]rules.Rule, error) {
	var buf bytes.Buffer
	if err := r.WriteTSV(&buf); err != nil {
		return nil, err
	}
	rs, diags := rules.ParseTSV("mined.tsv", buf.Bytes(), category)
	if err := diags.Err(); err != nil {
		return nil, fmt.Errorf("mine: mined rules do not parse: %w", err)
	}
	return rs, nil
}
