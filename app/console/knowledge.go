package console

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/store"
)

// consoleKinds are the kinds of knowledge the console shows, in its order.
var consoleKinds = []knowledge.Kind{knowledge.KindSchema, knowledge.KindRules, knowledge.KindChecks,
	knowledge.KindConstraints, knowledge.KindFlows, knowledge.KindOperations}

func kindOf(r *http.Request) (knowledge.Kind, error) {
	k := knowledge.Kind(r.PathValue("kind"))
	for _, known := range consoleKinds {
		if k == known {
			return k, nil
		}
	}
	return "", problem.NotFoundf("there is no kind of knowledge %q", r.PathValue("kind"))
}

type kindTab struct {
	Kind    knowledge.Kind
	Noun    string
	Current bool
}

type knowledgeData struct {
	Kinds    []kindTab
	Kind     knowledge.Kind
	Noun     string
	Defaults bool
	Formats  []knowledge.Format
	Active   knowledge.Active
	Versions []store.Knowledge
	Next     string
	Name     string
}

func (c *Console) knowledgePage(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	kind := knowledge.Kind(q.Get("kind"))
	if kind == "" {
		kind = knowledge.KindSchema
	}
	d := knowledgeData{Kind: kind, Noun: kind.Noun(), Defaults: kind.HasDefaults(), Formats: kind.Formats(), Name: q.Get("name")}
	found := false
	for _, k := range consoleKinds {
		d.Kinds = append(d.Kinds, kindTab{Kind: k, Noun: k.Noun(), Current: k == kind})
		found = found || k == kind
	}
	if !found {
		return problem.FieldError("kind", "must be one of %v", consoleKinds)
	}
	before, err := int64Param(q, "before")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if d.Active, err = c.cfg.Library.Active(ctx); err != nil {
		return err
	}
	list, err := c.cfg.Library.List(ctx, kind, knowledge.Filter{Name: d.Name, Before: before, Limit: pageSize + 1})
	if err != nil {
		return err
	}
	d.Versions = list
	if len(list) > pageSize {
		d.Versions = list[:pageSize]
		next := url.Values{"kind": {string(kind)}, "before": {strconv.FormatInt(d.Versions[pageSize-1].ID, 10)}}
		if d.Name != "" {
			next.Set("name", d.Name)
		}
		d.Next = Prefix + "/knowledge?" + next.Encode()
	}
	return c.page(w, r, p, http.StatusOK, "knowledge", "Knowledge", "knowledge", d)
}

// maxShownLines bounds the lines of a version a page shows; the raw
// document is a link away.
const maxShownLines = 3000

type sourceLine struct {
	N        int
	Text     string
	Problems []knowledge.Problem
}

type versionData struct {
	Version  store.Knowledge
	Noun     string
	Lines    []sourceLine
	Total    int
	Problems []knowledge.Problem
	Errors   int
	Others   []store.Knowledge
	// Rejected is an upload that failed lint, shown with its problems.
	Rejected bool
}

func (c *Console) knowledgeVersionPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	k, err := c.cfg.Library.Get(ctx, kind, id)
	if err != nil {
		return err
	}
	d := versionData{Version: k, Noun: kind.Noun(), Problems: c.lint(kind, k)}
	d.Lines, d.Total = numberLines(k.Content, d.Problems)
	for _, pr := range d.Problems {
		if pr.Severity == rules.Error.String() {
			d.Errors++
		}
	}
	if d.Others, err = c.cfg.Library.List(ctx, kind, knowledge.Filter{Name: k.Name, Limit: 100}); err != nil {
		return err
	}
	return c.page(w, r, p, http.StatusOK, "knowledge_version", fmt.Sprintf("%s %s v%d", kind.Noun(), k.Name, k.Version), "knowledge", d)
}

// lint lints a stored version as an upload of it would be. Versions never
// change, so their lint is kept (a few thousand rules take a while).
func (c *Console) lint(kind knowledge.Kind, k store.Knowledge) []knowledge.Problem {
	key := string(kind) + "/" + strconv.FormatInt(k.ID, 10) + "/" + k.SHA256
	if problems, ok := c.lints.get(key); ok {
		return problems
	}
	problems := c.lintContent(kind, k)
	c.lints.put(key, problems)
	return problems
}

func (c *Console) lintContent(kind knowledge.Kind, k store.Knowledge) []knowledge.Problem {
	var diags rules.Diagnostics
	if kind == knowledge.KindFlows {
		diags = knowledge.LintFlows(k.Name+"."+k.Format, []byte(k.Content), c.cfg.FlowCatalog)
	} else {
		diags = knowledge.Lint(kind, knowledge.Format(k.Format), k.Name, []byte(k.Content))
	}
	out := make([]knowledge.Problem, 0, len(diags))
	for _, d := range diags {
		out = append(out, knowledge.Problem{Line: d.Pos.Line, Column: d.Pos.Col, Severity: d.Severity.String(), Message: d.Msg})
	}
	return out
}

// numberLines splits content into numbered lines, the first maxShownLines
// and every line a problem is at, each with its problems.
func numberLines(content string, problems []knowledge.Problem) ([]sourceLine, int) {
	at := map[int][]knowledge.Problem{}
	for _, pr := range problems {
		at[pr.Line] = append(at[pr.Line], pr)
	}
	lines := splitLines(content)
	var out []sourceLine
	for i, l := range lines {
		n := i + 1
		if n <= maxShownLines || at[n] != nil {
			out = append(out, sourceLine{N: n, Text: l, Problems: at[n]})
		}
	}
	return out, len(lines)
}

