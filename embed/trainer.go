package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Progress reports on one finished epoch.
type Progress struct {
	Epoch  int     // epochs done, counting those before a resume
	Epochs int     // Config.Epochs
	Loss   float64 // mean loss per training triple in this epoch
	// Elapsed is the time since Train was called, ETA an estimate of the
	// time to Epochs at the pace since then.
	Elapsed, ETA time.Duration
	// Valid holds the validation metrics if they were computed after this epoch.
	Valid *Metrics
}

// Result is the outcome of training.
type Result struct {
	// Model is the model with the best validation MRR, or the last one if
	// none was evaluated.
	Model        *Model
	Epochs       int      // epochs done
	BestEpoch    int      // the epoch Model is from
	Valid        *Metrics // Model's validation metrics, if evaluated
	StoppedEarly bool     // training ran out of patience before Epochs
}

// Trainer trains a TransE model on a dataset. It is not safe for concurrent use.
type Trainer struct {
	cfg         Config // resolved
	train       []Triple
	valid       []Triple
	known       *Filter // all triples of the dataset, for filtered validation
	fingerprint uint64  // identifies the dataset in checkpoints
	model       *Model
	obj         objective
	entOpt      optimizerState
	relOpt      optimizerState
	rng         rng   // shuffles the triples and seeds the shards each epoch
	epoch       int   // epochs done
	step        int64 // optimizer steps done
	early       earlyStopping
	shards      []*shard
	entGrads    []*sparseGrad // the shards' entity gradients
	relGrads    []*sparseGrad // the shards' relation gradients
	order       []int32       // this epoch's permutation of train
	batch       []Triple      // the positives of the current batch
	// interrupted is set when an epoch was cut short, leaving the model
	// between two consistent states.
	interrupted bool
}

// earlyStopping tracks the best validation result.
type earlyStopping struct {
	evaluated bool
	best      Metrics
	bestEpoch int
	sinceBest int  // evaluations without improvement since the best
	stopped   bool // ran out of patience
	entities  []float32
	relations []float32
}

// NewTrainer prepares training on ds.Train, validating on ds.Valid, with
// freshly initialised embeddings.
func NewTrainer(ds *Dataset, cfg Config) (*Trainer, error) {
	t, err := newTrainer(ds, cfg)
	if err != nil {
		return nil, fmt.Errorf("embed: new trainer: %w", err)
	}
	t.initEmbeddings()
	return t, nil
}

func newTrainer(ds *Dataset, cfg Config) (*Trainer, error) {
	cfg, err := cfg.resolved()
	if err != nil {
		return nil, err
	}
	if len(ds.Train) == 0 {
		return nil, errors.New("no training triples")
	}
	nEnt, nRel := ds.Entities.Len(), ds.Relations.Len()
	for _, split := range [...][]Triple{ds.Train, ds.Valid, ds.Test} {
		for _, tr := range split {
			if tr.Head < 0 || int(tr.Head) >= nEnt || tr.Tail < 0 || int(tr.Tail) >= nEnt || tr.Relation < 0 || int(tr.Relation) >= nRel {
				return nil, fmt.Errorf("triple %v is out of the vocabularies' range", tr)
			}
		}
	}
	t := &Trainer{
		cfg:         cfg,
		train:       ds.Train,
		valid:       ds.Valid,
		known:       NewFilter(ds.Train, ds.Valid, ds.Test),
		fingerprint: fingerprint(nEnt, nRel, ds.Train),
		model: &Model{
			dim:       cfg.Dim,
			norm:      cfg.Norm,
			entities:  make([]float32, nEnt*cfg.Dim),
			relations: make([]float32, nRel*cfg.Dim),
		},
		obj: objective{
			loss:        cfg.Loss,
			norm:        cfg.Norm,
			margin:      cfg.Margin,
			adversarial: cfg.AdversarialTemperature,
			headProb:    headProbabilities(cfg.Sampler, nRel, ds.Train),
		},
		entOpt: newOptimizerState(cfg.Optimizer, nEnt*cfg.Dim),
		relOpt: newOptimizerState(cfg.Optimizer, nRel*cfg.Dim),
		rng:    newRNG(cfg.Seed),
		order:  make([]int32, len(ds.Train)),
		batch:  make([]Triple, min(cfg.BatchSize, len(ds.Train))),
	}
	perShard := (len(t.batch) + cfg.Workers - 1) / cfg.Workers
	for range cfg.Workers {
		s := newShard(nEnt, nRel, cfg.Dim, cfg.Negatives, perShard, cfg.Workers)
		t.shards = append(t.shards, s)
		t.entGrads = append(t.entGrads, s.ent)
		t.relGrads = append(t.relGrads, s.rel)
	}
	return t, nil
}

