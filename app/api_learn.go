package app

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// queuedJob is a job a request enqueued, or the one already queued or
// running for the same work.
type queuedJob struct {
	JobID int64 `json:"job_id"`
	// Duplicate says the same work was already queued or running; JobID is that job.
	Duplicate bool `json:"duplicate"`
}

type kgBuildRequest struct {
	// MaxCategoryValues is the learning view's cut-off; 0 means learn.max_category_values.
	MaxCategoryValues int `json:"max_category_values,omitempty"`
}

// mineRequest are the miner's settings; zero values mean its defaults
// (support 20, confidence 0.95, at most 10,000 rules).
type mineRequest struct {
	MinSupport    int     `json:"min_support,omitempty"`
	MinConfidence float64 `json:"min_confidence,omitempty"`
	MaxRules      int     `json:"max_rules,omitempty"`
	Seed          uint64  `json:"seed,omitempty"`
}

type scoreRequest struct {
	Triples []namedTriple `json:"triples"`
}

// namedTriple is a fact relation(head, tail) by name.
type namedTriple struct {
	Head     string `json:"head"`
	Relation string `json:"relation"`
	Tail     string `json:"tail"`
}

type scoreResponse struct {
	Model   string               `json:"model"`
	Triples []learn.ScoredTriple `json:"triples"`
	// Calibration is how well the probabilities fit held-out facts.
	Calibration *learn.CalibrationFit `json:"calibration"`
}

type completionResponse struct {
	Model      string            `json:"model"`
	Candidates []learn.Candidate `json:"candidates"`
}

type similarResponse struct {
	Model    string           `json:"model"`
	Entities []store.Neighbor `json:"entities"`
}