func (c *Console) knowledgeRaw(w http.ResponseWriter, r *http.Request, p *principal) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	k, err := c.cfg.Library.Get(r.Context(), kind, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-v%d.%s"`, k.Name, k.Version, k.Format))
	c.write(w, r, http.StatusOK, "text/plain; charset=utf-8", []byte(k.Content))
	return nil
}

type knowledgeDiffData struct {
	Old, New store.Knowledge
	Hunks    []diffHunk
	Coarse   bool
	Others   []store.Knowledge
}

func (c *Console) knowledgeDiffPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	against, err := int64Param(r.URL.Query(), "against")
	if err != nil {
		return err
	}
	ctx := r.Context()
	newer, err := c.cfg.Library.Get(ctx, kind, id)
	if err != nil {
		return err
	}
	others, err := c.cfg.Library.List(ctx, kind, knowledge.Filter{Name: newer.Name, Limit: 100})
	if err != nil {
		return err
	}
	if against == 0 {
		for _, o := range others {
			if o.Version == newer.Version-1 {
				against = o.ID
			}
		}
		if against == 0 {
			return problem.Invalidf("no_earlier_version", "%s %s has no version before v%d to compare with", kind.Noun(), newer.Name, newer.Version)
		}
	}
	older, err := c.cfg.Library.Get(ctx, kind, against)
	if err != nil {
		return err
	}
	d := knowledgeDiffData{Old: older, New: newer, Others: others}
	d.Hunks, d.Coarse = diffText(older.Content, newer.Content, 3)
	return c.page(w, r, p, http.StatusOK, "knowledge_diff",
		fmt.Sprintf("%s: %s v%d against %s v%d", kind.Noun(), newer.Name, newer.Version, older.Name, older.Version), "knowledge", d)
}

// uploadKnowledge stores a new version from the form's file or text; a
// version that fails lint comes back with its problems at their lines.
func (c *Console) uploadKnowledge(w http.ResponseWriter, r *http.Request, a *act) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	content := r.PostFormValue("content")
	if file, _, err := r.FormFile("file"); err == nil {
		data, err := io.ReadAll(file)
		_ = file.Close()
		if err != nil {
			return err
		}
		if len(strings.TrimSpace(string(data))) > 0 {
			content = string(data)
		}
	}
	req := knowledge.CreateRequest{Name: strings.TrimSpace(r.PostFormValue("name")), Format: r.PostFormValue("format"),
		Mode: r.PostFormValue("mode"), Content: content}
	created, err := c.cfg.Library.Create(r.Context(), kind, req, a.Actor())
	if pe, ok := problem.As(err); ok && pe.Code == "lint_failed" {
		problems, _ := pe.Details.([]knowledge.Problem)
		d := versionData{Version: store.Knowledge{Kind: string(kind), Name: req.Name, Format: req.Format, Content: content},
			Noun: kind.Noun(), Problems: problems, Errors: len(problems), Rejected: true}
		d.Lines, d.Total = numberLines(content, problems)
		a.Detail = map[string]any{"name": req.Name, "lint_problems": len(problems)}
		a.Status = http.StatusBadRequest
		return c.page(w, r, a.principal, http.StatusBadRequest, "knowledge_version", "Upload refused: "+pe.Message, "knowledge", d)
	}
	if err != nil {
		return err
	}
	k := created.Knowledge
	a.Target = strconv.FormatInt(k.ID, 10)
	a.Detail = map[string]any{"id": k.ID, "name": k.Name, "version": k.Version, "sha256": k.SHA256, "created": created.New}
	msg := fmt.Sprintf("Stored %s %s v%d (inactive).", kind.Noun(), k.Name, k.Version)
	if !created.New {
		msg = fmt.Sprintf("%s %s v%d already has this content; nothing stored.", kind.Noun(), k.Name, k.Version)
	}
	if len(created.Notes) > 0 {
		msg += fmt.Sprintf(" Lint left %d note(s).", len(created.Notes))
	}
	setFlash(w, flash{Message: msg})
	redirect(w, r, fmt.Sprintf("%s/knowledge/%s/%d", Prefix, kind, k.ID))
	return nil
}

func (c *Console) activateKnowledge(w http.ResponseWriter, r *http.Request, a *act) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	k, err := c.cfg.Library.Activate(r.Context(), kind, id, a.Actor())
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"kind": kind, "id": k.ID, "name": k.Name, "version": k.Version}
	setFlash(w, flash{Message: fmt.Sprintf("%s %s v%d is active.", kind.Noun(), k.Name, k.Version)})
	redirect(w, r, backTo(r, fmt.Sprintf("%s/knowledge/%s/%d", Prefix, kind, k.ID)))
	return nil
}

func (c *Console) deactivateKnowledge(w http.ResponseWriter, r *http.Request, a *act) error {
	kind, err := kindOf(r)
	if err != nil {
		return err
	}
	if err := c.cfg.Library.Deactivate(r.Context(), kind); err != nil {
		return err
	}
	a.Detail = map[string]any{"kind": kind}
	setFlash(w, flash{Message: fmt.Sprintf("No %s is active now.", kind.Noun())})
	redirect(w, r, backTo(r, Prefix+"/knowledge?kind="+string(kind)))
	return nil
}
