package embed

import (
	"context"
	"math"
)

// initEmbeddings draws every coordinate uniformly from ±6/√dim and scales
// every vector to unit length, as the TransE paper does.
func (t *Trainer) initEmbeddings() {
	bound := float32(6 / math.Sqrt(float64(t.cfg.Dim)))
	for _, matrix := range [...][]float32{t.model.entities, t.model.relations} {
		for i := range matrix {
			matrix[i] = (2*t.rng.float32() - 1) * bound
		}
		for start := 0; start < len(matrix); start += t.cfg.Dim {
			normalize(matrix[start:start+t.cfg.Dim], false)
		}
	}
}

// constrain applies the entity constraint to one entity vector.
func (t *Trainer) constrain(v []float32) {
	switch t.cfg.EntityConstraint {
	case UnitSphere:
		normalize(v, false)
	case UnitBall:
		normalize(v, true)
	}
}

// headProbabilities returns per relation the probability that a negative
// corrupts the head.
func headProbabilities(s Sampler, relations int, train []Triple) []float32 {
	p := make([]float32, relations)
	for r := range p {
		p[r] = 0.5
	}
	if s != Bernoulli {
		return p
	}
	type pair struct{ rel, ent int32 }
	count := make([]int, relations)
	heads, tails := make(map[pair]bool), make(map[pair]bool)
	for _, tr := range train {
		count[tr.Relation]++
		heads[pair{tr.Relation, tr.Head}] = true
		tails[pair{tr.Relation, tr.Tail}] = true
	}
	distinctHeads, distinctTails := make([]int, relations), make([]int, relations)
	for k := range heads {
		distinctHeads[k.rel]++
	}
	for k := range tails {
		distinctTails[k.rel]++
	}
	for r := range p {
		if count[r] == 0 {
			continue
		}
		tailsPerHead := float64(count[r]) / float64(distinctHeads[r])
		headsPerTail := float64(count[r]) / float64(distinctTails[r])
		p[r] = float32(tailsPerHead / (tailsPerHead + headsPerTail))
	}
	return p
}

// runEpoch makes one pass over the training triples in a fresh random order
// and returns the mean loss per triple.
func (t *Trainer) runEpoch(ctx context.Context) (float64, error) {
	for i := range t.order {
		t.order[i] = int32(i)
	}
	for i := len(t.order) - 1; i > 0; i-- {
		j := t.rng.intn(i + 1)
		t.order[i], t.order[j] = t.order[j], t.order[i]
	}
	for _, s := range t.shards {
		s.rng = newRNG(t.rng.uint64())
	}
	losses := make([]float64, len(t.shards))
	var total float64
	for start := 0; start < len(t.order); start += t.cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		batch := t.batch[:min(t.cfg.BatchSize, len(t.order)-start)]
		for i := range batch {
			batch[i] = t.train[t.order[start+i]]
		}
		t.step++
		t.runBatch(batch, losses)
		for _, l := range losses {
			total += l
		}
	}
	return total / float64(len(t.train)), nil
}

// runBatch makes one optimizer step on the mean loss of batch. Each shard
// first computes the gradient of its part of the batch into its own buffers;
// then each worker sums and applies the gradients of the rows it owns. The
// two phases are separated by parallel's barrier, so no memory is written by
// one goroutine while another reads it.
func (t *Trainer) runBatch(batch []Triple, losses []float64) {
	workers := len(t.shards)
	scale := 1 / float32(len(batch))
	parallel(workers, func(w int) {
		part := batch[w*len(batch)/workers : (w+1)*len(batch)/workers]
		losses[w] = t.shards[w].run(t.model, &t.obj, part, scale)
	})
	rule := newStepRule(t.cfg.Optimizer, t.cfg.LearningRate, t.step)
	dim := t.cfg.Dim
	parallel(workers, func(w int) {
		applyOwned(t.entGrads, w, &t.applyRows[w], func(r int32) {
			prefetch(t.model.entities[int(r)*dim : (int(r)+1)*dim])
			t.entOpt.prefetch(int(r)*dim, dim)
		}, func(r int32, g []float32) {
			p := t.model.entities[int(r)*dim : (int(r)+1)*dim]
			rule.apply(&t.entOpt, int(r)*dim, p, g)
			t.constrain(p)
		})
		applyOwned(t.relGrads, w, &t.applyRows[w], func(int32) {}, func(r int32, g []float32) {
			rule.apply(&t.relOpt, int(r)*dim, t.model.relations[int(r)*dim:(int(r)+1)*dim], g)
		})
	})
}