func (a *api) learnRoutes() []route {
	const kgTag, modelTag, predictTag = "knowledge graph", "models", "predict"
	kParam := param{"k", "number of answers, 1 to 1000 (default 10)"}
	modelParam := param{"model", "model version (default: the active model)"}
	return []route{
		{Method: http.MethodPost, Path: apiPrefix + "/kg/build", Role: auth.RoleOperator, Tag: kgTag,
			Summary: "Rebuild the corpus knowledge graph from the current records, as a job", MaxBody: 4 << 10,
			Request: kgBuildRequest{}, Response: queuedJob{}, Status: http.StatusAccepted, Handler: a.buildKG},
		{Method: http.MethodGet, Path: apiPrefix + "/kg/stats", Role: auth.RoleViewer, Tag: kgTag,
			Summary: "Entities, relations, triples, degree distribution and top relations of the knowledge graph",
			Query:   []param{{"top", "number of top relations (default 10)"}}, Response: store.KGStats{}, Handler: a.kgStats},
		{Method: http.MethodPost, Path: apiPrefix + "/models", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Train a TransE model on the corpus knowledge graph, as a job", MaxBody: 4 << 10,
			Request: learn.Hyperparameters{}, Response: queuedJob{}, Status: http.StatusAccepted, Handler: a.trainModel},
		{Method: http.MethodGet, Path: apiPrefix + "/models", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "List the model registry, newest first", Response: []store.Model{}, Handler: a.listModels},
		{Method: http.MethodGet, Path: apiPrefix + "/models/:version", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Get a model: state, hyperparameters, metrics, calibration, progress", Response: store.Model{}, Handler: a.getModel},
		{Method: http.MethodPost, Path: apiPrefix + "/models/:version/activate", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Make a ready model the active one, atomically", Response: store.Model{}, Handler: a.activateModel},
		{Method: http.MethodDelete, Path: apiPrefix + "/models/:version", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Delete a model that is not active, with its embeddings", Status: http.StatusNoContent, Handler: a.deleteModel},
		{Method: http.MethodPost, Path: apiPrefix + "/rules/mine", Role: auth.RoleAdmin, Tag: kgTag,
			Summary: "Mine Horn rules from the current records, as a job; they are stored as a new, inactive version of the rule set \"mined\"",
			MaxBody: 4 << 10, Request: mineRequest{}, Response: queuedJob{}, Status: http.StatusAccepted, Handler: a.mineRules},
		{Method: http.MethodPost, Path: apiPrefix + "/predict/score", Role: auth.RoleOperator, Tag: predictTag,
			Summary: "Plausibility of triples as calibrated probabilities", MaxBody: 1 << 20, Query: []param{modelParam},
			Request: scoreRequest{}, Response: scoreResponse{}, Handler: a.predictScore},
		{Method: http.MethodGet, Path: apiPrefix + "/predict/tail", Role: auth.RoleViewer, Tag: predictTag,
			Summary:  "Top-k tails of relation(head, ?) by vector search, known facts left out unless filter=false",
			Query:    []param{{"head", "head entity"}, {"relation", "relation"}, kParam, {"filter", "leave out known facts (default true)"}, modelParam},
			Response: completionResponse{}, Handler: a.predictTail},
		{Method: http.MethodGet, Path: apiPrefix + "/predict/head", Role: auth.RoleViewer, Tag: predictTag,
			Summary:  "Top-k heads of relation(?, tail) by vector search, known facts left out unless filter=false",
			Query:    []param{{"relation", "relation"}, {"tail", "tail entity"}, kParam, {"filter", "leave out known facts (default true)"}, modelParam},
			Response: completionResponse{}, Handler: a.predictHead},
		{Method: http.MethodGet, Path: apiPrefix + "/entities/:id/similar", Role: auth.RoleViewer, Tag: predictTag,
			Summary: "Nearest entities by cosine similarity of their embeddings", Query: []param{kParam, modelParam},
			Response: similarResponse{}, Handler: a.similarEntities},
	}
}

func (a *api) buildKG(c echo.Context) error {
	var req kgBuildRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	if req.MaxCategoryValues < 0 {
		var problems fieldErrors
		problems.add("max_category_values", "must not be negative")
		return problems.err()
	}
	if req.MaxCategoryValues == 0 {
		req.MaxCategoryValues = a.cfg.Learn.MaxCategoryValues
	}
	res, err := a.jobs.River().Insert(c.Request().Context(), jobs.BuildKGArgs{MaxCategoryValues: req.MaxCategoryValues}, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, queuedJob{JobID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate})
}

func (a *api) kgStats(c echo.Context) error {
	top, err := intParam(c, "top", 10, 1, 1000)
	if err != nil {
		return err
	}
	stats, err := a.store.KGStats(c.Request().Context(), top)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, stats)
}

func (a *api) trainModel(c echo.Context) error {
	var hp learn.Hyperparameters
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &hp); err != nil {
			return err
		}
	}
	if _, err := hp.EmbedConfig(); err != nil {
		return badRequest("invalid_hyperparameters", "%v", err)
	}
	ctx := c.Request().Context()
	build, err := a.store.LatestKGBuild(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{Status: http.StatusConflict, Code: "no_knowledge_graph", Message: "build the knowledge graph first (POST /api/v1/kg/build)"}
	}
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	res, err := a.jobs.River().Insert(ctx, jobs.TrainModelArgs{Fingerprint: build.Fingerprint, Hyperparameters: hp, CreatedBy: p.actor()}, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, queuedJob{JobID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate})
}

func (a *api) mineRules(c echo.Context) error {
	var req mineRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	p, _ := principalOf(c)
	args := jobs.MineRulesArgs{MinSupport: req.MinSupport, MinConfidence: req.MinConfidence, MaxRules: req.MaxRules,
		Seed: req.Seed, CreatedBy: p.actor()}
	if err := args.Config().Check(); err != nil {
		return badRequest("invalid_settings", "%v", err)
	}
	res, err := a.jobs.River().Insert(c.Request().Context(), args, nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, queuedJob{JobID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate})
}

func (a *api) listModels(c echo.Context) error {
	ms, err := a.store.ListModels(c.Request().Context())
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []store.Model{}
	}
	return c.JSON(http.StatusOK, ms)
}

