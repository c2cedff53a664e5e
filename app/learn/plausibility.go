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
	// be reported; default 0.9.
	MinConfidence float64
	// MaxFindings is how many of a record's least plausible facts are
	// reported; default 5.
	MaxFindings int
	// Alternatives is how many likelier values are suggested; default 3.
	Alternatives int
	// FactErrorRate is the prior probability ε that a categorical fact of a
	// record is wrong; default 0.01 (see distribution.go).
	FactErrorRate float64
	// MinEvidence is the fewest other facts of an entity the model must
	// fold it in from to judge its facts; default 2. Fewer: it abstains.
	MinEvidence int
	// MinRelationFacts is the fewest training facts of a relation for the
	// model to judge it; default 30. Fewer: it abstains.
	MinRelationFacts int
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
	if c.MinEvidence == 0 {
		c.MinEvidence = 2
	}
	if c.MinRelationFacts == 0 {
		c.MinRelationFacts = 30
	}
	return c
}

// Plausibility judges the categorical facts of records with a trained
// model: it is validation's learned term.
type Plausibility struct {
	version string
	sp      *space
	// scale is the softmax's: the quality gate's fit on held-out records
	// when the model was measured, else the record calibration's slope.
	scale float64
	cfg   PlausibilityConfig
}

var _ validation.Plausibility = (*Plausibility)(nil)

// ErrCannotJudgeRecords is returned for a model that was not trained on a
// corpus of records, such as a benchmark dataset's.
var ErrCannotJudgeRecords = errors.New("the model was not trained on records")

// LoadPlausibility reads what judging records needs of model m: the
// vectors of its categorical values and relations, its record calibration
// and, once measured, the scale its quality gate fitted. A model trained
// on a benchmark dataset has neither values nor a record calibration and
// cannot judge records.
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
	scale := cal.Records.A
	if q, ok := QualityOf(m); ok && q.Scale > 0 {
		scale = q.Scale
	}
	if scale <= 0 || math.IsNaN(scale) {
		scale = 1
	}
	return &Plausibility{version: m.Version, sp: sp, scale: scale, cfg: cfg.resolved()}, nil
}

// Version is the model's version.
func (p *Plausibility) Version() string { return p.version }

// recordFacts are the facts of a record's graph the model reads: entity
// edges and categorical values.
func recordFacts(g *kg.Graph) []fact {
	facts := make([]fact, 0, len(g.Triples))
	for _, t := range g.Triples {
		if t.Class == kg.ClassEdge || t.Class == kg.ClassCategory {
			facts = append(facts, fact{subject: t.Subject, relation: t.Predicate, object: t.Object,
				value: t.Class == kg.ClassCategory, pointer: t.Pointer})
		}
	}
	return facts
}

// Assess judges every categorical fact of the record the model has
// evidence for, abstains on the others, and reports the facts likely wrong
// with the values the same distribution finds likelier.
func (p *Plausibility) Assess(ctx context.Context, g *kg.Graph) (validation.Assessment, error) {
	if err := ctx.Err(); err != nil {
		return validation.Assessment{}, err
	}
	judged, abstained := p.sp.judgeRecord(recordFacts(g), p.scale, p.cfg.MinEvidence, p.cfg.MinRelationFacts)
	a := validation.Assessment{Scored: len(judged), Abstained: abstained}
	for _, j := range judged {
		post := j.posterior(p.cfg.FactErrorRate)
		wrong := 1 - post[0]
		if wrong < p.cfg.MinConfidence {
			continue
		}
		var alts []validation.Alternative
		for _, r := range j.ranked(post)[:min(p.cfg.Alternatives, len(post)-1)] {
			alts = append(alts, validation.Alternative{Value: r.value, Probability: r.p})
		}
		a.Findings = append(a.Findings, validation.Finding{
			Pointer: j.pointer, Confidence: wrong, Alternatives: alts,
			Description: fmt.Sprintf("this %s's %s is %s, wrong with p=%.3f: records like it say %s (p=%.2f)",
				entityType(g, j.subject), j.relation, j.object, wrong, alts[0].Value, alts[0].Probability),
		})
	}
	slices.SortStableFunc(a.Findings, func(x, y validation.Finding) int { return cmp.Compare(y.Confidence, x.Confidence) })
	if len(a.Findings) > p.cfg.MaxFindings {
		a.Findings = a.Findings[:p.cfg.MaxFindings]
	}
	return a, nil
}

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
