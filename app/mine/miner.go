package mine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
)

// Miner learns rules from the graphs added to it. It is not safe for
// concurrent use.
type Miner struct {
	cfg    Config
	corpus *corpus
}

// New returns a miner with cfg's settings, zero values replaced by the
// defaults. Mine reports settings out of range.
func New(cfg Config) *Miner {
	full := cfg.withDefaults()
	return &Miner{cfg: cfg, corpus: newCorpus(full.Seed, full.MaxFacts)}
}

// Add adds one record's graph to the corpus. The miner keeps an index of
// the graph's facts, not the graph. Past Config.MaxFacts, records replace
// others at random.
func (m *Miner) Add(g *kg.Graph) {
	if g != nil {
		m.corpus.add(g)
	}
}

// Offered is the number of records added so far.
func (m *Miner) Offered() int { return m.corpus.offered }

// Records is the number of records the corpus holds.
func (m *Miner) Records() int { return len(m.corpus.records) }

// Facts is the number of distinct facts the corpus holds.
func (m *Miner) Facts() int { return m.corpus.facts }

// Rule is a mined rule and how the corpus judged it.
type Rule struct {
	Head rules.Atom
	Body []rules.Atom
	// Predictions is the number of bindings of the body over the corpus,
	// Correct the number of those for which the head holds.
	Predictions int
	Correct     int
	// Confidence is Correct / Predictions.
	Confidence float64
}

// Pattern is the rule's text, "head <= body".
func (r Rule) Pattern() string {
	return rules.Rule{Head: r.Head, Body: r.Body}.Pattern()
}

// Stop says why mining ended.
type Stop string

// Why mining ends.
const (
	StopSamples   Stop = "samples"   // the sample budget was spent
	StopSaturated Stop = "saturated" // a batch of samples found no new rule
	StopTime      Stop = "time"      // Config.MaxDuration passed
)

// Stats describe a run.
type Stats struct {
	// Offered is the number of records added; Records those the corpus
	// kept (fewer past Config.MaxFacts).
	Offered int `json:"offered"`
	Records int `json:"records"`
	Facts   int `json:"facts"`
	// Constants is the number of categorical values frequent enough to
	// appear in a rule.
	Constants int `json:"constants"`
	Samples   int `json:"samples"`
	// Bodies is the number of distinct rule bodies judged, each against
	// every head its bindings suggest; Candidates counts those rules, and
	// Kept the ones that cleared the thresholds and are not dominated by a
	// more general rule, before Config.MaxRules.
	Bodies     int `json:"bodies"`
	Candidates int `json:"candidates"`
	// Found is the number of rules that cleared the thresholds so far, for
	// Config.Progress.
	Found    int           `json:"found"`
	Kept     int           `json:"kept"`
	Duration time.Duration `json:"duration_ns"`
	Stop     Stop          `json:"stop,omitempty"`
}

// Result is what a run found.
type Result struct {
	// Rules are best first: by confidence, then support, then shorter
	// bodies, then pattern.
	Rules []Rule
	Stats Stats
}

// Mine samples paths, judges the rules they generalise to against the whole
// corpus, and returns those above the thresholds. A cancelled context ends
// it with the context's error; the time budget ends it with what was found.
func (m *Miner) Mine(ctx context.Context) (*Result, error) {
	if err := m.cfg.Check(); err != nil {
		return nil, err
	}
	cfg := m.cfg.withDefaults()
	c := m.corpus
	if c.facts == 0 {
		return nil, errors.New("mine: the corpus has no facts")
	}
	start := time.Now()
	c.finalize(cfg.MinSupport)
	budget := ctx
	if cfg.MaxDuration > 0 {
		var cancel context.CancelFunc
		budget, cancel = context.WithDeadline(ctx, start.Add(cfg.MaxDuration))
		defer cancel()
	}

	s := newSampler(c, cfg.Seed, cfg.MaxBodyLength)
	seen := map[body]struct{}{}
	// found holds every rule that cleared the thresholds; a rule two bodies
	// lead to (a cyclic one, from either end) is counted alike by both.
	found := map[candidate]judgement{}
	var order []candidate
	stats := Stats{Offered: c.offered, Records: len(c.records), Facts: c.facts, Constants: len(c.constNames), Stop: StopSamples}
	for stats.Samples < cfg.Samples {
		var fresh []body
		for range min(cfg.Batch, cfg.Samples-stats.Samples) {
			if budget.Err() != nil {
				break
			}
			s.sample(func(b body) {
				if _, ok := seen[b]; !ok {
					seen[b] = struct{}{}
					fresh = append(fresh, b)
				}
			})
			stats.Samples++
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("mine: %w", err)
		}
		if len(fresh) == 0 && budget.Err() == nil {
			stats.Stop = StopSaturated
			break
		}
		kept, done := c.judgeAll(budget, fresh, cfg)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("mine: %w", err)
		}
		stats.Bodies += done
		for _, rs := range kept[:done] {
			stats.Candidates += rs.considered
			for _, r := range rs.rules {
				if _, dup := found[r.cd]; !dup {
					found[r.cd] = r.j
					order = append(order, r.cd)
				}
			}
		}
		stats.Found = len(found)
		if cfg.Progress != nil {
			p := stats
			p.Duration = time.Since(start)
			cfg.Progress(p)
		}
		if done < len(fresh) || budget.Err() != nil {
			stats.Stop = StopTime
			break
		}
	}

	passed := make(map[candidate]float64, len(found))
	for cd, j := range found {
		passed[cd] = float64(j.correct) / float64(j.predictions)
	}
	res := &Result{}
	for _, cd := range order {
		j := found[cd]
		if dominated(cd, passed[cd], passed) {
			continue
		}
		head, body := cd.rule(c.predNames, c.constNames)
		res.Rules = append(res.Rules, Rule{
			Head: head, Body: body,
			Predictions: j.predictions, Correct: j.correct,
			Confidence: passed[cd],
		})
	}
	stats.Kept = len(res.Rules)
	rank(res.Rules)
	if cfg.MaxRules > 0 && len(res.Rules) > cfg.MaxRules {
		res.Rules = slices.Clip(res.Rules[:cfg.MaxRules])
	}
	stats.Duration = time.Since(start)
	res.Stats = stats
	return res, nil
}

