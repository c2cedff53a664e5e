package learn

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// PlausibilityConfig says which facts a Plausibility reports. Zero values
// mean defaults.
type PlausibilityConfig struct {
	// MinConfidence is the least probability that a fact is wrong for it to
	// be reported; default 0.9, which flagged no clean generated record
	// (0.5 flagged 6%; BENCHMARKS.md).
	MinConfidence float64
	// MaxFindings is how many of a record's least plausible facts are
	// reported; default 5.
	MaxFindings int
	// Alternatives is how many likelier values are suggested; default 3.
	Alternatives int
	// FactErrorRate is the prior probability that a categorical fact of a
	// record is wrong; default 0.01. The calibration weighs right and wrong
	// facts equally, so this turns its odds into probabilities for records
	// where wrong facts are rare.
	FactErrorRate float64
}

func (c PlausibilityConfig) resolved() PlausibilityConfig {
	if c.MinConfidence == 0 {
		c.MinConfidence = 0.9
	}
	if c.MaxFindings == 0 {
		c.MaxFindings = 5
	}
	if c.Alternatives == 0 {
		c.Alternatives = 3
	}
	if c.FactErrorRate == 0 {
		c.FactErrorRate = 0.01
	}
	return c
}

// Plausibility judges the categorical facts of records with a trained
// model: it is validation's learned term.
type Plausibility struct {
	version string
	sp      *space
	cal     *CalibrationFit
	cfg     PlausibilityConfig
}

var _ validation.Plausibility = (*Plausibility)(nil)

// ErrCannotJudgeRecords is returned for a model that was not trained on a
// corpus of records, such as a benchmark dataset's.
var ErrCannotJudgeRecords = errors.New("the model was not trained on records")

// LoadPlausibility reads what judging records needs of model m: the
// vectors of its categorical values and relations, and its record
// calibration. A model trained on a benchmark dataset has neither values
// nor a record calibration and cannot judge records.
func LoadPlausibility(ctx context.Context, st *store.Store, m store.Model, cfg PlausibilityConfig) (*Plausibility, error) {
	var cal Calibrations
	if err := json.Unmarshal(m.Calibration, &cal); err != nil {
		return nil, fmt.Errorf("learn: calibration of model %s: %w", m.Version, err)
	}
	if cal.Records == nil {
		return nil, fmt.Errorf("learn: model %s (%s): %w", m.Version, m.Source, ErrCannotJudgeRecords)
	}
	values, rels, err := st.ModelVocabulary(ctx, m.ID)
	if err != nil {
		return nil, fmt.Errorf("learn: %w", err)
	}
	norm := embed.L1
	if m.Norm == embed.L2.String() {
		norm = embed.L2
	}
	sp := &space{dim: m.Dim, norm: norm, values: make(map[string][]float32, len(values)), relations: make(map[string]relationVector, len(rels))}
	for _, v := range values {
		sp.values[v.Name] = v.Vector
	}
	for _, r := range rels {
		sp.relations[r.Name] = relationVector{vec: r.Vector, relationRange: relationRange{tails: r.Tails, facts: r.Facts, singletons: r.Singletons}}
	}
	return &Plausibility{version: m.Version, sp: sp, cal: cal.Records, cfg: cfg.resolved()}, nil
}

// Version is the model's version.
func (p *Plausibility) Version() string { return p.version }

// Assess scores every categorical fact of the record the model can judge
// and reports the least plausible, each with likelier values.
func (p *Plausibility) Assess(ctx context.Context, g *kg.Graph) (validation.Assessment, error) {
	if err := ctx.Err(); err != nil {
		return validation.Assessment{}, err
	}
	facts := make([]fact, 0, len(g.Triples))
	for _, t := range g.Triples {
		if t.Class == kg.ClassEdge || t.Class == kg.ClassCategory {
			facts = append(facts, fact{subject: t.Subject, relation: t.Predicate, object: t.Object,
				value: t.Class == kg.ClassCategory, pointer: t.Pointer})
		}
	}
	scored := p.sp.scoreRecord(facts, p.cfg.Alternatives)
	a := validation.Assessment{Scored: len(scored)}
	priorLogit := math.Log(p.cfg.FactErrorRate / (1 - p.cfg.FactErrorRate))
	for _, sf := range scored {
		if len(sf.alternatives) == 0 {
			continue
		}
		var wrong float64
		if sf.unseen {
			wrong = p.unseenWrong(sf.relation)
		} else {
			// The fit's P(right | margin) is σ(−(A·m + B)) at even odds.
			wrong = sigmoid(p.cal.A*float64(sf.margin()) + p.cal.B + priorLogit)
		}
		if wrong < p.cfg.MinConfidence {
			continue
		}
		var alts []validation.Alternative
		for i, c := range sf.alternatives {
			if c.distance < sf.distance {
				alts = append(alts, validation.Alternative{Value: c.value, Probability: p.cal.Probability(sf.marginOf(i))})
			}
		}
		// A doubt without a likelier value says only that the model knows
		// little of such facts.
		if len(alts) == 0 {
			continue
		}
		unseen := ""
		if sf.unseen {
			unseen = ", a value never seen for it"
		}
		a.Findings = append(a.Findings, validation.Finding{
			Pointer: sf.pointer, Confidence: wrong, Alternatives: alts,
			Description: fmt.Sprintf("this %s's %s is %s%s; records like it say %s, p=%.2f",
				entityType(g, sf.subject), sf.relation, sf.object, unseen, alts[0].Value, alts[0].Probability),
		})
	}
	slices.SortStableFunc(a.Findings, func(x, y validation.Finding) int { return cmp.Compare(y.Confidence, x.Confidence) })
	if len(a.Findings) > p.cfg.MaxFindings {
		a.Findings = a.Findings[:p.cfg.MaxFindings]
	}
	return a, nil
}

// unseenWrong is the probability that a value never seen with the relation
// is wrong. A correct fact has an unseen value about as often as the
// relation's training facts had a value seen once (Good-Turing, smoothed);
// a wrong value is taken to be unseen.
func (p *Plausibility) unseenWrong(relation string) float64 {
	r := p.sp.relations[relation]
	right := float64(r.singletons+1) / float64(r.facts+1)
	prior := p.cfg.FactErrorRate
	return prior / (prior + right*(1-prior))
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func entityType(g *kg.Graph, id string) string {
	if e, ok := g.Entities[id]; ok && e.Type != "" {
		return e.Type
	}
	return "entity"
}

// PlausibilityLoader loads the active model by id as the validators' learned
// term (knowledge.SourceConfig.Plausibility). A model that cannot judge
// records loads as none: validation goes on without a learned term and says
// so.
func PlausibilityLoader(st *store.Store, cfg PlausibilityConfig) func(ctx context.Context, modelID int64) (validation.Plausibility, error) {
	return func(ctx context.Context, modelID int64) (validation.Plausibility, error) {
		m, err := st.ModelByID(ctx, modelID)
		if err != nil {
			return nil, err
		}
		p, err := LoadPlausibility(ctx, st, m, cfg)
		if errors.Is(err, ErrCannotJudgeRecords) {
			return nil, nil
		}
		return p, err
	}
}
