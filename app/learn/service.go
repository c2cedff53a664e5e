package learn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/mine"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

// Queued is a job an operation enqueued, or the one already queued or
// running for the same work.
type Queued struct {
	JobID int64 `json:"job_id"`
	// Duplicate says the same work was already queued or running; JobID is that job.
	Duplicate bool `json:"duplicate"`
}

// Queue is where the long learning work goes: the job queue.
type Queue interface {
	EnqueueGraphBuild(ctx context.Context, maxCategoryValues int) (Queued, error)
	EnqueueTraining(ctx context.Context, fingerprint string, hp Hyperparameters, createdBy string) (Queued, error)
	EnqueueMining(ctx context.Context, cfg mine.Config, createdBy string) (Queued, error)
	EnqueueConstraintLearning(ctx context.Context, cfg constraints.Config, createdBy string) (Queued, error)
}

// ServiceConfig are the dependencies of a Service.
type ServiceConfig struct {
	Store *store.Store
	Queue Queue
	// Activated is told when the active model changes, so validation in this
	// process uses the new one at once (others notice within a second).
	Activated func()
	// MaxCategoryValues is the default cut-off of graph builds.
	MaxCategoryValues int
	// EfSearch is pgvector's hnsw.ef_search for predictions; 0 means 100.
	EfSearch int
	// Plausibility is how the active model judges records; the quality gate
	// measures it the same way.
	Plausibility PlausibilityConfig
	// Gate is the quality gate activation measures a model with.
	Gate GateConfig
}

// Service builds the corpus graph, trains, activates and asks models: the
// operations behind the API, the command line and the console.
type Service struct {
	cfg ServiceConfig
}

// NewService makes the learning service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || cfg.Queue == nil {
		return nil, errors.New("learn: ServiceConfig needs Store and Queue")
	}
	if cfg.Activated == nil {
		cfg.Activated = func() {}
	}
	return &Service{cfg: cfg}, nil
}

// BuildGraphRequest asks for a rebuild of the corpus graph.
type BuildGraphRequest struct {
	// MaxCategoryValues is the learning view's cut-off; 0 means learn.max_category_values.
	MaxCategoryValues int `json:"max_category_values,omitempty"`
}

// BuildGraph queues a rebuild of the corpus knowledge graph from the current
// records.
func (s *Service) BuildGraph(ctx context.Context, req BuildGraphRequest) (Queued, error) {
	if req.MaxCategoryValues < 0 {
		return Queued{}, problem.FieldError("max_category_values", "must not be negative")
	}
	if req.MaxCategoryValues == 0 {
		req.MaxCategoryValues = s.cfg.MaxCategoryValues
	}
	return s.cfg.Queue.EnqueueGraphBuild(ctx, req.MaxCategoryValues)
}

// GraphStats describes the knowledge graph: entities, relations, triples,
// degrees and the top relations.
func (s *Service) GraphStats(ctx context.Context, top int) (store.KGStats, error) {
	return s.cfg.Store.KGStats(ctx, top)
}

// Train queues the training of a model on the latest corpus graph, on
// behalf of createdBy.
func (s *Service) Train(ctx context.Context, hp Hyperparameters, createdBy string) (Queued, error) {
	if _, err := hp.EmbedConfig(); err != nil {
		return Queued{}, problem.Invalidf("invalid_hyperparameters", "%v", err)
	}
	build, err := s.cfg.Store.LatestKGBuild(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return Queued{}, problem.Conflictf("no_knowledge_graph", "build the knowledge graph first (pff kg build, or POST /api/v1/kg/build)")
	}
	if err != nil {
		return Queued{}, err
	}
	return s.cfg.Queue.EnqueueTraining(ctx, build.Fingerprint, hp, createdBy)
}

