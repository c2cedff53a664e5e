package embed

import "math"

// objective is the loss of one positive triple and its negatives (see Loss),
// with negative weights w_i = 1/k or the self-adversarial
// softmax(−α·d(negative_i)), held constant in the gradient.
type objective struct {
	loss        Loss
	norm        Norm
	margin      float32
	adversarial float32   // α; 0 for uniform weights
	headProb    []float32 // per relation, the probability of corrupting the head
}

// negative is a corruption of a positive triple.
type negative struct {
	entity int32
	head   bool // replaces the head; otherwise the tail
	dist   float32
	weight float32
}

// shard computes the loss gradient of one part of a batch into its own
// sparse buffers, so that shards run in parallel without sharing writes.
type shard struct {
	rng      rng
	ent, rel *sparseGrad
	// negs are the current positive's negatives, next those of the one after
	// it, drawn a positive ahead so that their rows can be prefetched.
	negs, next []negative
	// negligible is the coefficient below which a negative's gradient is
	// left out: 1e-3/k, so that the left-out coefficients of a positive's k
	// negatives add up to less than 1e-3 (of at most 1). The logistic loss
	// never saturates, but with self-adversarial weights most negatives are
	// far beyond the margin and weigh almost nothing; skipping their rows
	// saves most of the memory traffic of an update.
	negligible float32
	// tailAnchor = h + r and headAnchor = t − r: a tail corruption t' is at
	// distance ‖tailAnchor − t'‖, a head corruption h' at ‖headAnchor − h'‖.
	tailAnchor, headAnchor []float32
	// Their gradients, summed over the negatives before they are spread over
	// h, r and t.
	tailGrad, headGrad []float32
}

func newShard(ents, rels, dim, negatives, maxPositives int) *shard {
	return &shard{
		ent:        newSparseGrad(ents, dim, maxPositives*(negatives+2)),
		rel:        newSparseGrad(rels, dim, maxPositives),
		negs:       make([]negative, negatives),
		next:       make([]negative, negatives),
		negligible: 1e-3 / float32(negatives),
		tailAnchor: make([]float32, dim),
		headAnchor: make([]float32, dim),
		tailGrad:   make([]float32, dim),
		headGrad:   make([]float32, dim),
	}
}

// run accumulates the gradient of scale × the loss of the positives and
// returns their summed loss. The model is only read.
func (s *shard) run(m *Model, obj *objective, positives []Triple, scale float32) float64 {
	s.ent.reset()
	s.rel.reset()
	var loss float64
	if len(positives) > 0 {
		s.sample(m, obj, positives[0], s.negs)
	}
	for i, pos := range positives {
		// The negatives are drawn in the same order as one at a time, so
		// the results do not change; only the memory is asked for earlier.
		if i+1 < len(positives) {
			s.sample(m, obj, positives[i+1], s.next)
		}
		s.score(m, obj, pos)
		loss += float64(s.backward(m, obj, pos, scale))
		s.negs, s.next = s.next, s.negs
	}
	return loss
}

// sample draws the negatives of pos into negs and prefetches the rows they
// and pos will read.
func (s *shard) sample(m *Model, obj *objective, pos Triple, negs []negative) {
	headProb := obj.headProb[pos.Relation]
	for i := range negs {
		negs[i].entity = int32(s.rng.intn(m.NumEntities()))
		negs[i].head = s.rng.float32() < headProb
	}
	prefetch(m.Entity(pos.Head))
	prefetch(m.Entity(pos.Tail))
	for i := range negs {
		prefetch(m.Entity(negs[i].entity))
	}
}

// score computes the anchors of pos and the distances and weights of its
// negatives.
func (s *shard) score(m *Model, obj *objective, pos Triple) {
	dist := m.distance()
	add(s.tailAnchor, m.Entity(pos.Head), m.Relation(pos.Relation))
	sub(s.headAnchor, m.Entity(pos.Tail), m.Relation(pos.Relation))
	nearest := float32(math.Inf(1))
	for i := range s.negs {
		n := &s.negs[i]
		n.dist = dist(s.anchor(n.head), m.Entity(n.entity))
		nearest = min(nearest, n.dist)
	}
	if obj.adversarial == 0 {
		for i := range s.negs {
			s.negs[i].weight = 1 / float32(len(s.negs))
		}
		return
	}
	// softmax(−α·d), shifted by the nearest negative so that exp cannot overflow.
	var sum float32
	for i := range s.negs {
		w := float32(math.Exp(float64(-obj.adversarial * (s.negs[i].dist - nearest))))
		s.negs[i].weight = w
		sum += w
	}
	for i := range s.negs {
		s.negs[i].weight /= sum
	}
}

func (s *shard) anchor(head bool) []float32 {
	if head {
		return s.headAnchor
	}
	return s.tailAnchor
}

// backward adds scale × the gradient of the loss of pos and its sampled
// negatives to the shard's buffers and returns the loss.
func (s *shard) backward(m *Model, obj *objective, pos Triple, scale float32) float32 {
	posDist := m.distance()(s.tailAnchor, m.Entity(pos.Tail))
	clear(s.tailGrad)
	clear(s.headGrad)
	var loss, posCoef float32 // posCoef = ∂loss/∂d(positive)
	if obj.loss == Logistic {
		loss = softplus(posDist - obj.margin)
		posCoef = sigmoid32(posDist - obj.margin)
	}
	headsActive := false
	for _, n := range s.negs {
		var negCoef float32 // −∂loss/∂d(negative)
		switch obj.loss {
		case MarginRanking:
			violation := obj.margin + posDist - n.dist
			if violation <= 0 {
				continue
			}
			loss += n.weight * violation
			negCoef = n.weight
			posCoef += n.weight
		case Logistic:
			loss += n.weight * softplus(obj.margin-n.dist)
			negCoef = n.weight * sigmoid32(obj.margin-n.dist)
			if negCoef < s.negligible {
				continue
			}
		}
		e, grad := m.Entity(n.entity), s.ent.row(n.entity)
		if n.head {
			headsActive = true
			distGrad(obj.norm, -scale*negCoef, n.dist, s.headAnchor, e, s.headGrad, grad)
		} else {
			distGrad(obj.norm, -scale*negCoef, n.dist, s.tailAnchor, e, s.tailGrad, grad)
		}
	}
	if posCoef == 0 {
		return loss
	}
	distGrad(obj.norm, scale*posCoef, posDist, s.tailAnchor, m.Entity(pos.Tail), s.tailGrad, s.ent.row(pos.Tail))
	// tailAnchor = h + r, headAnchor = t − r.
	gh := s.ent.row(pos.Head)
	add(gh, gh, s.tailGrad)
	gr := s.rel.row(pos.Relation)
	add(gr, gr, s.tailGrad)
	if headsActive {
		sub(gr, gr, s.headGrad)
		gt := s.ent.row(pos.Tail)
		add(gt, gt, s.headGrad)
	}
	return loss
}

// softplus returns log(1 + eˣ) = −log σ(−x) without overflow.
func softplus(x float32) float32 {
	if x > 0 {
		return x + float32(math.Log1p(math.Exp(float64(-x))))
	}
	return float32(math.Log1p(math.Exp(float64(x))))
}

func sigmoid32(x float32) float32 { return float32(sigmoid(float64(x))) }

// distGrad accumulates the gradient of w·‖x − e‖ into gx and ge.
func distGrad(norm Norm, w, dist float32, x, e, gx, ge []float32) {
	if norm == L1 {
		signStep(w, x, e, gx, ge)
	} else {
		diffStep(w, dist, x, e, gx, ge)
	}
}
