package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

type scoreRequest struct {
	Triples []namedTriple `json:"triples"`
}

// namedTriple is a fact relation(head, tail) by name.
type namedTriple struct {
	Head     string `json:"head"`
	Relation string `json:"relation"`
	Tail     string `json:"tail"`
}

func (a *api) learnRoutes() []route {
	const kgTag, modelTag, predictTag = "knowledge graph", "models", "predict"
	kParam := param{"k", "number of answers, 1 to 1000 (default 10)"}
	modelParam := param{"model", "model version (default: the active model)"}
	return []route{
		{Method: http.MethodPost, Path: Prefix + "/kg/build", Role: auth.RoleOperator, Tag: kgTag,
			Summary: "Rebuild the corpus knowledge graph from the current records, as a job", MaxBody: 4 << 10,
			Request: learn.BuildGraphRequest{MaxCategoryValues: 1000}, Response: queuedExample, Status: http.StatusAccepted, Handler: a.buildKG},
		{Method: http.MethodGet, Path: Prefix + "/kg/stats", Role: auth.RoleViewer, Tag: kgTag,
			Summary: "Entities, relations, triples, degree distribution and top relations of the knowledge graph",
			Query:   []param{{"top", "number of top relations, 1 to 1000 (default 10)"}}, Response: kgStatsExample, Handler: a.kgStats},
		{Method: http.MethodPost, Path: Prefix + "/models", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Train a TransE model on the corpus knowledge graph, as a job", MaxBody: 4 << 10,
			Request: learn.Hyperparameters{Dim: 64, Epochs: 50}, Response: queuedExample, Status: http.StatusAccepted, Handler: a.trainModel},
		{Method: http.MethodGet, Path: Prefix + "/models", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "List the model registry, newest first", Response: []store.Model{modelExample}, Handler: a.listModels},
		{Method: http.MethodGet, Path: Prefix + "/models/:version", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Get a model: state, hyperparameters, metrics, calibration, progress", Response: modelExample, Handler: a.getModel},
		{Method: http.MethodPost, Path: Prefix + "/models/:version/activate", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Make a ready model the active one, atomically, once its quality gate passed: measured on stored records it did not train on (clean, and with a fault of every kind), it may flag at most learn.gate_clean_flagged of the clean ones; else 409 quality_gate with the figures, unless {\"force\": true} (the figures go to the audit log)",
			MaxBody: 4 << 10, Timeout: 10 * time.Minute, Request: learn.ActivateRequest{Force: false}, Response: activationExample, Handler: a.activateModel},
		{Method: http.MethodDelete, Path: Prefix + "/models/active", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Deactivate the active model: validation is back to the schema, rules, checks and constraints alone, in every process within a second", Status: http.StatusNoContent, Handler: a.deactivateModel},
		{Method: http.MethodPost, Path: Prefix + "/models/:version/measure", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Run the quality gate on a model again, on the records stored now, and keep the figures (activates nothing)",
			Timeout: 10 * time.Minute, Response: qualityExample, Handler: a.measureModel},
		{Method: http.MethodDelete, Path: Prefix + "/models/:version", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Delete a model that is not active, with its embeddings", Status: http.StatusNoContent, Handler: a.deleteModel},
		{Method: http.MethodPost, Path: Prefix + "/rules/mine", Role: auth.RoleAdmin, Tag: kgTag,
			Summary: "Mine Horn rules from the current records, as a job; they are stored as a new, inactive version of the rule set \"mined\"",
			MaxBody: 4 << 10, Request: learn.MineRequest{MinSupport: 20, MinConfidence: 0.95}, Response: queuedExample,
			Status: http.StatusAccepted, Handler: a.mineRules},
		{Method: http.MethodPost, Path: Prefix + "/constraints/learn", Role: auth.RoleAdmin, Tag: kgTag,
			Summary: "Learn constraints (presence, cardinality, uniqueness, format, domain) from the current records, as a job; they are stored as a new, inactive version of the constraint set \"learned\"",
			MaxBody: 4 << 10, Request: learn.LearnConstraintsRequest{MinSupport: 50}, Response: queuedExample,
			Status: http.StatusAccepted, Handler: a.learnConstraints},
		{Method: http.MethodPost, Path: Prefix + "/predict/score", Role: auth.RoleOperator, Tag: predictTag,
			Summary: "Plausibility of triples as calibrated probabilities", MaxBody: 1 << 20, Query: []param{modelParam},
			Request:  scoreRequest{Triples: []namedTriple{{Head: "contract:7F3A", Relation: "status", Tail: "ContractActive"}}},
			Response: scoreExample, Handler: a.predictScore},
		{Method: http.MethodGet, Path: Prefix + "/predict/tail", Role: auth.RoleViewer, Tag: predictTag,
			Summary:  "Top-k tails of relation(head, ?) by vector search, known facts left out unless filter=false",
			Query:    []param{{"head", "head entity"}, {"relation", "relation"}, kParam, {"filter", "leave out known facts (default true)"}, modelParam},
			Response: completionExample, Handler: a.predictTail},
		{Method: http.MethodGet, Path: Prefix + "/predict/head", Role: auth.RoleViewer, Tag: predictTag,
			Summary:  "Top-k heads of relation(?, tail) by vector search, known facts left out unless filter=false",
			Query:    []param{{"relation", "relation"}, {"tail", "tail entity"}, kParam, {"filter", "leave out known facts (default true)"}, modelParam},
			Response: completionExample, Handler: a.predictHead},
		{Method: http.MethodGet, Path: Prefix + "/entities/:id/similar", Role: auth.RoleViewer, Tag: predictTag,
			Summary: "Nearest entities by cosine similarity of their embeddings", Query: []param{kParam, modelParam},
			Response: similarityExample, Handler: a.similarEntities},
	}
}

func (a *api) buildKG(c echo.Context) error {
	var req learn.BuildGraphRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	q, err := a.learn.BuildGraph(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return queued(c, q)
}

func (a *api) kgStats(c echo.Context) error {
	top, err := intParam(c, "top", 10, 1, 1000)
	if err != nil {
		return err
	}
	stats, err := a.learn.GraphStats(c.Request().Context(), top)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, stats)
}

func (a *api) trainModel(c echo.Context) error {
	var hp learn.Hyperparameters
	if err := decodeOptionalJSON(c, &hp); err != nil {
		return err
	}
	p, _ := principalOf(c)
	q, err := a.learn.Train(c.Request().Context(), hp, p.Actor())
	if err != nil {
		return err
	}
	return queued(c, q)
}

func (a *api) mineRules(c echo.Context) error {
	var req learn.MineRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	q, err := a.learn.MineRules(c.Request().Context(), req, p.Actor())
	if err != nil {
		return err
	}
	return queued(c, q)
}

func (a *api) listModels(c echo.Context) error {
	ms, err := a.learn.Models(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ms)
}

func (a *api) getModel(c echo.Context) error {
	m, err := a.learn.Model(c.Request().Context(), c.Param("version"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (a *api) activateModel(c echo.Context) error {
	req := learn.ActivateRequest{Version: c.Param("version")}
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	act, err := a.learn.Activate(c.Request().Context(), req)
	if err != nil {
		var p *problem.Error
		if errors.As(err, &p) && p.Code == "quality_gate" {
			c.Set(auditDetailKey, map[string]any{"version": req.Version, "quality": p.Details})
		}
		return err
	}
	detail := map[string]any{"version": act.Model.Version, "forced": act.Forced, "quality": gateSummary(act.Quality)}
	c.Set(auditDetailKey, detail)
	return c.JSON(http.StatusOK, act)
}

// gateSummary is what the audit log keeps of a quality gate's figures.
func gateSummary(q learn.Quality) map[string]any {
	recall := map[string]float64{}
	for kind, r := range q.Recall {
		recall[string(kind)] = r.Recall
	}
	return map[string]any{"records": q.Records, "clean_flagged": q.CleanFlagged, "clean_flagged_rate": q.CleanRate,
		"max_clean_flagged": q.MaxCleanFlagged, "passed": q.Passed, "ece": q.ECE, "recall": recall, "note": q.Note}
}

func (a *api) deactivateModel(c echo.Context) error {
	m, was, err := a.learn.Deactivate(c.Request().Context())
	if err != nil {
		return err
	}
	if was {
		c.Set(auditDetailKey, map[string]any{"version": m.Version})
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *api) measureModel(c echo.Context) error {
	q, err := a.learn.Measure(c.Request().Context(), c.Param("version"))
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"version": c.Param("version"), "quality": gateSummary(q)})
	return c.JSON(http.StatusOK, q)
}

func (a *api) learnConstraints(c echo.Context) error {
	var req learn.LearnConstraintsRequest
	if err := decodeOptionalJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	q, err := a.learn.LearnConstraints(c.Request().Context(), req, p.Actor())
	if err != nil {
		return err
	}
	return queued(c, q)
}

func (a *api) deleteModel(c echo.Context) error {
	if err := a.learn.Delete(c.Request().Context(), c.Param("version")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *api) predictScore(c echo.Context) error {
	var req scoreRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	triples := make([]embed.NamedTriple, len(req.Triples))
	for i, t := range req.Triples {
		triples[i] = embed.NamedTriple{Head: t.Head, Relation: t.Relation, Tail: t.Tail}
	}
	res, err := a.learn.Score(c.Request().Context(), c.QueryParam("model"), triples)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (a *api) predictTail(c echo.Context) error { return a.complete(c, true) }
func (a *api) predictHead(c echo.Context) error { return a.complete(c, false) }

func (a *api) complete(c echo.Context, tail bool) error {
	anchor := c.QueryParam("head")
	if !tail {
		anchor = c.QueryParam("tail")
	}
	k, err := intParam(c, "k", 10, 1, 1000)
	if err != nil {
		return err
	}
	filter := true
	if raw := c.QueryParam("filter"); raw != "" {
		if filter, err = strconv.ParseBool(raw); err != nil {
			return problem.FieldError("filter", "must be true or false")
		}
	}
	res, err := a.learn.Complete(c.Request().Context(), learn.CompleteRequest{Model: c.QueryParam("model"), Anchor: anchor,
		Relation: c.QueryParam("relation"), Tail: tail, K: k, FilterKnown: filter})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (a *api) similarEntities(c echo.Context) error {
	k, err := intParam(c, "k", 10, 1, 1000)
	if err != nil {
		return err
	}
	res, err := a.learn.Similar(c.Request().Context(), c.QueryParam("model"), c.Param("id"), k)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
