package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/store"
)

// Upload bounds: a rule set of 100,000 AnyBURL rules is about 8 MB of TSV;
// inferring a schema keeps a summary, not the records, so its bound is the
// time a request may take.
const (
	maxKnowledgeBody = 16 << 20
	maxInferBody     = 64 << 20
)

// knowledgeKind is one kind as the API serves it.
type knowledgeKind struct {
	kind    knowledge.Kind
	segment string // the URL path segment: /api/v1/<segment>
	noun    string
}

func knowledgeKinds() []knowledgeKind {
	return []knowledgeKind{
		{knowledge.KindSchema, "schemas", "JSON Schema"},
		{knowledge.KindRules, "rules", "Horn rule set (original JSON or AnyBURL TSV)"},
		{knowledge.KindChecks, "checks", "check set (YAML expressions)"},
		{knowledge.KindConstraints, "constraints", "constraint set (JSON; learned by POST /api/v1/constraints/learn or written)"},
		{knowledge.KindFlows, "flows", "fix-flow file (YAML)"},
		{knowledge.KindOperations, "operations", "BSS operation catalogue overlay (YAML; active at the next start)"},
	}
}

func (a *api) knowledgeRoutes() []route {
	const tag = "knowledge"
	rs := []route{
		{Method: http.MethodGet, Path: Prefix + "/knowledge", Role: auth.RoleViewer, Tag: tag,
			Summary:  "The schema, rules, checks and constraints validation uses now, each set's mode (add to the embedded defaults, or replace them); null means none, or the embedded defaults alone",
			Response: activeKnowledgeExample, Handler: a.activeKnowledge},
		{Method: http.MethodPost, Path: Prefix + "/schemas/infer", Role: auth.RoleOperator, Tag: tag,
			Summary: "Infer a JSON Schema from known-good records: the body is NDJSON or a JSON array of records (64 MiB at most)",
			Query:   []param{{"enum_max", "most distinct values a string may take and still become an enum (default 16; negative: no enums)"}},
			MaxBody: maxInferBody, Request: []map[string]any{recordExample}, Response: inferredSchemaExample, Handler: a.inferSchema},
	}
	for _, k := range knowledgeKinds() {
		base, h := Prefix+"/"+k.segment, knowledgeHandlers{api: a, knowledgeKind: k}
		example := knowledgeExample(k.kind)
		rs = append(rs,
			route{Method: http.MethodGet, Path: base, Role: auth.RoleViewer, Tag: tag, Summary: "List the versions of every " + k.noun + ", newest first, without content",
				Query: []param{{"name", "only versions of this name"}, cursorParam, limitParam}, Response: page[store.Knowledge]{Items: []store.Knowledge{withoutContent(example)}}, Handler: h.list},
			route{Method: http.MethodPost, Path: base, Role: auth.RoleAdmin, Tag: tag,
				Summary: "Upload a " + k.noun + " as the next version of its name, inactive (200 with the latest version when its content is the same); lint problems come back as details [{line, column, message}]" + k.modeNote(),
				Request: createKnowledgeExample(k.kind), Response: knowledge.Created{Knowledge: withoutContent(example)}, Status: http.StatusCreated, AlsoStatus: http.StatusOK, MaxBody: maxKnowledgeBody, Handler: h.create},
			route{Method: http.MethodGet, Path: base + "/:id", Role: auth.RoleViewer, Tag: tag, Summary: "Get a version of a " + k.noun + " with its content",
				Response: example, Handler: h.get},
			route{Method: http.MethodPost, Path: base + "/:id/activate", Role: auth.RoleAdmin, Tag: tag,
				Summary: "Make this version the " + k.noun + " validation uses, in place of the active one", Response: withoutContent(example), Handler: h.activate},
			route{Method: http.MethodDelete, Path: base + "/active", Role: auth.RoleAdmin, Tag: tag,
				Summary: "Deactivate the active " + k.noun + ": " + k.withoutActive(), Status: http.StatusNoContent, Handler: h.deactivate},
			route{Method: http.MethodDelete, Path: base + "/:id", Role: auth.RoleAdmin, Tag: tag,
				Summary: "Delete a version of a " + k.noun + "; the active one cannot be (409)", Status: http.StatusNoContent, Handler: h.delete},
		)
	}
	return rs
}