// dominated reports whether a more general rule that passed is at least as
// confident: then it finds every violation this one would, and more. The
// more general rules are the one without the body's second atom, and the
// one with the body's constant made a variable.
func dominated(cd candidate, conf float64, passed map[candidate]float64) bool {
	var parents []candidate
	if cd.n == 2 && !cd.inBodyAt(1, cd.head) {
		p := cd
		p.n, p.body[1] = 1, atom{}
		parents = append(parents, p)
	}
	if last := &cd.body[cd.n-1]; !last.o.isVar() {
		p := cd
		p.body[p.n-1].o = variable(varA + int(p.n) - 1)
		parents = append(parents, p)
	}
	for _, p := range parents {
		if c, ok := passed[p]; ok && c >= conf {
			return true
		}
	}
	return false
}

// rank sorts rules best first. Patterns are unique, so the order is total.
func rank(rs []Rule) {
	keys := make([]string, len(rs))
	idx := make([]int, len(rs))
	for i := range rs {
		keys[i], idx[i] = rs[i].Pattern(), i
	}
	slices.SortFunc(idx, func(a, b int) int {
		x, y := &rs[a], &rs[b]
		return cmp.Or(
			cmp.Compare(y.Confidence, x.Confidence),
			cmp.Compare(y.Correct, x.Correct),
			cmp.Compare(len(x.Body), len(y.Body)),
			cmp.Compare(keys[a], keys[b]),
		)
	})
	sorted := make([]Rule, len(rs))
	for i, j := range idx {
		sorted[i] = rs[j]
	}
	copy(rs, sorted)
}

// judgement is what the corpus says of a rule.
type judgement struct {
	predictions int // bindings of the body
	correct     int // those for which the head holds
}

// judged is a rule that cleared the thresholds.
type judged struct {
	cd candidate
	j  judgement
}

// bodyRules are the rules one body leads to that cleared the thresholds,
// and how many it led to.
type bodyRules struct {
	rules      []judged
	considered int
}

// judgeAll judges bodies on all workers. It returns the rules of each and
// how many bodies, from the first, were judged before ctx ended.
func (c *corpus) judgeAll(ctx context.Context, bodies []body, cfg Config) ([]bodyRules, int) {
	out := make([]bodyRules, len(bodies))
	ok := make([]bool, len(bodies))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(cfg.Workers, len(bodies)) {
		wg.Go(func() {
			heads := newTally(len(c.predNames), len(c.constNames))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(bodies) {
					return
				}
				v, err := c.judge(ctx, &bodies[i], heads)
				if err != nil {
					return
				}
				out[i], ok[i] = rulesOf(&bodies[i], v, cfg), true
			}
		})
	}
	wg.Wait()
	done := 0
	for done < len(ok) && ok[done] {
		done++
	}
	return out, done
}

// rulesOf keeps a body's rules that clear the thresholds, in a fixed order.
func rulesOf(b *body, v verdict, cfg Config) bodyRules {
	out := bodyRules{considered: v.heads.len()}
	v.heads.each(func(h headKey, correct int) {
		if correct < cfg.MinSupport || float64(correct) < cfg.MinConfidence*float64(v.predictions) {
			return
		}
		if cd := b.candidate(h); !cd.trivial() {
			out.rules = append(out.rules, judged{cd: cd, j: judgement{predictions: v.predictions, correct: correct}})
		}
	})
	slices.SortFunc(out.rules, func(x, y judged) int { return compareHeads(x.cd.head, y.cd.head) })
	return out
}

func compareHeads(a, b atom) int {
	return cmp.Or(cmp.Compare(a.p, b.p), cmp.Compare(a.s.v, b.s.v), cmp.Compare(a.s.c, b.s.c), cmp.Compare(a.o.v, b.o.v), cmp.Compare(a.o.c, b.o.c))
}