func (a *api) getModel(c echo.Context) error {
	m, err := a.store.ModelByVersion(c.Request().Context(), c.Param("version"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (a *api) activateModel(c echo.Context) error {
	m, err := a.store.ActivateModel(c.Request().Context(), c.Param("version"))
	if err != nil {
		return err
	}
	a.knowledge.Invalidate()
	return c.JSON(http.StatusOK, m)
}

func (a *api) deleteModel(c echo.Context) error {
	if err := a.store.DeleteModel(c.Request().Context(), c.Param("version")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// model returns the model named by ?model=, or the active one.
func (a *api) model(c echo.Context) (store.Model, error) {
	ctx := c.Request().Context()
	if v := c.QueryParam("model"); v != "" {
		return a.store.ModelByVersion(ctx, v)
	}
	m, err := a.store.ActiveModel(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return m, &apiError{Status: http.StatusConflict, Code: "no_active_model", Message: "no model is active: train and activate one, or name one with ?model="}
	}
	return m, err
}

func (a *api) predictor() learn.Predictor {
	return learn.Predictor{Store: a.store, EfSearch: a.cfg.Learn.EfSearch}
}

func (a *api) predictScore(c echo.Context) error {
	var req scoreRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var problems fieldErrors
	if len(req.Triples) == 0 || len(req.Triples) > 1000 {
		problems.add("triples", "give 1 to 1000 triples")
	}
	triples := make([]embed.NamedTriple, len(req.Triples))
	for i, t := range req.Triples {
		if t.Head == "" || t.Relation == "" || t.Tail == "" {
			problems.add("triples["+strconv.Itoa(i)+"]", "head, relation and tail are required")
		}
		triples[i] = embed.NamedTriple{Head: t.Head, Relation: t.Relation, Tail: t.Tail}
	}
	if err := problems.err(); err != nil {
		return err
	}
	m, err := a.model(c)
	if err != nil {
		return err
	}
	scored, err := a.predictor().Score(c.Request().Context(), m, triples)
	if err != nil {
		return err
	}
	cal, _ := learn.DirectCalibration(m) // Score succeeded, so the model has one
	return c.JSON(http.StatusOK, scoreResponse{Model: m.Version, Triples: scored, Calibration: cal})
}

func (a *api) predictTail(c echo.Context) error { return a.complete(c, true) }
func (a *api) predictHead(c echo.Context) error { return a.complete(c, false) }

func (a *api) complete(c echo.Context, tail bool) error {
	anchorName := "head"
	if !tail {
		anchorName = "tail"
	}
	anchor, relation := c.QueryParam(anchorName), c.QueryParam("relation")
	var problems fieldErrors
	if anchor == "" {
		problems.add(anchorName, "is required")
	}
	if relation == "" {
		problems.add("relation", "is required")
	}
	k, err := intParam(c, "k", 10, 1, 1000)
	if err != nil {
		return err
	}
	filter := true
	if raw := c.QueryParam("filter"); raw != "" {
		if filter, err = strconv.ParseBool(raw); err != nil {
			problems.add("filter", "must be true or false")
		}
	}
	if err := problems.err(); err != nil {
		return err
	}
	m, err := a.model(c)
	if err != nil {
		return err
	}
	cs, err := a.predictor().Complete(c.Request().Context(), m, anchor, relation, tail, k, filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, completionResponse{Model: m.Version, Candidates: cs})
}

func (a *api) similarEntities(c echo.Context) error {
	k, err := intParam(c, "k", 10, 1, 1000)
	if err != nil {
		return err
	}
	m, err := a.model(c)
	if err != nil {
		return err
	}
	ns, err := a.predictor().Similar(c.Request().Context(), m, c.Param("id"), k)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, similarResponse{Model: m.Version, Entities: ns})
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		var problems fieldErrors
		problems.add(name, "must be an integer from %d to %d", lo, hi)
		return 0, problems.err()
	}
	return n, nil
}
