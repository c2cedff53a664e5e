package learn

import (
	"cmp"
	"math"
	"slices"
)

// One calibrated distribution per fact. For a categorical fact r(s, v) of a
// record, the model's belief about which value the context (the record's
// other facts, folded in) calls for is a softmax over the relation's values
// by distance, p(x) ∝ exp(−scale·d(x)), its scale fitted on held-out
// records. The recorded value is an observation of the true one: right with
// probability 1−ε (learn.fact_error_rate) and otherwise any of the K−1 other
// values alike. So, by Bayes,
//
//	P(true = v | recorded) ∝ p(v)·(1−ε)        for the recorded value
//	                       ∝ p(x)·ε/(K−1)      for every other value x
//
// and the probability that the fact is wrong, 1 − P(true = v), is the sum
// of the other values' probabilities: a report can never say "wrong with
// 0.999999" next to "should be X with 0.59" unless the other values make up
// the rest. A relation the context says nothing about (p flat) leaves the
// recorded value at 1−ε: no doubt.

// judgement is a fact the model could judge: its candidate values, the
// recorded one first, with the context's probabilities.
type judgement struct {
	fact
	values   []string
	distance []float64 // of each value from the folded-in head + relation
	prior    []float64 // p(x | context) at the scale judged with, summing to 1
}

// priorAt is the context's distribution at another scale.
func (j *judgement) priorAt(scale float64) []float64 {
	logits := make([]float64, len(j.distance))
	for i, d := range j.distance {
		logits[i] = -scale * d
	}
	return softmax(logits)
}

// judgeRecord scores the value facts of one record and returns those the
// model has evidence for, and how many it abstained on: a value never seen
// with its relation in training, a relation seen in fewer than
// minRelationFacts facts, or a subject with fewer than minEvidence other
// facts to fold in from.
func (sp *space) judgeRecord(facts []fact, scale float64, minEvidence, minRelationFacts int) ([]judgement, int) {
	values := 0
	for _, f := range facts {
		if f.value {
			values++
		}
	}
	var out []judgement
	for _, sf := range sp.scoreRecord(facts, maxTails) {
		r := sp.relations[sf.relation]
		if sf.unseen || sf.evidence < minEvidence || r.facts < minRelationFacts {
			continue
		}
		j := judgement{fact: sf.fact, values: make([]string, 0, 1+len(sf.alternatives)), distance: make([]float64, 0, 1+len(sf.alternatives))}
		j.values = append(j.values, sf.object)
		j.distance = append(j.distance, float64(sf.distance))
		for _, c := range sf.alternatives {
			j.values = append(j.values, c.value)
			j.distance = append(j.distance, float64(c.distance))
		}
		j.prior = j.priorAt(scale)
		out = append(out, j)
	}
	return out, values - len(out)
}

func softmax(logits []float64) []float64 {
	top := slices.Max(logits)
	out := make([]float64, len(logits))
	var sum float64
	for i, l := range logits {
		out[i] = math.Exp(l - top)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// posterior returns P(true = x | the recorded value) for every candidate,
// the recorded one first, given the prior probability eps that a fact is
// wrong.
func (j *judgement) posterior(eps float64) []float64 {
	k := len(j.prior)
	post := make([]float64, k)
	if k == 1 {
		post[0] = 1
		return post
	}
	var sum float64
	for i, p := range j.prior {
		if i == 0 {
			post[i] = p * (1 - eps)
		} else {
			post[i] = p * eps / float64(k-1)
		}
		sum += post[i]
	}
	for i := range post {
		post[i] /= sum
	}
	return post
}

// ranked returns the other values, likeliest first, with their posterior.
func (j *judgement) ranked(post []float64) []ranked {
	out := make([]ranked, 0, len(post)-1)
	for i := 1; i < len(post); i++ {
		out = append(out, ranked{j.values[i], post[i]})
	}
	slices.SortStableFunc(out, func(a, b ranked) int { return cmp.Or(cmp.Compare(b.p, a.p), cmp.Compare(a.value, b.value)) })
	return out
}

type ranked struct {
	value string
	p     float64
}

// fitScale finds the scale of the softmax that makes the recorded values
// of correct facts likeliest (maximum likelihood, golden-section search on
// a log scale): the calibration of the distribution.
func fitScale(js []judgement, start float64) float64 {
	if len(js) == 0 || start <= 0 {
		return start
	}
	nll := func(logScale float64) float64 {
		scale := math.Exp(logScale)
		var s float64
		for _, j := range js {
			s -= math.Log(max(j.priorAt(scale)[0], 1e-300))
		}
		return s
	}
	lo, hi := math.Log(start)-6, math.Log(start)+6
	const phi = 0.6180339887498949
	a, b := hi-phi*(hi-lo), lo+phi*(hi-lo)
	fa, fb := nll(a), nll(b)
	for range 60 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - phi*(hi-lo)
			fa = nll(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + phi*(hi-lo)
			fb = nll(b)
		}
	}
	return math.Exp((lo + hi) / 2)
}
