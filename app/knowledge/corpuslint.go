package knowledge

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/store"
)

// Corpus is what a rule set is linted against: the vocabulary of the
// corpus graph and the stored records.
type Corpus interface {
	CorpusVocabulary(ctx context.Context, predicates []string, pairs [][2]string) (store.Vocabulary, error)
	ReadCorpus(ctx context.Context, fn func(doc []byte) error) (store.Corpus, error)
}

// LintAgainstCorpus warns, at each rule's line, about what in a rule set
// can never fire on the stored records: a predicate, or a constant as a
// predicate's object, that the corpus graph never holds (a rule about
// status 'active' when the statuses are CustomerActive and friends), and
// a rule whose body no stored record matches. It reads the records until
// every rule has applied or budget runs out (0: no limit), and says how
// many it read. The rule file must parse.
func LintAgainstCorpus(ctx context.Context, c Corpus, file string, data []byte, budget time.Duration) rules.Diagnostics {
	parsed, diags := rules.Parse(file, data)
	if diags.Err() != nil || len(parsed) == 0 {
		return nil
	}
	warn := func(pos rules.Position, format string, args ...any) rules.Diagnostic {
		return rules.Diagnostic{Pos: pos, Severity: rules.Warning, Msg: fmt.Sprintf(format, args...)}
	}
	var out rules.Diagnostics
	var preds []string
	var pairs [][2]string
	for _, r := range parsed {
		for _, a := range append([]rules.Atom{r.Head}, r.Body...) {
			preds = append(preds, a.Predicate)
			if !a.Object.Var {
				pairs = append(pairs, [2]string{a.Predicate, a.Object.Value})
			}
		}
	}
	slices.Sort(preds)
	preds = slices.Compact(preds)
	vocab, err := c.CorpusVocabulary(ctx, preds, pairs)
	dead := map[string]bool{} // rules whose body the vocabulary rules out
	noGraph := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		noGraph = true
	case err != nil:
		out = append(out, rules.Diagnostic{Pos: rules.Position{File: file, Line: 1, Col: 1}, Severity: rules.Note,
			Msg: fmt.Sprintf("the corpus vocabulary could not be read: %v", err)})
	default:
		of := fmt.Sprintf("the corpus graph (build %d, %d records)", vocab.Build.ID, vocab.Build.Records)
		for _, r := range parsed {
			for i, a := range append([]rules.Atom{r.Head}, r.Body...) {
				var problem string
				switch {
				case !vocab.Predicates[a.Predicate]:
					problem = fmt.Sprintf("predicate %s never occurs in %s", a.Predicate, of)
				case !a.Object.Var && !vocab.Pairs[[2]string{a.Predicate, a.Object.Value}]:
					problem = fmt.Sprintf("constant %s never occurs as the object of %s in %s", a.Object, a.Predicate, of)
				default:
					continue
				}
				if i == 0 {
					problem += ": the rule would flag every match of its body"
				} else {
					problem += ": the rule can never apply"
					dead[r.ID] = true
				}
				out = append(out, warn(r.Pos, "rule %s: %s", r.ID, problem))
			}
		}
	}
	applied, read := lintApplied(ctx, c, parsed, dead, budget, warn)
	if noGraph && read > 0 {
		out = append(out, rules.Diagnostic{Pos: rules.Position{File: file, Line: 1, Col: 1}, Severity: rules.Note,
			Msg: "no corpus graph is built (pff kg build): predicates and constants were not checked against the corpus"})
	}
	return append(out, applied...)
}

// lintApplied warns about the rules that no stored record applies to, and
// says how many records it read.
func lintApplied(ctx context.Context, c Corpus, parsed []rules.Rule, dead map[string]bool, budget time.Duration,
	warn func(rules.Position, string, ...any) rules.Diagnostic) (rules.Diagnostics, int) {
	set, err := rules.Compile(parsed)
	if err != nil {
		return nil, 0 // Lint says why
	}
	applied := make([]bool, set.Len())
	left := set.Len()
	for i, r := range set.Rules() {
		if dead[r.ID] {
			applied[i] = true // warned already
			left--
		}
	}
	readCtx := ctx
	if budget > 0 {
		var cancel context.CancelFunc
		readCtx, cancel = context.WithTimeout(ctx, budget)
		defer cancel()
	}
	builder := kg.Builder{}
	read := 0
	errAllApplied := errors.New("every rule applied")
	corpus, err := c.ReadCorpus(readCtx, func(doc []byte) error {
		if g, err := builder.Build(doc); err == nil {
			left -= set.Applied(g, applied)
		}
		read++
		if left == 0 {
			return errAllApplied
		}
		return readCtx.Err()
	})
	whole := err == nil
	switch {
	case errors.Is(err, errAllApplied):
		return nil, read
	case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded), whole:
	default:
		return rules.Diagnostics{{Pos: parsed[0].Pos, Severity: rules.Note, Msg: fmt.Sprintf("the stored records could not be read: %v", err)}}, read
	}
	if read == 0 {
		return nil, 0
	}
	scope := fmt.Sprintf("any of the %d stored records", read)
	if !whole {
		scope = fmt.Sprintf("any of the %d stored records read in %v (pff rules lint --corpus reads them all)", read, budget)
	} else if corpus.Records > read {
		scope = fmt.Sprintf("any of the %d stored records", corpus.Records)
	}
	var out rules.Diagnostics
	for i, r := range set.Rules() {
		if !applied[i] {
			out = append(out, warn(r.Pos, "rule %s never applied to %s: its body matched nothing", r.ID, scope))
		}
	}
	return out, read
}