// MineRequest are the miner's settings; zero values mean its defaults
// (support 20, confidence 0.95, at most 10,000 rules).
type MineRequest struct {
	MinSupport    int     `json:"min_support,omitempty"`
	MinConfidence float64 `json:"min_confidence,omitempty"`
	MaxRules      int     `json:"max_rules,omitempty"`
	Seed          uint64  `json:"seed,omitempty"`
}

// MineRules queues the mining of Horn rules from the current records; they
// are stored as a new, inactive version of the rule set "mined".
func (s *Service) MineRules(ctx context.Context, req MineRequest, createdBy string) (Queued, error) {
	cfg := mine.Config{MinSupport: req.MinSupport, MinConfidence: req.MinConfidence, MaxRules: req.MaxRules, Seed: req.Seed}
	if err := cfg.Check(); err != nil {
		return Queued{}, problem.Invalidf("invalid_settings", "%v", err)
	}
	return s.cfg.Queue.EnqueueMining(ctx, cfg, createdBy)
}

// LearnConstraintsRequest are the constraint learner's settings; zero
// values mean its defaults (support 50, a fifth of the records held out).
type LearnConstraintsRequest struct {
	MinSupport int     `json:"min_support,omitempty"`
	HoldOut    float64 `json:"held_out,omitempty"`
	Seed       uint64  `json:"seed,omitempty"`
}

// LearnConstraints queues the learning of constraints from the current
// records; they are stored as a new, inactive version of the constraint set
// "learned".
func (s *Service) LearnConstraints(ctx context.Context, req LearnConstraintsRequest, createdBy string) (Queued, error) {
	cfg := constraints.Config{MinSupport: req.MinSupport, HoldOut: req.HoldOut, Seed: req.Seed}
	if err := cfg.Check(); err != nil {
		return Queued{}, problem.Invalidf("invalid_settings", "%v", err)
	}
	return s.cfg.Queue.EnqueueConstraintLearning(ctx, cfg, createdBy)
}

// Models lists the model registry, newest first.
func (s *Service) Models(ctx context.Context) ([]store.Model, error) {
	ms, err := s.cfg.Store.ListModels(ctx)
	if ms == nil {
		ms = []store.Model{}
	}
	return ms, err
}

// Model returns a model by version.
func (s *Service) Model(ctx context.Context, version string) (store.Model, error) {
	m, err := s.cfg.Store.ModelByVersion(ctx, version)
	return m, modelProblem(version, err)
}

// ModelOrActive returns the model of that version, or the active one when
// version is empty.
func (s *Service) ModelOrActive(ctx context.Context, version string) (store.Model, error) {
	if version != "" {
		return s.Model(ctx, version)
	}
	m, err := s.cfg.Store.ActiveModel(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return m, problem.Conflictf("no_active_model", "no model is active: train and activate one, or name one")
	}
	return m, err
}

// ActivateRequest asks to make a model the active one.
type ActivateRequest struct {
	Version string `json:"-"`
	// Force activates a model that fails the quality gate; the figures go
	// to the audit log with the activation.
	Force bool `json:"force,omitempty"`
}

// Activation is an activated model and the quality gate's figures.
type Activation struct {
	Model   store.Model `json:"model"`
	Quality Quality     `json:"quality"`
	// Forced says the model failed the gate and was activated anyway.
	Forced bool `json:"forced"`
}

// Activate measures a ready model with the quality gate (once per model:
// the figures are stored with it) and makes it the active one, atomically,
// if it passed or when forced. A model that flags more than the gate's
// share of clean held-out records is refused with a conflict whose details
// are the figures.
func (s *Service) Activate(ctx context.Context, req ActivateRequest) (Activation, error) {
	m, err := s.Model(ctx, req.Version)
	if err != nil {
		return Activation{}, err
	}
	if m.State != store.ModelReady && m.State != store.ModelActive {
		return Activation{}, problem.Conflictf("model_state", "the model is %s, not ready", m.State)
	}
	q, err := s.quality(ctx, m)
	if err != nil {
		return Activation{}, err
	}
	forced := !q.Passed
	if forced && !req.Force {
		return Activation{}, &problem.Error{Kind: problem.Conflict, Code: "quality_gate", Details: q,
			Message: gateMessage(q) + "; activate with force to use it anyway (the figures go to the audit log)"}
	}
	if m, err = s.cfg.Store.ActivateModel(ctx, req.Version); err != nil {
		return Activation{}, modelProblem(req.Version, err)
	}
	s.cfg.Activated()
	return Activation{Model: m, Quality: q, Forced: forced}, nil
}

