package embed

import (
	"errors"
	"fmt"
	"math"
)

// Calibration turns a TransE distance into the probability that the fact is
// true, P(true | d) = 1 / (1 + exp(A·d + B)) (Platt scaling).
type Calibration struct {
	A, B    float64
	Quality CalibrationQuality
}

// CalibrationQuality measures how well calibrated probabilities match
// outcomes; lower is better for all three scores.
type CalibrationQuality struct {
	Brier   float64 // mean squared error of the probabilities
	LogLoss float64 // mean negative log-likelihood, in nats
	// ECE is the expected calibration error over 10 equal-width probability
	// bins: the mean |predicted − observed| weighted by bin size.
	ECE       float64
	Positives int
	Negatives int
}

// Probability returns P(true | distance).
func (c Calibration) Probability(distance float32) float64 {
	return sigmoid(-(c.A*float64(distance) + c.B))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// CalibrationConfig configures Calibrate. Zero fields take their defaults.
type CalibrationConfig struct {
	// Known triples are never used as corruptions; typically the filter of
	// the whole dataset. Nil accepts any corruption.
	Known *Filter
	// Negatives is the number of corruptions per positive; default 1.
	Negatives int
	Seed      uint64
}

// Calibrate fits a Calibration on held-out true triples (not trained on)
// against as many corruptions, each replacing the head or the tail with a
// uniformly drawn entity. Quality is measured out of sample by two-fold
// cross-fitting: each half is scored by the calibration fitted on the other.
func (m *Model) Calibrate(positives []Triple, cfg CalibrationConfig) (Calibration, error) {
	if cfg.Negatives == 0 {
		cfg.Negatives = 1
	}
	if len(positives) < 2 || cfg.Negatives < 1 || m.NumEntities() < 2 {
		return Calibration{}, fmt.Errorf("embed: calibrate: need two positives, two entities and a positive number of negatives")
	}
	rng := newRNG(cfg.Seed)
	var (
		dists  []float32
		labels []bool
	)
	for _, p := range positives {
		d, err := m.Distance(p)
		if err != nil {
			return Calibration{}, fmt.Errorf("embed: calibrate: %w", err)
		}
		dists, labels = append(dists, d), append(labels, true)
		for range cfg.Negatives {
			n, err := corrupt(p, m.NumEntities(), cfg.Known, &rng)
			if err != nil {
				return Calibration{}, fmt.Errorf("embed: calibrate: %w", err)
			}
			d, _ := m.Distance(n)
			dists, labels = append(dists, d), append(labels, false)
		}
	}

	// Two folds: alternate positives with their corruptions.
	var folds [2]struct {
		dists  []float32
		labels []bool
	}
	group := 1 + cfg.Negatives
	for i := range dists {
		f := &folds[(i/group)%2]
		f.dists, f.labels = append(f.dists, dists[i]), append(f.labels, labels[i])
	}
	probs := make([]float64, 0, len(dists))
	var outLabels []bool
	for k := range folds {
		c, err := fitPlatt(folds[1-k].dists, folds[1-k].labels)
		if err != nil {
			return Calibration{}, fmt.Errorf("embed: calibrate: %w", err)
		}
		for i, d := range folds[k].dists {
			probs = append(probs, c.Probability(d))
			outLabels = append(outLabels, folds[k].labels[i])
		}
	}
	c, err := fitPlatt(dists, labels)
	if err != nil {
		return Calibration{}, fmt.Errorf("embed: calibrate: %w", err)
	}
	c.Quality = qualityOf(probs, outLabels)
	return c, nil
}

// corrupt replaces the head or the tail of t with a random entity so that
// the result is not known, giving up after many tries.
func corrupt(t Triple, entities int, known *Filter, rng *rng) (Triple, error) {
	for range 1000 {
		n := t
		if e := int32(rng.intn(entities)); rng.uint64()&1 == 0 {
			n.Head = e
		} else {
			n.Tail = e
		}
		if n != t && (known == nil || !known.Contains(n)) {
			return n, nil
		}
	}
	return Triple{}, fmt.Errorf("found no unknown corruption of %v", t)
}

// FitPlatt fits a Calibration to distances labelled true or false; its
// Quality is measured on the same data.
func FitPlatt(distances []float32, labels []bool) (Calibration, error) {
	c, err := fitPlatt(distances, labels)
	if err != nil {
		return Calibration{}, fmt.Errorf("embed: fit Platt: %w", err)
	}
	probs := make([]float64, len(distances))
	for i, d := range distances {
		probs[i] = c.Probability(d)
	}
	c.Quality = qualityOf(probs, labels)
	return c, nil
}

// fitPlatt minimises the log loss by Newton's method with backtracking, on
// Platt's smoothed targets, following Lin, Lin and Weng (2007), "A note on
// Platt's probabilistic outputs for support vector machines".
func fitPlatt(distances []float32, labels []bool) (Calibration, error) {
	if len(distances) != len(labels) {
		return Calibration{}, errors.New("distances and labels differ in length")
	}
	var nPos, nNeg float64
	for _, y := range labels {
		if y {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		return Calibration{}, errors.New("need both true and false examples")
	}
	hiTarget, loTarget := (nPos+1)/(nPos+2), 1/(nNeg+2)
	target := func(i int) float64 {
		if labels[i] {
			return hiTarget
		}
		return loTarget
	}
	// objective is Σ −t·log p − (1−t)·log(1−p) with p = σ(−(A·d + B)),
	// written stably in terms of f = A·d + B.
	objective := func(a, b float64) float64 {
		var sum float64
		for i, d := range distances {
			f := a*float64(d) + b
			t := target(i)
			if f >= 0 {
				sum += t*f + math.Log1p(math.Exp(-f))
			} else {
				sum += (t-1)*f + math.Log1p(math.Exp(f))
			}
		}
		return sum
	}
	const (
		minStep = 1e-10
		sigma   = 1e-12 // keeps the Hessian positive definite
		eps     = 1e-5
	)
	a, b := 0.0, math.Log((nNeg+1)/(nPos+1))
	fval := objective(a, b)
	for range 100 {
		var h11, h22, h21, g1, g2 float64 = sigma, sigma, 0, 0, 0
		for i, d := range distances {
			x := float64(d)
			f := a*x + b
			var p, q float64 // p = σ(−f), q = 1 − p
			if f >= 0 {
				p = math.Exp(-f) / (1 + math.Exp(-f))
				q = 1 / (1 + math.Exp(-f))
			} else {
				p = 1 / (1 + math.Exp(f))
				q = math.Exp(f) / (1 + math.Exp(f))
			}
			pq := p * q
			h11 += x * x * pq
			h22 += pq
			h21 += x * pq
			g := target(i) - p
			g1 += x * g
			g2 += g
		}
		if math.Abs(g1) < eps && math.Abs(g2) < eps {
			break
		}
		det := h11*h22 - h21*h21
		da := -(h22*g1 - h21*g2) / det
		db := -(-h21*g1 + h11*g2) / det
		gd := g1*da + g2*db
		step := 1.0
		for step >= minStep {
			na, nb := a+step*da, b+step*db
			if nf := objective(na, nb); nf < fval+1e-4*step*gd {
				a, b, fval = na, nb, nf
				break
			}
			step /= 2
		}
		if step < minStep {
			break // no further progress along the Newton direction
		}
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return Calibration{}, errors.New("fit diverged")
	}
	return Calibration{A: a, B: b}, nil
}

func qualityOf(probs []float64, labels []bool) CalibrationQuality {
	var q CalibrationQuality
	const bins = 10
	var binCount [bins]int
	var binProb, binTrue [bins]float64
	for i, p := range probs {
		y := 0.0
		if labels[i] {
			y = 1
			q.Positives++
		} else {
			q.Negatives++
		}
		q.Brier += (p - y) * (p - y)
		clamped := min(max(p, 1e-15), 1-1e-15)
		q.LogLoss -= y*math.Log(clamped) + (1-y)*math.Log(1-clamped)
		bin := min(int(p*bins), bins-1)
		binCount[bin]++
		binProb[bin] += p
		binTrue[bin] += y
	}
	n := float64(len(probs))
	for k := range bins {
		if binCount[k] > 0 {
			q.ECE += math.Abs(binProb[k]-binTrue[k]) / n
		}
	}
	q.Brier /= n
	q.LogLoss /= n
	return q
}
