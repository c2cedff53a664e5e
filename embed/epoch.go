package embed

import (
	"context"
	"math"
	"slices"
	"time"
)

// initEmbeddings draws every coordinate uniformly from ±6/√dim and scales
// every vector to unit length, as the TransE paper does; with EpochSphere
// only the relations, as the PyTorch reference does.
func (t *Trainer) initEmbeddings() {
	bound := float32(6 / math.Sqrt(float64(t.cfg.Dim)))
	for _, matrix := range [...][]float32{t.model.entities, t.model.relations} {
		for i := range matrix {
			matrix[i] = (2*t.rng.float32() - 1) * bound
		}
	}
	for k, matrix := range [...][]float32{t.model.entities, t.model.relations} {
		if k == 0 && t.cfg.EntityConstraint == EpochSphere {
			continue
		}
		for start := 0; start < len(matrix); start += t.cfg.Dim {
			normalize(matrix[start:start+t.cfg.Dim], false)
		}
	}
}

// endEpoch applies EpochSphere's constraint to every entity.
func (t *Trainer) endEpoch() {
	if t.cfg.EntityConstraint != EpochSphere {
		return
	}
	dim, n := t.cfg.Dim, t.model.NumEntities()
	workers := len(t.shards)
	parallel(workers, func(w int) {
		for r := w * n / workers; r < (w+1)*n/workers; r++ {
			normalize(t.model.entities[r*dim:(r+1)*dim], false)
		}
	})
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
	// Distinct (relation, entity) pairs by sorting packed keys: maps of
	// pairs took hundreds of megabytes on a graph of millions of triples.
	count := make([]int, relations)
	keys := make([]uint64, len(train))
	distinct := func(entity func(Triple) int32) []int {
		for i, tr := range train {
			keys[i] = uint64(tr.Relation)<<32 | uint64(uint32(entity(tr)))
		}
		slices.Sort(keys)
		n := make([]int, relations)
		for i, k := range keys {
			if i == 0 || k != keys[i-1] {
				n[k>>32]++
			}
		}
		return n
	}
	for _, tr := range train {
		count[tr.Relation]++
	}
	distinctHeads := distinct(func(t Triple) int32 { return t.Head })
	distinctTails := distinct(func(t Triple) int32 { return t.Tail })
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
// and returns the mean loss per triple. start and startEpoch are when and
// at which epoch Train began, for reports within the epoch.
func (t *Trainer) runEpoch(ctx context.Context, start time.Time, startEpoch int) (float64, error) {
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
	batches := (len(t.order) + t.cfg.BatchSize - 1) / t.cfg.BatchSize
	lastReport := time.Now()
	for b := range batches {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		first := b * t.cfg.BatchSize
		batch := t.batch[:min(t.cfg.BatchSize, len(t.order)-first)]
		for i := range batch {
			batch[i] = t.train[t.order[first+i]]
		}
		t.step++
		t.runBatch(batch, losses)
		for _, l := range losses {
			total += l
		}
		if t.cfg.Progress != nil && t.cfg.ProgressInterval > 0 && b+1 < batches && time.Since(lastReport) >= t.cfg.ProgressInterval {
			lastReport = time.Now()
			t.reportPartial(start, startEpoch, b+1, batches, total/float64(first+len(batch)))
		}
	}
	t.endEpoch()
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
	rule := newStepRule(t.cfg.Optimizer, t.cfg.LearningRate*t.lrScale, t.step)
	dim := t.cfg.Dim
	if t.cfg.Optimizer == DenseAdam {
		zero := make([]float32, dim) // the gradient of rows no shard touched
		parallel(workers, func(w int) {
			applyAll(t.entGrads, w, zero, func(r int32, g []float32) {
				p := t.model.entities[int(r)*dim : (int(r)+1)*dim]
				rule.apply(&t.entOpt, int(r)*dim, p, g)
				t.constrain(p)
			})
			applyAll(t.relGrads, w, zero, func(r int32, g []float32) {
				rule.apply(&t.relOpt, int(r)*dim, t.model.relations[int(r)*dim:(int(r)+1)*dim], g)
			})
		})
		return
	}
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

// reportPartial reports batch of batches of the epoch under way.
func (t *Trainer) reportPartial(start time.Time, startEpoch, batch, batches int, loss float64) {
	elapsed := time.Since(start)
	done := float64(t.epoch-startEpoch) + float64(batch)/float64(batches)
	eta := time.Duration(float64(elapsed) / done * (float64(t.cfg.Epochs-t.epoch) - float64(batch)/float64(batches)))
	t.cfg.Progress(Progress{Epoch: t.epoch, Epochs: t.cfg.Epochs, Loss: loss, Elapsed: elapsed, ETA: eta,
		LearningRate: t.cfg.LearningRate * t.lrScale, Batch: batch, Batches: batches})
}
