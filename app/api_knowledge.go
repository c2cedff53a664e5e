package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// Upload bounds: a rule set of 100,000 AnyBURL rules is about 8 MB of TSV;
// inferring a schema keeps a summary, not the records, so its bound is the
// time a request may take.
const (
	maxKnowledgeBody = 16 << 20
	maxInferBody     = 64 << 20
)

// knowledgeName is what a version's name may be (the store checks it too).
var knowledgeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// createKnowledgeRequest uploads a document as the next version of a name.
type createKnowledgeRequest struct {
	Name string `json:"name"`
	// Format is json, tsv or yaml; empty means the kind's usual one, or for
	// rules TSV unless the content starts with "{".
	Format  string `json:"format,omitempty"`
	Content string `json:"content"`
}

// lintProblem is a problem of an uploaded document.
type lintProblem struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type createdKnowledge struct {
	store.Knowledge
	// Notes are what the lint noticed without refusing the document, such
	// as rules that will be merged.
	Notes []lintProblem `json:"notes,omitempty"`
}

// activeKnowledge is what validation uses now.
type activeKnowledge struct {
	// Schema, Rules and Checks are the active stored versions; null means
	// no schema, or the embedded default rules or checks.
	Schema *store.ActiveKnowledge `json:"schema"`
	Rules  *store.ActiveKnowledge `json:"rules"`
	Checks *store.ActiveKnowledge `json:"checks"`
	// Versions are what reports made now name.
	Versions validation.Versions `json:"versions"`
}

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
	}
}

func (a *api) knowledgeRoutes() []route {
	const tag = "knowledge"
	rs := []route{
		{Method: http.MethodGet, Path: apiPrefix + "/knowledge", Role: auth.RoleViewer, Tag: tag,
			Summary:  "The schema, rules and checks validation uses now; null means none, or the embedded defaults",
			Response: activeKnowledge{}, Handler: a.activeKnowledge},
		{Method: http.MethodPost, Path: apiPrefix + "/schemas/infer", Role: auth.RoleOperator, Tag: tag,
			Summary: "Infer a JSON Schema from known-good records: the body is NDJSON or a JSON array of records (64 MiB at most)",
			Query:   []param{{"enum_max", "most distinct values a string may take and still become an enum (default 16; negative: no enums)"}},
			MaxBody: maxInferBody, Response: map[string]any{}, Handler: a.inferSchema},
	}
	for _, k := range knowledgeKinds() {
		base, h := apiPrefix+"/"+k.segment, knowledgeHandlers{api: a, knowledgeKind: k}
		rs = append(rs,
			route{Method: http.MethodGet, Path: base, Role: auth.RoleViewer, Tag: tag, Summary: "List the versions of every " + k.noun + ", newest first, without content",
				Query: []param{{"name", "only versions of this name"}, cursorParam, limitParam}, Response: page[store.Knowledge]{}, Handler: h.list},
			route{Method: http.MethodPost, Path: base, Role: auth.RoleAdmin, Tag: tag,
				Summary: "Upload a " + k.noun + " as the next version of its name, inactive (200 with the latest version when its content is the same); lint problems come back as details [{line, column, message}]",
				Request: createKnowledgeRequest{}, Response: createdKnowledge{}, Status: http.StatusCreated, MaxBody: maxKnowledgeBody, Handler: h.create},
			route{Method: http.MethodGet, Path: base + "/:id", Role: auth.RoleViewer, Tag: tag, Summary: "Get a version of a " + k.noun + " with its content",
				Response: store.Knowledge{}, Handler: h.get},
			route{Method: http.MethodPost, Path: base + "/:id/activate", Role: auth.RoleAdmin, Tag: tag,
				Summary: "Make this version the " + k.noun + " validation uses, in place of the active one", Response: store.Knowledge{}, Handler: h.activate},
			route{Method: http.MethodDelete, Path: base + "/active", Role: auth.RoleAdmin, Tag: tag,
				Summary: "Deactivate the active " + k.noun + ": validate " + k.withoutActive(), Status: http.StatusNoContent, Handler: h.deactivate},
			route{Method: http.MethodDelete, Path: base + "/:id", Role: auth.RoleAdmin, Tag: tag,
				Summary: "Delete a version of a " + k.noun + "; the active one cannot be (409)", Status: http.StatusNoContent, Handler: h.delete},
		)
	}
	return rs
}

func (k knowledgeKind) withoutActive() string {
	if k.kind == knowledge.KindSchema {
		return "without a schema"
	}
	return "with the embedded default " + k.segment
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
	filter := store.KnowledgeFilter{Kind: string(h.kind), Name: c.QueryParam("name"), Limit: limit + 1}
	if after != "" {
		if filter.Before, err = strconv.ParseInt(after, 10, 64); err != nil {
			return badRequest("invalid_cursor", "cursor is not one this API returned")
		}
	}
	list, err := h.store.ListKnowledge(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newPage(list, limit, func(k store.Knowledge) string { return strconv.FormatInt(k.ID, 10) }))
}

