package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// pageSize is how many rows a list page shows.
const pageSize = 50

type recordsData struct {
	Filter  records.Filter
	Records []store.Record
	Next    string
	Query   string
}

func (c *Console) recordsPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	q := r.URL.Query()
	f := records.Filter{MSISDN: strings.TrimSpace(q.Get("msisdn")), CustomerID: strings.TrimSpace(q.Get("customer_id")),
		Decision: q.Get("decision"), Rule: strings.TrimSpace(q.Get("rule")), Limit: pageSize + 1}
	var err error
	if f.AfterID, err = int64Param(q, "after"); err != nil {
		return err
	}
	recs, err := c.cfg.Records.List(r.Context(), f)
	if err != nil {
		return err
	}
	d := recordsData{Filter: f, Records: recs}
	filter := url.Values{}
	for k, v := range map[string]string{"msisdn": f.MSISDN, "customer_id": f.CustomerID, "decision": f.Decision, "rule": f.Rule} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	d.Query = filter.Encode()
	if len(recs) > pageSize {
		d.Records = recs[:pageSize]
		next := url.Values{}
		for k, v := range filter {
			next[k] = v
		}
		next.Set("after", strconv.FormatInt(d.Records[pageSize-1].ID, 10))
		d.Next = Prefix + "/records?" + next.Encode()
	}
	return c.page(w, r, p, http.StatusOK, "records", "Records", "records", d)
}

// finding is one place a record is wrong, for the record page.
type finding struct {
	N           int
	Source      string
	ID          string
	Category    string
	Confidence  float64
	Description string
	Rule        string
	Bindings    validation.Bindings
	Pointers    []string
	// Alternatives are what a model suggests instead, with probabilities.
	Alternatives []validation.Alternative
}

type recordData struct {
	Record   store.Record
	Report   *store.Report
	Parsed   *validation.Report
	Findings []finding
	Tree     *node
	Cut      bool
	Versions []store.Record
}

func (c *Console) recordPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	rec, err := c.cfg.Records.Get(ctx, id)
	if err != nil {
		return err
	}
	d := recordData{Record: rec}
	if d.Versions, err = c.cfg.Records.Versions(ctx, id); err != nil {
		return err
	}
	report, err := c.cfg.Records.Report(ctx, id)
	switch {
	case err == nil:
		d.Report = &report
		var parsed validation.Report
		if err := json.Unmarshal(report.Report, &parsed); err != nil {
			return fmt.Errorf("report %d: %w", report.ID, err)
		}
		d.Parsed = &parsed
	case !problem.Is(err, problem.NotFound):
		return err
	}
	if d.Tree, d.Cut, err = parseTree(rec.Document); err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	if d.Parsed != nil {
		d.Findings = findingsOf(d.Parsed)
		for _, f := range d.Findings {
			for _, ptr := range f.Pointers {
				d.Tree.mark(ptr, f.N)
			}
		}
	}
	title := fmt.Sprintf("Record %s v%d", rec.CustomerID, rec.Version)
	return c.page(w, r, p, http.StatusOK, "record", title, "records", d)
}

// findingsOf numbers a report's schema errors and violations.
func findingsOf(rep *validation.Report) []finding {
	var out []finding
	for _, e := range rep.SchemaErrors {
		out = append(out, finding{N: len(out) + 1, Source: "schema", ID: e.Keyword, Category: "schema",
			Confidence: 1, Description: e.Message, Pointers: []string{e.Pointer}})
	}
	for _, v := range rep.Violations {
		out = append(out, finding{N: len(out) + 1, Source: v.Source, ID: v.ID, Category: v.Category, Confidence: v.Confidence,
			Description: v.Description, Rule: v.Rule, Bindings: v.Bindings, Pointers: v.Pointers, Alternatives: v.Alternatives})
	}
	return out
}

type recordDiffData struct {
	Old, New store.Record
	Changes  []change
	Shown    int
	Versions []store.Record
}

// maxChanges bounds the changes a diff page lists.
const maxChanges = 2000

func (c *Console) recordDiffPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	newer, err := c.cfg.Records.Get(ctx, id)
	if err != nil {
		return err
	}
	versions, err := c.cfg.Records.Versions(ctx, id)
	if err != nil {
		return err
	}
	against, err := int64Param(r.URL.Query(), "against")
	if err != nil {
		return err
	}
	if against == 0 {
		for _, v := range versions {
			if v.Version == newer.Version-1 {
				against = v.ID
			}
		}
		if against == 0 {
			return problem.Invalidf("no_earlier_version", "record %s has no version before v%d to compare with", newer.CustomerID, newer.Version)
		}
	}
	older, err := c.cfg.Records.Get(ctx, against)
	if err != nil {
		return err
	}
	if older.CustomerID != newer.CustomerID {
		return problem.FieldError("against", "must be a version of customer %s", newer.CustomerID)
	}
	a, _, err := parseTree(older.Document)
	if err != nil {
		return err
	}
	b, _, err := parseTree(newer.Document)
	if err != nil {
		return err
	}
	d := recordDiffData{Old: older, New: newer, Changes: diffDocuments(a, b), Versions: versions}
	d.Shown = len(d.Changes)
	if len(d.Changes) > maxChanges {
		d.Changes = d.Changes[:maxChanges]
	}
	title := fmt.Sprintf("Record %s: v%d against v%d", newer.CustomerID, newer.Version, older.Version)
	return c.page(w, r, p, http.StatusOK, "record_diff", title, "records", d)
}

func (c *Console) revalidate(w http.ResponseWriter, r *http.Request, a *act) error {
	req := records.RevalidateRequest{MSISDN: strings.TrimSpace(r.PostFormValue("msisdn")), CustomerID: strings.TrimSpace(r.PostFormValue("customer_id")),
		Decision: r.PostFormValue("decision"), Rule: strings.TrimSpace(r.PostFormValue("rule"))}
	id, err := c.cfg.Records.Revalidate(r.Context(), req)
	if err != nil {
		return err
	}
	a.Detail = map[string]any{"job_id": id, "filter": req}
	setFlash(w, flash{Message: fmt.Sprintf("Re-validation queued as job %d.", id)})
	redirect(w, r, fmt.Sprintf("%s/jobs/%d", Prefix, id))
	return nil
}

// pathID reads a positive integer from the path.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, problem.NotFoundf("there is no %s %q", name, r.PathValue(name))
	}
	return id, nil
}

// int64Param reads an optional non-negative integer query parameter.
func int64Param(q url.Values, name string) (int64, error) {
	raw := q.Get(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		return 0, problem.FieldError(name, "must be a non-negative integer")
	}
	return n, nil
}

func notFound(format string, args ...any) error { return problem.NotFoundf(format, args...) }
