package httpapi

import (
	"net/http"
	"strconv"

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
			Summary: "Make a ready model the active one, atomically", Response: modelExample, Handler: a.activateModel},
		{Method: http.MethodDelete, Path: Prefix + "/models/:version", Role: auth.RoleAdmin, Tag: modelTag,
			Summary: "Delete a model that is not active, with its embeddings", Status: http.StatusNoContent, Handler: a.deleteModel},
		{Method: http.MethodPost, Path: Prefix + "/rules/mine", Role: auth.RoleAdmin, Tag: kgTag,
			Summary: "Mine Horn rules from the current records, as a job; they are stored as a new, inactive version of the rule set \"mined\"",
			MaxBody: 4 << 10, Request: learn.MineRequest{MinSupport: 20, MinConfidence: 0.95}, Response: queuedExample,
			Status: http.StatusAccepted, Handler: a.mineRules},
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
	m, err := a.learn.Activate(c.Request().Context(), c.Param("version"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
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
