package knowledge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// Library keeps the versions of schemas, rule sets, checks, flow files and
// operation catalogues: uploaded, linted, activated atomically.
type Library struct {
	store  *store.Store
	source *Source
	// flows are the methods flow files may call, for their lint; nil lints
	// their structure only.
	flows flows.Catalog
}

// NewLibrary makes the library; source is told of every activation, so this
// process validates with the new knowledge at once. Flow files are linted
// against flowCatalog, when given.
func NewLibrary(st *store.Store, source *Source, flowCatalog flows.Catalog) *Library {
	return &Library{store: st, source: source, flows: flowCatalog}
}

// nameRule is what a version's name may be (the store checks it too).
var nameRule = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// CreateRequest uploads a document as the next version of a name.
type CreateRequest struct {
	Name string `json:"name"`
	// Format is json, tsv or yaml; empty means the kind's usual one, or for
	// rules TSV unless the content starts with "{".
	Format  string `json:"format,omitempty"`
	Content string `json:"content"`
	// Mode says whether a rule or check set adds to the embedded defaults
	// ("add", the default) or replaces them ("replace").
	Mode string `json:"mode,omitempty"`
}

// Problem is a lint problem of an uploaded document, at its place.
type Problem struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// Created is an uploaded version.
type Created struct {
	store.Knowledge
	// Notes are what the lint noticed without refusing the document:
	// warnings about rules that can never apply to the stored records
	// (severity "warning"), and notes such as rules that will be merged.
	Notes []Problem `json:"notes,omitempty"`
	// New is false when the content equals the latest version's, which is
	// returned instead of a new one.
	New bool `json:"-"`
}

// Create lints a document and stores it as the next, inactive version of
// its name.
func (l *Library) Create(ctx context.Context, kind Kind, req CreateRequest, createdBy string) (Created, error) {
	var problems problem.Fields
	if !nameRule.MatchString(req.Name) {
		problems.Add("name", "is required: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	content := []byte(req.Content)
	switch {
	case len(content) == 0:
		problems.Add("content", "is required")
	case !utf8.Valid(content) || bytes.IndexByte(content, 0) >= 0:
		problems.Add("content", "must be UTF-8 text without NUL characters")
	}
	format, err := kind.ResolveFormat(Format(req.Format), content)
	if err != nil {
		problems.Add("format", "%s are written in %v", kind, kind.Formats())
	}
	switch mode := Mode(req.Mode); {
	case mode == "" || mode == ModeAdd:
	case mode == ModeReplace && kind.HasDefaults():
	case kind.HasDefaults():
		problems.Add("mode", "is add (to the embedded defaults) or replace (them)")
	default:
		problems.Add("mode", "%s have no defaults to add to or replace", kind)
	}
	if err := problems.Err(); err != nil {
		return Created{}, err
	}
	diags := Lint(kind, format, req.Name, content)
	if kind == KindFlows {
		diags = LintFlows(req.Name+"."+string(format), content, l.flows)
	}
	if diags.Err() != nil {
		errs := problemsOf(diags, rules.Error)
		return Created{}, &problem.Error{Kind: problem.Invalid, Code: "lint_failed",
			Message: fmt.Sprintf("the %s has %d problem(s)", kind.Noun(), len(errs)), Details: errs}
	}
	if kind == KindRules {
		// What the rules would check on the records stored: warnings only.
		diags = append(diags, LintAgainstCorpus(ctx, l.store, req.Name+"."+string(format), content, corpusLintBudget)...)
	}
	k, created, err := l.store.CreateKnowledge(ctx, store.NewKnowledge{
		Kind: string(kind), Name: req.Name, Format: string(format), Content: req.Content, CreatedBy: createdBy, Mode: req.Mode})
	if err != nil {
		return Created{}, err
	}
	return Created{Knowledge: k, Notes: problemsOf(diags, rules.Warning, rules.Note), New: created}, nil
}

// corpusLintBudget bounds how long an upload reads the stored records to
// find the rules that never apply.
const corpusLintBudget = 5 * time.Second

func problemsOf(diags rules.Diagnostics, severities ...rules.Severity) []Problem {
	var out []Problem
	for _, d := range diags {
		if slices.Contains(severities, d.Severity) {
			out = append(out, Problem{Line: d.Pos.Line, Column: d.Pos.Col, Severity: d.Severity.String(), Message: d.Msg})
		}
	}
	return out
}

// Filter selects versions of one kind.
type Filter struct {
	// Name keeps the versions of one name.
	Name string
	// Before is the id the previous page ended with; newest come first.
	Before int64
	Limit  int
}

// List lists the versions of a kind, newest first, without their content.
func (l *Library) List(ctx context.Context, kind Kind, f Filter) ([]store.Knowledge, error) {
	return l.store.ListKnowledge(ctx, store.KnowledgeFilter{Kind: string(kind), Name: f.Name, Before: f.Before, Limit: f.Limit})
}

func (l *Library) notFound(kind Kind, id int64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFoundf("no %s version %d", kind, id)
	}
	return err
}

// Get returns a version with its content.
func (l *Library) Get(ctx context.Context, kind Kind, id int64) (store.Knowledge, error) {
	k, err := l.store.KnowledgeByID(ctx, string(kind), id)
	return k, l.notFound(kind, id, err)
}

// Activate makes a version the one validation uses, in place of the active
// one, atomically.
func (l *Library) Activate(ctx context.Context, kind Kind, id int64, by string) (store.Knowledge, error) {
	k, err := l.store.ActivateKnowledge(ctx, string(kind), id, by)
	if err != nil {
		return k, l.notFound(kind, id, err)
	}
	l.source.Invalidate()
	return k, nil
}

// Deactivate leaves the kind without an active version: no schema, the
// embedded default rules or checks alone, or no constraints.
func (l *Library) Deactivate(ctx context.Context, kind Kind) error {
	if err := l.store.DeactivateKnowledge(ctx, string(kind)); err != nil {
		return err
	}
	l.source.Invalidate()
	return nil
}

// Delete deletes a version; the active one cannot be.
func (l *Library) Delete(ctx context.Context, kind Kind, id int64) error {
	err := l.store.DeleteKnowledge(ctx, string(kind), id)
	var conflict *store.ConflictError
	if errors.As(err, &conflict) {
		return problem.Conflictf("active", "%s %d is the active one; activate another or deactivate it first", kind, id)
	}
	return l.notFound(kind, id, err)
}

// Active is what validation uses now.
type Active struct {
	// Schema, Rules, Checks and Constraints are the active stored versions;
	// null means no schema, the embedded default rules or checks alone, or
	// no constraints. A rule or check set's mode says whether it adds to
	// the defaults or replaces them.
	Schema      *store.ActiveKnowledge `json:"schema"`
	Rules       *store.ActiveKnowledge `json:"rules"`
	Checks      *store.ActiveKnowledge `json:"checks"`
	Constraints *store.ActiveKnowledge `json:"constraints"`
	// Versions are what reports made now name.
	Versions validation.Versions `json:"versions"`
}

// Active returns the schema, rules and checks validation uses now.
func (l *Library) Active(ctx context.Context) (Active, error) {
	current, err := l.source.Current(ctx)
	if err != nil {
		return Active{}, err
	}
	out := Active{Versions: current.Validator.Versions()}
	for _, k := range current.Active {
		switch Kind(k.Kind) {
		case KindSchema:
			out.Schema = &k
		case KindRules:
			out.Rules = &k
		case KindChecks:
			out.Checks = &k
		case KindConstraints:
			out.Constraints = &k
		}
	}
	return out, nil
}
