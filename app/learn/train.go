package learn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// TrainRequest says what to train.
type TrainRequest struct {
	Hyperparameters Hyperparameters
	// Dataset is a benchmark dataset to train on; nil trains on the corpus's
	// learning view (see BuildKG).
	Dataset     *embed.Dataset
	DatasetName string
	// JobID ties the model to the job training it: a retried job finds its
	// model and resumes from the last checkpoint.
	JobID     int64
	CreatedBy string
	// Progress, if set, also receives every epoch's progress, and within
	// an epoch a report every second.
	Progress func(embed.Progress)
	// Phase, if set, receives each phase (load, train, evaluate,
	// calibrate, save) as it ends.
	Phase func(PhaseStat)
	// Now is the clock for model versions; nil means time.Now.
	Now func() time.Time
}

// Model metrics, as stored with the model.
type (
	// TrainMetrics describe a trained model.
	TrainMetrics struct {
		Test         *LinkMetrics `json:"test,omitempty"`
		Valid        *LinkMetrics `json:"valid,omitempty"`
		Epochs       int          `json:"epochs"`
		BestEpoch    int          `json:"best_epoch"`
		StoppedEarly bool         `json:"stopped_early"`
		TrainSeconds float64      `json:"train_seconds"`
		EvalSeconds  float64      `json:"eval_seconds"`
		Triples      [3]int       `json:"triples"` // train, valid, test
		Entities     int          `json:"entities"`
		Relations    int          `json:"relations"`
		// CalibrationRecords is how many records were held out of training
		// to calibrate record plausibility.
		CalibrationRecords int `json:"calibration_records,omitempty"`
		// ResumedFromEpoch is the checkpoint's epoch when training resumed
		// after an interruption.
		ResumedFromEpoch int `json:"resumed_from_epoch,omitempty"`
		// ValidSample is how many validation triples each validation
		// ranked (a seeded sample), LRDecay the learning rate's factor
		// after a validation without improvement.
		ValidSample int     `json:"valid_sample"`
		LRDecay     float32 `json:"lr_decay,omitempty"`
		// Optimizer is the one used, which on a large graph is adagrad-row
		// unless one was asked for; ReturnLast says that the model is the
		// last one rather than the best validated (no copy is kept of a
		// large one).
		Optimizer  string `json:"optimizer"`
		ReturnLast bool   `json:"return_last,omitempty"`
		// History has one entry per epoch trained (since the resume, if
		// resumed), for plots.
		History []EpochStat `json:"history"`
		// Phases are the load, train, evaluate and calibrate phases; the
		// save's is in the final progress.
		Phases []PhaseStat `json:"phases"`
	}
	// LinkMetrics are filtered link-prediction metrics.
	LinkMetrics struct {
		MRR     float64 `json:"mrr"`
		MR      float64 `json:"mr"`
		Hits1   float64 `json:"hits1"`
		Hits3   float64 `json:"hits3"`
		Hits10  float64 `json:"hits10"`
		Queries int     `json:"queries"`
	}
)

func linkMetrics(m *embed.Metrics) *LinkMetrics {
	if m == nil {
		return nil
	}
	return &LinkMetrics{MRR: m.MRR, MR: m.MR, Hits1: m.Hits1, Hits3: m.Hits3, Hits10: m.Hits10, Queries: m.Queries}
}

// TrainProgress is a training's progress, as the jobs API shows it.
type TrainProgress struct {
	Model      string       `json:"model"`
	Epoch      int          `json:"epoch"`
	Epochs     int          `json:"epochs"`
	Loss       float64      `json:"loss"`
	Valid      *LinkMetrics `json:"valid,omitempty"`
	ElapsedSec float64      `json:"elapsed_seconds"`
	ETASec     float64      `json:"eta_seconds"`
	Phase      string       `json:"phase"` // training, evaluating, storing, done
	// Batch and Batches place a report within an epoch.
	Batch   int `json:"batch,omitempty"`
	Batches int `json:"batches,omitempty"`
	// Phases are the phases done so far, when done all of them.
	Phases []PhaseStat `json:"phases,omitempty"`
}

// calibrationHoldOut is the share of a corpus's records, at most
// maxCalibrationRecords, held out of training to calibrate plausibility.
const (
	calibrationHoldOut    = 0.05
	maxCalibrationRecords = 500
	maxTails              = 200
)