func (h knowledgeHandlers) create(c echo.Context) error {
	var req createKnowledgeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	var problems fieldErrors
	if !knowledgeName.MatchString(req.Name) {
		problems.add("name", "is required: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	content := []byte(req.Content)
	switch {
	case len(content) == 0:
		problems.add("content", "is required")
	case !utf8.Valid(content) || bytes.IndexByte(content, 0) >= 0:
		problems.add("content", "must be UTF-8 text without NUL characters")
	}
	format, err := h.kind.ResolveFormat(knowledge.Format(req.Format), content)
	if err != nil {
		problems.add("format", "%s are written in %v", h.segment, h.kind.Formats())
	}
	if err := problems.err(); err != nil {
		return err
	}
	diags := knowledge.Lint(h.kind, format, req.Name, content)
	if diags.Err() != nil {
		return lintFailed(h.noun, diags)
	}
	principal, _ := principalOf(c)
	k, created, err := h.store.CreateKnowledge(c.Request().Context(), store.NewKnowledge{
		Kind: string(h.kind), Name: req.Name, Format: string(format), Content: req.Content, CreatedBy: principal.actor()})
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"id": k.ID, "name": k.Name, "version": k.Version, "sha256": k.SHA256, "created": created})
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	return c.JSON(status, createdKnowledge{Knowledge: k, Notes: lintProblems(diags, rules.Note)})
}

// lintFailed is the 400 of a document with errors, each at its place.
func lintFailed(noun string, diags rules.Diagnostics) error {
	problems := lintProblems(diags, rules.Error)
	return &apiError{Status: http.StatusBadRequest, Code: "lint_failed",
		Message: fmt.Sprintf("the %s has %d problem(s)", noun, len(problems)), Details: problems}
}

func lintProblems(diags rules.Diagnostics, severity rules.Severity) []lintProblem {
	var out []lintProblem
	for _, d := range diags {
		if d.Severity == severity {
			out = append(out, lintProblem{Line: d.Pos.Line, Column: d.Pos.Col, Severity: d.Severity.String(), Message: d.Msg})
		}
	}
	return out
}

func (h knowledgeHandlers) get(c echo.Context) error {
	id, err := knowledgeID(c)
	if err != nil {
		return err
	}
	k, err := h.store.KnowledgeByID(c.Request().Context(), string(h.kind), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, k)
}

func (h knowledgeHandlers) activate(c echo.Context) error {
	id, err := knowledgeID(c)
	if err != nil {
		return err
	}
	principal, _ := principalOf(c)
	k, err := h.store.ActivateKnowledge(c.Request().Context(), string(h.kind), id, principal.actor())
	if err != nil {
		return err
	}
	h.knowledge.Invalidate()
	c.Set(auditDetailKey, map[string]any{"id": k.ID, "name": k.Name, "version": k.Version})
	return c.JSON(http.StatusOK, k)
}

func (h knowledgeHandlers) deactivate(c echo.Context) error {
	if err := h.store.DeactivateKnowledge(c.Request().Context(), string(h.kind)); err != nil {
		return err
	}
	h.knowledge.Invalidate()
	return c.NoContent(http.StatusNoContent)
}

func (h knowledgeHandlers) delete(c echo.Context) error {
	id, err := knowledgeID(c)
	if err != nil {
		return err
	}
	err = h.store.DeleteKnowledge(c.Request().Context(), string(h.kind), id)
	var conflict *store.ConflictError
	if errors.As(err, &conflict) {
		return &apiError{Status: http.StatusConflict, Code: "active",
			Message: fmt.Sprintf("%s %d is the active one; activate another or deactivate it first", h.segment, id)}
	}
	if err != nil {
		return err
	}
	c.Set(auditDetailKey, map[string]any{"id": id})
	return c.NoContent(http.StatusNoContent)
}

// knowledgeID reads the :id of a version; an id that is not a number names
// no version.
func knowledgeID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("knowledge id %q: %w", c.Param("id"), store.ErrNotFound)
	}
	return id, nil
}

func (a *api) activeKnowledge(c echo.Context) error {
	current, err := a.knowledge.Current(c.Request().Context())
	if err != nil {
		return err
	}
	out := activeKnowledge{Versions: current.Validator.Versions()}
	for _, k := range current.Active {
		switch knowledge.Kind(k.Kind) {
		case knowledge.KindSchema:
			out.Schema = &k
		case knowledge.KindRules:
			out.Rules = &k
		case knowledge.KindChecks:
			out.Checks = &k
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (a *api) inferSchema(c echo.Context) error {
	opts := schema.InferOptions{}
	if raw := c.QueryParam("enum_max"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return (&fieldErrors{{Field: "enum_max", Problem: "must be an integer"}}).err()
		}
		opts.EnumMaxValues = n
	}
	in := schema.NewInferrer(opts)
	err := eachRecord(c.Request().Body, func(n int, doc any) error {
		if _, ok := doc.(map[string]any); !ok {
			return badRequest("invalid_record", "record %d is not a JSON object", n)
		}
		in.Add(doc)
		return nil
	})
	if err != nil {
		return err
	}
	if in.Records() == 0 {
		return badRequest("no_records", "the body holds no records")
	}
	return c.JSON(http.StatusOK, in.Schema())
}

// eachRecord decodes the records of body, a JSON array of them or a stream
// such as NDJSON, one at a time, and calls fn with each, counting from 1.
func eachRecord(body io.Reader, fn func(n int, doc any) error) error {
	br := bufio.NewReader(body)
	array, err := startsArray(br)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(br)
	if array {
		if _, err := dec.Token(); err != nil {
			return recordProblem(1, err)
		}
	}
	for n := 1; !array || dec.More(); n++ {
		var doc any
		err := dec.Decode(&doc)
		if !array && errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return recordProblem(n, err)
		}
		if err := fn(n, doc); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return badRequest("invalid_json", "the array of records does not end: %v", err)
	}
	return nil
}

// startsArray reports whether the first byte of br that is not white space
// opens a JSON array, without consuming it.
func startsArray(br *bufio.Reader) (bool, error) {
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b == '[', br.UnreadByte()
	}
}

func recordProblem(n int, err error) error {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return err
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return badRequest("invalid_json", "record %d: %v (at byte %d)", n, err, syntax.Offset)
	}
	return badRequest("invalid_json", "record %d: %v", n, err)
}
