package learn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/store"
)

// GateConfig is the quality gate a model passes before it judges records.
// Zero values mean defaults.
type GateConfig struct {
	// MaxCleanFlagged is the largest share of clean held-out records the
	// model may flag at its operating threshold; default 0.01.
	MaxCleanFlagged float64
	// Records is how many held-out records to measure on, at most;
	// default 300.
	Records int
	// Seed chooses where faults are injected.
	Seed uint64
	// Now is the moment records are judged at; nil means time.Now.
	Now func() time.Time
}

func (c GateConfig) resolved() GateConfig {
	if c.MaxCleanFlagged == 0 {
		c.MaxCleanFlagged = 0.01
	}
	if c.Records == 0 {
		c.Records = 300
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Quality is what the quality gate measured of a model on records it did
// not train on, stored with the model.
type Quality struct {
	MeasuredAt time.Time `json:"measured_at"`
	// Records are the clean held-out records measured on, CleanFlagged
	// those the model flagged (a finding at MinConfidence or above).
	Records      int     `json:"records"`
	CleanFlagged int     `json:"clean_flagged"`
	CleanRate    float64 `json:"clean_flagged_rate"`
	// MaxCleanFlagged is the gate's limit on CleanRate.
	MaxCleanFlagged float64 `json:"max_clean_flagged"`
	MinConfidence   float64 `json:"min_confidence"`
	// Recall is, per fault kind, how many held-out records took the fault
	// and in how many the model flagged something it did not flag in the
	// clean record.
	Recall map[gen.Kind]KindRecall `json:"recall"`
	// Scale is the softmax scale fitted on half of the held-out records'
	// facts; ECE and Reliability measure the calibration of the model's
	// distribution over a relation's values on the other half (top-label:
	// the probability of the likeliest value against how often it is the
	// recorded one).
	Scale       float64 `json:"scale"`
	ECE         float64 `json:"ece"`
	Reliability []Bin   `json:"reliability"`
	// Facts were judged on the clean held-out records, Abstained left
	// unjudged for too little evidence.
	Facts     int `json:"facts"`
	Abstained int `json:"abstained"`
	// Passed says CleanRate is within MaxCleanFlagged.
	Passed bool `json:"passed"`
	// Note says why a model was not measured, or cannot be.
	Note string `json:"note,omitempty"`
}

// KindRecall is the recall of one fault kind.
type KindRecall struct {
	Injected int     `json:"injected"`
	Found    int     `json:"found"`
	Recall   float64 `json:"recall"`
}

// Bin is one row of a reliability table: facts whose top probability fell
// in [Lo, Hi), their mean probability and how often they were right.
type Bin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Facts      int     `json:"facts"`
	Confidence float64 `json:"confidence"`
	Accuracy   float64 `json:"accuracy"`
}

// QualityOf reads the gate's figures stored with a model, if it was
// measured.
func QualityOf(m store.Model) (Quality, bool) {
	var q Quality
	if len(m.Quality) == 0 || json.Unmarshal(m.Quality, &q) != nil || q.MeasuredAt.IsZero() {
		return Quality{}, false
	}
	return q, true
}

// errNoHeldOut says no stored record is unknown to the model.
var errNoHeldOut = errors.New("no stored record is unknown to the model: ingest records it did not train on to measure it")

// MeasureQuality runs the quality gate on a model: it reads up to
// cfg.Records stored records the model did not train on, fits the scale of
// its distribution on half of their facts and measures its calibration on
// the other half, counts the clean records it flags at its operating
// threshold, and, for every fault kind, the same records with the fault
// injected that it flags where it did not before.
func MeasureQuality(ctx context.Context, st *store.Store, m store.Model, pc PlausibilityConfig, cfg GateConfig) (Quality, error) {
	cfg = cfg.resolved()
	pc = pc.resolved()
	p, err := LoadPlausibility(ctx, st, m, pc)
	if err != nil {
		return Quality{}, err
	}
	docs, err := st.RecordsUnknownToModel(ctx, m.ID, cfg.Records)
	if err != nil {
		return Quality{}, fmt.Errorf("learn: %w", err)
	}
	now := cfg.Now()
	q := Quality{MeasuredAt: now.UTC(), MaxCleanFlagged: cfg.MaxCleanFlagged, MinConfidence: pc.MinConfidence, Recall: map[gen.Kind]KindRecall{}}
	if len(docs) == 0 {
		q.Note = errNoHeldOut.Error()
		return q, nil
	}
	builder := kg.Builder{Now: now}
	var fit, measure []judgement
	type heldOut struct {
		doc     []byte
		flagged map[string]bool
	}
	var records []heldOut
	for i, doc := range docs {
		if err := ctx.Err(); err != nil {
			return Quality{}, err
		}
		g, err := builder.Build(doc)
		if err != nil {
			continue // not a record the model can read; validation says why
		}
		js, abstained := p.sp.judgeRecord(recordFacts(g), p.scale, pc.MinEvidence, pc.MinRelationFacts)
		q.Facts += len(js)
		q.Abstained += abstained
		if i%2 == 0 {
			fit = append(fit, js...)
		} else {
			measure = append(measure, js...)
		}
		records = append(records, heldOut{doc: doc})
	}
	q.Scale = fitScale(fit, p.scale)
	p.scale = q.Scale
	q.ECE, q.Reliability = reliability(measure, q.Scale)

	flags := func(doc []byte) (map[string]bool, error) {
		g, err := builder.Build(doc)
		if err != nil {
			return nil, err
		}
		a, err := p.Assess(ctx, g)
		if err != nil {
			return nil, err
		}
		out := map[string]bool{}
		for _, f := range a.Findings {
			out[f.Pointer] = true
		}
		return out, nil
	}
	for i := range records {
		if records[i].flagged, err = flags(records[i].doc); err != nil {
			return Quality{}, err
		}
		q.Records++
		if len(records[i].flagged) > 0 {
			q.CleanFlagged++
		}
	}
	q.CleanRate = float64(q.CleanFlagged) / float64(q.Records)
	for _, kind := range gen.Kinds() {
		var r KindRecall
		for _, rec := range records {
			faulty, _, err := gen.Inject(rec.doc, kind, cfg.Seed, now)
			if errors.Is(err, gen.ErrNotApplicable) {
				continue
			}
			if err != nil {
				return Quality{}, err
			}
			found, err := flags(faulty)
			if err != nil {
				continue // a fault that makes the record unreadable; validation rejects it
			}
			r.Injected++
			for pointer := range found {
				if !rec.flagged[pointer] {
					r.Found++
					break
				}
			}
		}
		if r.Injected > 0 {
			r.Recall = float64(r.Found) / float64(r.Injected)
		}
		q.Recall[kind] = r
	}
	q.Passed = q.CleanRate <= q.MaxCleanFlagged
	return q, nil
}

// reliability returns the expected calibration error of the top-label
// probabilities of facts taken to be right, and its table of ten bins.
func reliability(js []judgement, scale float64) (float64, []Bin) {
	bins := make([]Bin, 10)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/10, float64(i+1)/10
	}
	for _, j := range js {
		prior := j.priorAt(scale)
		top, best := 0, prior[0]
		for i, p := range prior {
			if p > best {
				top, best = i, p
			}
		}
		b := &bins[min(int(best*10), 9)]
		b.Facts++
		b.Confidence += best
		if top == 0 {
			b.Accuracy++
		}
	}
	var ece float64
	out := bins[:0]
	for _, b := range bins {
		if b.Facts == 0 {
			continue
		}
		b.Confidence /= float64(b.Facts)
		b.Accuracy /= float64(b.Facts)
		ece += float64(b.Facts) / float64(len(js)) * math.Abs(b.Confidence-b.Accuracy)
		out = append(out, b)
	}
	return ece, out
}