// Train trains a model, registers it and stores its embeddings, resuming
// from the model's last checkpoint when the same job ran before. The model
// ends ready, not active. On error the model stays in state training so
// that a retry resumes it; the caller marks it failed when it gives up.
func Train(ctx context.Context, st *store.Store, req TrainRequest) (store.Model, error) {
	cfg, err := req.Hyperparameters.EmbedConfig()
	if err != nil {
		return store.Model{}, fmt.Errorf("learn: train: %w", err)
	}
	clock := newPhaseClock(ctx, req.Phase)
	defer clock.close()
	clock.begin("load")
	data, err := prepare(ctx, st, req, cfg.Seed)
	if err != nil {
		return store.Model{}, err
	}
	m, err := registerModel(ctx, st, req, cfg, data)
	if err != nil || m.State == store.ModelReady || m.State == store.ModelActive {
		return m, err
	}
	return m, trainRegistered(ctx, st, req, cfg, data, m, clock)
}

// trainingData is a dataset and what plausibility needs beyond it.
type trainingData struct {
	ds          *embed.Dataset
	source      string
	fingerprint string
	values      map[string]bool
	heldOut     [][]fact
	ranges      map[string]relationRange
}

func prepare(ctx context.Context, st *store.Store, req TrainRequest, seed uint64) (*trainingData, error) {
	if req.Dataset != nil {
		return &trainingData{ds: req.Dataset, source: "dataset:" + req.DatasetName, fingerprint: DatasetFingerprint(req.Dataset)}, nil
	}
	return loadCorpusForTraining(ctx, st, seed)
}

func registerModel(ctx context.Context, st *store.Store, req TrainRequest, cfg embed.Config, d *trainingData) (store.Model, error) {
	if req.JobID != 0 {
		m, err := st.ModelByJob(ctx, req.JobID)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return m, fmt.Errorf("learn: %w", err)
		}
	}
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	hp, err := json.Marshal(req.Hyperparameters)
	if err != nil {
		return store.Model{}, fmt.Errorf("learn: hyperparameters: %w", err)
	}
	nm := store.NewModel{
		Version: modelVersion(now(), req.JobID), Source: d.source, Fingerprint: d.fingerprint,
		Dim: resolvedDim(cfg), Norm: cfg.Norm.String(), Hyperparameters: hp, CreatedBy: req.CreatedBy,
	}
	if req.JobID != 0 {
		nm.JobID = &req.JobID
	}
	m, err := st.CreateModel(ctx, nm)
	if err != nil {
		return m, fmt.Errorf("learn: %w", err)
	}
	return m, nil
}

// modelVersion names a model by when it was created, and by its job when it
// has one, which keeps two models created in the same second apart.
func modelVersion(t time.Time, jobID int64) string {
	v := "transe-" + t.UTC().Format("20060102-150405")
	if jobID != 0 {
		return fmt.Sprintf("%s-j%d", v, jobID)
	}
	return fmt.Sprintf("%s-%04x", v, rand.Uint32()&0xffff) // #nosec G404 -- a name, not a secret
}

func resolvedDim(cfg embed.Config) int {
	if cfg.Dim == 0 {
		return 128
	}
	return cfg.Dim
}

// Defaults that learn sets where the user did not (embed's own keep
// benchmark runs as published).
const (
	// defaultValidSample validation triples are ranked at each validation:
	// ranking all 141,618 of a 1,000-record corpus took minutes per pass.
	// 2,000 (4,000 queries) pin MRR to about ±0.005.
	defaultValidSample = 2000
	// defaultLRDecay halves the learning rate when validation stalls.
	defaultLRDecay = 0.5
	// bestCopyLimit is the size of the entity embeddings above which
	// training keeps no copy of the best model and returns the last one
	// (early stopping and the learning rate's decay see that it is near
	// the best): on the corpus of 14,550 records the copy is 200 MiB at
	// dimension 128, a fifth of the worker's memory.
	bestCopyLimit = 64 << 20
	// progressEvery is how often training reports within an epoch, and
	// progressStoreEvery how often such a report is stored.
	progressEvery      = time.Second
	progressStoreEvery = 5 * time.Second
	// trainGCPercent is the garbage collector's target while a model trains.
	trainGCPercent = 50
)