// gateMessage says what the gate found, in a sentence.
func gateMessage(q Quality) string {
	if q.Records == 0 {
		return "the quality gate could not measure the model: " + q.Note
	}
	return fmt.Sprintf("the model flags %d of %d clean held-out records (%.1f%%), more than the gate's %.1f%%",
		q.CleanFlagged, q.Records, 100*q.CleanRate, 100*q.MaxCleanFlagged)
}

// quality returns the gate's figures of a model, measuring it once. A
// model that cannot judge records (trained on a benchmark dataset) passes:
// validation does not use it.
func (s *Service) quality(ctx context.Context, m store.Model) (Quality, error) {
	if q, ok := QualityOf(m); ok && q.Records > 0 {
		return q, nil // measured once; a model without held-out records then is measured again
	}
	q, err := MeasureQuality(ctx, s.cfg.Store, m, s.cfg.Plausibility, s.cfg.Gate)
	if errors.Is(err, ErrCannotJudgeRecords) {
		return Quality{MeasuredAt: time.Now().UTC(), Passed: true, Note: "the model was not trained on records: validation does not use it"}, nil
	}
	if err != nil {
		return Quality{}, err
	}
	raw, err := json.Marshal(q)
	if err != nil {
		return Quality{}, fmt.Errorf("learn: quality of %s: %w", m.Version, err)
	}
	if err := s.cfg.Store.SetModelQuality(ctx, m.ID, raw); err != nil {
		return Quality{}, err
	}
	return q, nil
}

// Measure runs the quality gate on a model again, on the records now
// stored, and keeps the figures; it activates nothing.
func (s *Service) Measure(ctx context.Context, version string) (Quality, error) {
	m, err := s.Model(ctx, version)
	if err != nil {
		return Quality{}, err
	}
	m.Quality = nil
	return s.quality(ctx, m)
}

// Deactivate leaves no model active: validation goes back to the schema,
// rules, checks and constraints alone, in this process at once and in the
// others within a second. It returns the model that was active, and false
// when none was.
func (s *Service) Deactivate(ctx context.Context) (store.Model, bool, error) {
	m, err := s.cfg.Store.DeactivateModel(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return store.Model{}, false, nil
	}
	if err != nil {
		return store.Model{}, false, err
	}
	s.cfg.Activated()
	return m, true, nil
}

// Delete deletes a model that is not active, with its embeddings.
func (s *Service) Delete(ctx context.Context, version string) error {
	return modelProblem(version, s.cfg.Store.DeleteModel(ctx, version))
}

// modelProblem says what is wrong with a model operation in words a caller
// acts on.
func modelProblem(version string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return problem.NotFoundf("no model %q", version)
	case errors.Is(err, store.ErrModelActive):
		return problem.Conflictf("model_state", "the model is active: deactivate it (pff models deactivate, DELETE /api/v1/models/active) or activate another one first")
	case errors.Is(err, store.ErrModelNotReady):
		return problem.Conflictf("model_state", "%s", strings.TrimPrefix(err.Error(), "store: "))
	}
	return err
}

// predictor asks models with the configured search effort.
func (s *Service) predictor() Predictor {
	return Predictor{Store: s.cfg.Store, EfSearch: s.cfg.EfSearch}
}

// unknownProblem is a name the model does not know.
func unknownProblem(err error) error {
	if errors.Is(err, ErrUnknown) {
		return &problem.Error{Kind: problem.NotFound, Code: "unknown_to_model", Message: err.Error()}
	}
	return err
}

