package embed

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// Valid holds the validation metrics if they were computed after this
	// epoch, and ValidTime how long that took.
	Valid     *Metrics
	ValidTime time.Duration
	// LearningRate is the rate of the epoch, after any decay.
	LearningRate float32
	// Batch and Batches count the batches of the epoch under way when the
	// report comes from within it (see Config.ProgressInterval); then
	// Epoch is the number of epochs finished and Loss the mean so far.
	Batch, Batches int
}

// Partial says whether the report comes from within an epoch.
func (p Progress) Partial() bool { return p.Batch < p.Batches }

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
	known       *Filter // the dataset's triples that validation must filter
	lrScale     float32 // the learning rate's decay so far
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
	applyRows   [][]int32     // each worker's rows to update, scratch
	order       []int32       // this epoch's permutation of train
	batch       []Triple      // the positives of the current batch
	// interrupted is set when an epoch was cut short, leaving the model
	// between two consistent states.
	interrupted bool
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
	valid := sampleTriples(ds.Valid, cfg.ValidSample, cfg.Seed)
	t := &Trainer{
		cfg:         cfg,
		train:       ds.Train,
		valid:       valid,
		lrScale:     1,
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
		entOpt:    newOptimizerState(cfg.Optimizer, nEnt, cfg.Dim),
		relOpt:    newOptimizerState(cfg.Optimizer, nRel, cfg.Dim),
		rng:       newRNG(cfg.Seed),
		order:     make([]int32, len(ds.Train)),
		batch:     make([]Triple, min(cfg.BatchSize, len(ds.Train))),
		applyRows: make([][]int32, cfg.Workers),
	}
	if t.validating() {
		// Only the triples that share a query with a validation triple
		// matter: on a large graph a filter of all of them is as large as
		// the training set twice over.
		t.known = filterFor(t.valid, ds.Train, ds.Valid, ds.Test)
	}
	perShard := (len(t.batch) + cfg.Workers - 1) / cfg.Workers
	for range cfg.Workers {
		s := newShard(nEnt, nRel, cfg.Dim, cfg.Negatives, perShard)
		t.shards = append(t.shards, s)
		t.entGrads = append(t.entGrads, s.ent)
		t.relGrads = append(t.relGrads, s.rel)
	}
	return t, nil
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
		loss, err := t.runEpoch(ctx, start, startEpoch)
		if err != nil {
			t.interrupted = true
			return nil, fmt.Errorf("embed: train: epoch %d: %w", t.epoch+1, err)
		}
		t.epoch++
		last := t.epoch == t.cfg.Epochs
		var valid *Metrics
		var validTime time.Duration
		lr := t.cfg.LearningRate * t.lrScale
		if t.validating() && (t.epoch%t.cfg.EvalEvery == 0 || last) {
			validStart := time.Now()
			m, err := t.model.Evaluate(ctx, t.valid, EvalConfig{Filter: t.known, Workers: t.cfg.Workers})
			if err != nil {
				t.interrupted = true
				return nil, fmt.Errorf("embed: train: validate after epoch %d: %w", t.epoch, err)
			}
			valid, validTime = &m, time.Since(validStart)
			t.observe(m)
		}
		if t.cfg.Progress != nil {
			elapsed := time.Since(start)
			perEpoch := elapsed / time.Duration(t.epoch-startEpoch)
			eta := perEpoch * time.Duration(t.cfg.Epochs-t.epoch)
			if t.early.stopped {
				eta = 0
			}
			t.cfg.Progress(Progress{Epoch: t.epoch, Epochs: t.cfg.Epochs, Loss: loss, Elapsed: elapsed, ETA: eta,
				Valid: valid, ValidTime: validTime, LearningRate: lr})
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

// sampleTriples returns at most n of triples (all if n is 0), a sample
// drawn with seed, in their original order.
func sampleTriples(triples []Triple, n int, seed uint64) []Triple {
	if n == 0 || n >= len(triples) {
		return triples
	}
	idx := make([]int32, len(triples))
	for i := range idx {
		idx[i] = int32(i)
	}
	rng := newRNG(seed ^ 0x5a3b1e)
	for i := range n { // a partial Fisher–Yates shuffle
		j := i + rng.intn(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx = idx[:n]
	slices.Sort(idx)
	out := make([]Triple, n)
	for i, k := range idx {
		out[i] = triples[k]
	}
	return out
}