func trainRegistered(ctx context.Context, st *store.Store, req TrainRequest, cfg embed.Config, d *trainingData, m store.Model, clock *phaseClock) error {
	report := func(p TrainProgress) {
		p.Model = m.Version
		if raw, err := json.Marshal(p); err == nil {
			// Progress is advisory: a failed write must not stop training.
			_ = st.SetModelProgress(ctx, m.ID, req.JobID, raw)
		}
	}
	if cfg.ValidSample == 0 {
		cfg.ValidSample = defaultValidSample
	}
	if cfg.LRDecay == 0 {
		cfg.LRDecay = defaultLRDecay
	}
	if dim := resolvedDim(cfg); d.ds.Entities.Len()*dim*4 > bestCopyLimit {
		cfg.ReturnLast = true
		if req.Hyperparameters.Optimizer == "" {
			// Adagrad's state is as large as the model; one value per row
			// is what PyTorch-BigGraph and DGL-KE train large graphs with.
			cfg.Optimizer = embed.RowAdagrad
		}
	}
	var history []EpochStat
	var stored time.Time
	cfg.ProgressInterval = progressEvery
	cfg.Progress = func(p embed.Progress) {
		if !p.Partial() {
			history = append(history, epochStat(p))
		}
		if !p.Partial() || time.Since(stored) >= progressStoreEvery {
			stored = time.Now()
			report(TrainProgress{Epoch: p.Epoch, Epochs: p.Epochs, Loss: p.Loss, Valid: linkMetrics(p.Valid),
				ElapsedSec: p.Elapsed.Seconds(), ETASec: p.ETA.Seconds(), Phase: "training", Batch: p.Batch, Batches: p.Batches})
		}
		if req.Progress != nil {
			req.Progress(p)
		}
	}
	// Only a job is retried, from its model's checkpoint: a run in the
	// foreground writes none, which on a large graph also saves sending
	// hundreds of megabytes to PostgreSQL every ten epochs.
	if req.JobID != 0 {
		cfg.Checkpoint = func(epoch int, state io.WriterTo) error {
			return st.SaveCheckpoint(ctx, m.ID, epoch, state)
		}
	}
	// Training holds hundreds of megabytes that live to its end and makes
	// little garbage: collecting at half the live heap instead of all of it
	// costs little and keeps the peak near what training needs.
	defer debug.SetGCPercent(debug.SetGCPercent(trainGCPercent))
	clock.begin("train")
	tr, resumed, err := newOrResumedTrainer(ctx, st, m, d.ds, cfg)
	if err != nil {
		return err
	}
	started := time.Now()
	res, err := tr.Train(ctx)
	if err != nil {
		return fmt.Errorf("learn: train %s: %w", m.Version, err)
	}
	metrics := TrainMetrics{
		Valid: linkMetrics(res.Valid), Epochs: res.Epochs, BestEpoch: res.BestEpoch, StoppedEarly: res.StoppedEarly,
		TrainSeconds: time.Since(started).Seconds(), Triples: [3]int{len(d.ds.Train), len(d.ds.Valid), len(d.ds.Test)},
		Entities: d.ds.Entities.Len(), Relations: d.ds.Relations.Len(), CalibrationRecords: len(d.heldOut),
		ResumedFromEpoch: resumed, ValidSample: min(cfg.ValidSample, len(d.ds.Valid)), LRDecay: cfg.LRDecay, History: history,
		Optimizer: cfg.Optimizer.String(), ReturnLast: cfg.ReturnLast,
	}
	report(TrainProgress{Epoch: res.Epochs, Epochs: res.Epochs, Valid: metrics.Valid, Phase: "evaluating"})
	clock.begin("evaluate") // the trainer and its optimizer state are garbage from here on
	cal, err := evaluate(ctx, res.Model, d, &metrics, cfg)
	if err != nil {
		return fmt.Errorf("learn: evaluate %s: %w", m.Version, err)
	}
	// evaluate ranks test, then calibrates; it times the first.
	clock.split("evaluate", time.Duration(metrics.EvalSeconds*float64(time.Second)), "calibrate")
	metrics.Phases = clock.list()
	report(TrainProgress{Epoch: res.Epochs, Epochs: res.Epochs, Valid: metrics.Valid, Phase: "storing", Phases: metrics.Phases})
	clock.begin("save")
	tm, err := trainedModel(res.Model, d, metrics, cal)
	if err != nil {
		return fmt.Errorf("learn: %s: %w", m.Version, err)
	}
	if _, err := st.SaveTrainedModel(ctx, m, tm); err != nil {
		return fmt.Errorf("learn: %w", err)
	}
	report(TrainProgress{Epoch: res.Epochs, Epochs: res.Epochs, Valid: metrics.Valid, Phase: "done", Phases: clock.close()})
	return nil
}

// newOrResumedTrainer continues from the model's checkpoint, if it has
// one, and says from which epoch.
func newOrResumedTrainer(ctx context.Context, st *store.Store, m store.Model, ds *embed.Dataset, cfg embed.Config) (*embed.Trainer, int, error) {
	var (
		tr    *embed.Trainer
		epoch int
	)
	err := st.ReadCheckpoint(ctx, m.ID, func(e int, state io.Reader) (err error) {
		epoch = e
		tr, err = embed.ResumeTrainer(ds, cfg, state)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		tr, err := embed.NewTrainer(ds, cfg)
		if err != nil {
			return nil, 0, fmt.Errorf("learn: %w", err)
		}
		return tr, 0, nil
	case err != nil:
		return nil, 0, fmt.Errorf("learn: resume %s: %w", m.Version, err)
	}
	return tr, epoch, nil
}