// modeNote says what an upload's mode means for kinds with defaults.
func (k knowledgeKind) modeNote() string {
	if !k.kind.HasDefaults() {
		return ""
	}
	return `; mode "add" (the default) validates with the embedded default ` + k.segment + ` and these, "replace" with these alone, as pff validate --rules and --no-defaults do`
}

func (k knowledgeKind) withoutActive() string {
	switch k.kind {
	case knowledge.KindSchema:
		return "validate without a schema"
	case knowledge.KindConstraints:
		return "validate without constraints"
	case knowledge.KindFlows:
		return "no fix flow can start"
	case knowledge.KindOperations:
		return "call BSS with the embedded catalogue (at the next start)"
	}
	return "validate with the embedded default " + k.segment
}

// knowledgeHandlers serve the routes of one kind.
type knowledgeHandlers struct {
	*api
	knowledgeKind
}

func (h knowledgeHandlers) list(c echo.Context) error {
	after, limit, err := pageRequest(c)
	if err != nil {
		return err
	}
	filter := knowledge.Filter{Name: c.QueryParam("name"), Limit: limit + 1}
	if filter.Before, err = cursorID(after); err != nil {
		return err
	}
	list, err := h.library.List(c.Request().Context(), h.kind, filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(list, limit, func(k store.Knowledge) string { return strconv.FormatInt(k.ID, 10) }))
}

func (h knowledgeHandlers) create(c echo.Context) error {
	var req knowledge.CreateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, _ := principalOf(c)
	created, err := h.library.Create(c.Request().Context(), h.kind, req, p.Actor())
	if err != nil {
		return err
	}
	k := created.Knowledge
	c.Set(auditDetailKey, map[string]any{"id": k.ID, "name": k.Name, "version": k.Version, "sha256": k.SHA256, "created": created.New})
	status := http.StatusCreated
	if !created.New {
		status = http.StatusOK
	}
	return c.JSON(status, created)
}

func (h knowledgeHandlers) get(c echo.Context) error {
	id, err := idParam(c, string(h.kind)+" version")
	if err != nil {
		return err
	}
	k, err := h.library.Get(c.Request().Context(), h.kind, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

func (h knowledgeHandlers) activate(c echo.Context) error {
	id, err := idParam(c, string(h.kind)+" version")
	if err != nil {
		return err
	}
	p, _ := principalOf(c)
	k, err := h.library.Activate(c.Request().Context(), h.kind, id, p.Actor())
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"id": k.ID, "name": k.Name, "version": k.Version})
	return c.JSON(http.StatusOK, k)
}

func (h knowledgeHandlers) deactivate(c echo.Context) error {
	if err := h.library.Deactivate(c.Request().Context(), h.kind); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h knowledgeHandlers) delete(c echo.Context) error {
	id, err := idParam(c, string(h.kind)+" version")
	if err != nil {
		return err
	}
	if err := h.library.Delete(c.Request().Context(), h.kind, id); err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"id": id})
	return c.NoContent(http.StatusNoContent)
}

func (a *api) activeKnowledge(c echo.Context) error {
	active, err := a.library.Active(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, active)
}

func (a *api) inferSchema(c echo.Context) error {
	opts := schema.InferOptions{}
	if raw := c.QueryParam("enum_max"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return problem.FieldError("enum_max", "must be an integer")
		}
		opts.EnumMaxValues = n
	}
	inferred, err := schema.InferRecords(c.Request().Context(), c.Request().Body, opts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, inferred)
}