// initEmbeddings draws every coordinate uniformly from ±6/√dim (as the
// TransE paper), scales relation vectors to unit length and applies the
// entity constraint.
func (t *Trainer) initEmbeddings() {
	bound := float32(6 / math.Sqrt(float64(t.cfg.Dim)))
	for _, matrix := range [...][]float32{t.model.entities, t.model.relations} {
		for i := range matrix {
			matrix[i] = (2*t.rng.float32() - 1) * bound
		}
	}
	for start := 0; start < len(t.model.relations); start += t.cfg.Dim {
		normalize(t.model.relations[start:start+t.cfg.Dim], false)
	}
	for start := 0; start < len(t.model.entities); start += t.cfg.Dim {
		t.constrain(t.model.entities[start : start+t.cfg.Dim])
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

// Train runs epochs until Config.Epochs are done, validation stops improving
// or ctx is done. A cancelled Train returns ctx's error, and the Trainer,
// cut off mid-epoch, cannot go on: resume from a checkpoint instead.
func (t *Trainer) Train(ctx context.Context) (*Result, error) {
	if t.interrupted {
		return nil, errors.New("embed: train: the trainer was interrupted mid-epoch; resume from a checkpoint")
	}
	start, startEpoch := time.Now(), t.epoch
	for t.epoch < t.cfg.Epochs && !t.early.stopped {
		loss, err := t.runEpoch(ctx)
		if err != nil {
			t.interrupted = true
			return nil, fmt.Errorf("embed: train: epoch %d: %w", t.epoch+1, err)
		}
		t.epoch++
		last := t.epoch == t.cfg.Epochs
		var valid *Metrics
		if t.validating() && (t.epoch%t.cfg.EvalEvery == 0 || last) {
			m, err := t.model.Evaluate(ctx, t.valid, EvalConfig{Filter: t.known, Workers: t.cfg.Workers})
			if err != nil {
				t.interrupted = true
				return nil, fmt.Errorf("embed: train: validate after epoch %d: %w", t.epoch, err)
			}
			valid = &m
			t.observe(m)
		}
		if t.cfg.Progress != nil {
			elapsed := time.Since(start)
			perEpoch := elapsed / time.Duration(t.epoch-startEpoch)
			eta := perEpoch * time.Duration(t.cfg.Epochs-t.epoch)
			if t.early.stopped {
				eta = 0
			}
			t.cfg.Progress(Progress{Epoch: t.epoch, Epochs: t.cfg.Epochs, Loss: loss, Elapsed: elapsed, ETA: eta, Valid: valid})
		}
		if t.cfg.Checkpoint != nil && (t.epoch%t.cfg.CheckpointEvery == 0 || last || t.early.stopped) {
			if err := t.cfg.Checkpoint(t.epoch, checkpointWriter{t}); err != nil {
				return nil, fmt.Errorf("embed: train: checkpoint after epoch %d: %w", t.epoch, err)
			}
		}
	}
	return t.result(), nil
}

func (t *Trainer) validating() bool { return len(t.valid) > 0 && t.cfg.EvalEvery > 0 }

// observe records a validation result, keeping a copy of the best model.
func (t *Trainer) observe(m Metrics) {
	e := &t.early
	if !e.evaluated || m.MRR > e.best.MRR {
		e.evaluated, e.best, e.bestEpoch, e.sinceBest = true, m, t.epoch, 0
		e.entities = append(e.entities[:0], t.model.entities...)
		e.relations = append(e.relations[:0], t.model.relations...)
		return
	}
	e.sinceBest++
	if t.cfg.Patience > 0 && e.sinceBest >= t.cfg.Patience {
		e.stopped = true
	}
}

func (t *Trainer) result() *Result {
	r := &Result{Model: t.model, Epochs: t.epoch, BestEpoch: t.epoch, StoppedEarly: t.early.stopped}
	if e := t.early; e.evaluated {
		best := e.best
		r.Model = &Model{dim: t.cfg.Dim, norm: t.cfg.Norm, entities: e.entities, relations: e.relations}
		r.BestEpoch, r.Valid = e.bestEpoch, &best
	}
	return r
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
		applyOwned(t.entGrads, w, func(r int32, g []float32) {
			p := t.model.entities[int(r)*dim : (int(r)+1)*dim]
			rule.apply(&t.entOpt, int(r)*dim, p, g)
			t.constrain(p)
		})
		applyOwned(t.relGrads, w, func(r int32, g []float32) {
			rule.apply(&t.relOpt, int(r)*dim, t.model.relations[int(r)*dim:(int(r)+1)*dim], g)
		})
	})
}

// checkpointWriter writes the trainer's state as it is between two epochs.
type checkpointWriter struct{ t *Trainer }

func (c checkpointWriter) WriteTo(w io.Writer) (int64, error) { return c.t.writeCheckpoint(w) }