// ScoreResult is the plausibility of facts under one model.
type ScoreResult struct {
	Model   string         `json:"model"`
	Triples []ScoredTriple `json:"triples"`
	// Calibration is how well the probabilities fit held-out facts.
	Calibration *CalibrationFit `json:"calibration"`
}

// Score returns the plausibility of 1 to 1000 facts under a model (the
// active one when version is empty).
func (s *Service) Score(ctx context.Context, version string, triples []embed.NamedTriple) (ScoreResult, error) {
	var problems problem.Fields
	if len(triples) == 0 || len(triples) > 1000 {
		problems.Add("triples", "give 1 to 1000 triples")
	}
	for i, t := range triples {
		if t.Head == "" || t.Relation == "" || t.Tail == "" {
			problems.Add(fmt.Sprintf("triples[%d]", i), "head, relation and tail are required")
		}
	}
	if err := problems.Err(); err != nil {
		return ScoreResult{}, err
	}
	m, err := s.ModelOrActive(ctx, version)
	if err != nil {
		return ScoreResult{}, err
	}
	scored, err := s.predictor().Score(ctx, m, triples)
	if err != nil {
		return ScoreResult{}, unknownProblem(err)
	}
	cal, _ := DirectCalibration(m) // Score succeeded, so the model has one
	return ScoreResult{Model: m.Version, Triples: scored, Calibration: cal}, nil
}

// CompleteRequest asks for the likeliest tails of relation(anchor, ?), or
// heads of relation(?, anchor).
type CompleteRequest struct {
	// Model is a version; empty means the active model.
	Model    string
	Anchor   string
	Relation string
	// Tail asks for tails; false asks for heads.
	Tail bool
	// K is how many answers, 1 to 1000.
	K int
	// FilterKnown leaves out completions that are known facts.
	FilterKnown bool
}

// Completion is the answer to a CompleteRequest.
type Completion struct {
	Model      string      `json:"model"`
	Candidates []Candidate `json:"candidates"`
}

// Complete finds the k likeliest completions by vector search.
func (s *Service) Complete(ctx context.Context, req CompleteRequest) (Completion, error) {
	var problems problem.Fields
	if req.Anchor == "" {
		anchor := "head"
		if !req.Tail {
			anchor = "tail"
		}
		problems.Add(anchor, "is required")
	}
	if req.Relation == "" {
		problems.Add("relation", "is required")
	}
	if req.K < 1 || req.K > 1000 {
		problems.Add("k", "must be an integer from 1 to 1000")
	}
	if err := problems.Err(); err != nil {
		return Completion{}, err
	}
	m, err := s.ModelOrActive(ctx, req.Model)
	if err != nil {
		return Completion{}, err
	}
	cs, err := s.predictor().Complete(ctx, m, req.Anchor, req.Relation, req.Tail, req.K, req.FilterKnown)
	if err != nil {
		return Completion{}, unknownProblem(err)
	}
	return Completion{Model: m.Version, Candidates: cs}, nil
}

// Similarity is the answer to Similar.
type Similarity struct {
	Model    string           `json:"model"`
	Entities []store.Neighbor `json:"entities"`
}

// Similar finds the k entities nearest to one by the cosine of their
// embeddings.
func (s *Service) Similar(ctx context.Context, version, entity string, k int) (Similarity, error) {
	if k < 1 || k > 1000 {
		return Similarity{}, problem.FieldError("k", "must be an integer from 1 to 1000")
	}
	m, err := s.ModelOrActive(ctx, version)
	if err != nil {
		return Similarity{}, err
	}
	ns, err := s.predictor().Similar(ctx, m, entity, k)
	if err != nil {
		return Similarity{}, unknownProblem(err)
	}
	return Similarity{Model: m.Version, Entities: ns}, nil
}
