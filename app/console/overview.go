package console

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/store"
)

// recordFigures are the overview's counts of the current records. They
// take one pass over all of them and their reports (seconds with 100,000 on
// a busy machine), so they are counted in the background, at most every
// Config.OverviewTTL, and pages show the last count (see refreshed).
type recordFigures struct {
	Overview store.RecordOverview
	Findings []store.FindingCount
}

func (c *Console) countRecords(ctx context.Context, _ string) (recordFigures, error) {
	var f recordFigures
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		f.Overview, err = c.cfg.Records.Overview(gctx, scoreBins, trendBuckets)
		return err
	})
	g.Go(func() (err error) {
		f.Findings, err = c.cfg.Records.TopFindings(gctx, 10)
		return err
	})
	return f, g.Wait()
}

// figuresWait is how long a page waits for figures nobody counted yet
// before it shows that they are being counted.
const figuresWait = 300 * time.Millisecond

// Chart resolutions of the overview.
const (
	scoreBins    = 20
	trendBuckets = 40
)

type overviewData struct {
	// Counted is false while the first count runs; the page then fetches
	// the figures a moment later.
	Counted   bool
	At        time.Time
	Figures   recordFigures
	Validated int64
	Decisions []decisionCount
	Trend     svgChart
	Scores    svgChart
	Findings  []store.FindingCount
	Backlog   int64
	Jobs      []jobStateRow
	JobStates []string
	Active    knowledge.Active
	Health    []healthCheck
}

type decisionCount struct {
	Decision string
	Count    int64
	Share    string
}

type jobStateRow struct {
	Kind   string
	Counts []int64
}

type healthCheck struct {
	Name, Status, Detail string
}

func (c *Console) overviewPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	ctx := r.Context()
	var (
		d      overviewData
		counts []store.JobCount
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		d.Figures, d.At, d.Counted, err = c.figures.get(gctx, "", figuresWait)
		return err
	})
	g.Go(func() (err error) {
		counts, err = c.cfg.Store.JobCounts(gctx)
		return err
	})
	g.Go(func() (err error) {
		d.Active, err = c.cfg.Library.Active(gctx)
		return err
	})
	g.Go(func() error {
		d.Health = c.health(gctx)
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	d.layout()
	d.Jobs, d.JobStates = jobTable(counts)
	for _, jc := range counts {
		if jc.Kind == "validate_records" && (jc.State == "available" || jc.State == "running" || jc.State == "retryable" || jc.State == "scheduled") {
			d.Backlog += jc.Count
		}
	}
	return c.page(w, r, p, http.StatusOK, "overview", "Overview", "overview", d)
}

// overviewFigures is the record figures alone, for a page that was shown
// before they were first counted; it waits for them a few seconds.
func (c *Console) overviewFigures(w http.ResponseWriter, r *http.Request, p *principal) error {
	var d overviewData
	var err error
	d.Figures, d.At, d.Counted, err = c.figures.get(r.Context(), "", 5*time.Second)
	if err != nil {
		return err
	}
	d.layout()
	html, err := c.fragment("overview", "figures", view{User: p, Data: d})
	if err != nil {
		return err
	}
	c.write(w, r, http.StatusOK, "text/html; charset=utf-8", html)
	return nil
}

// layout turns the counts into what the page draws.
func (d *overviewData) layout() {
	if !d.Counted {
		return
	}
	o := d.Figures.Overview
	d.Validated = o.Records - o.Unvalidated
	for _, dec := range []string{"ACCEPT", "REVIEW", "REJECT"} {
		d.Decisions = append(d.Decisions, decisionCount{Decision: dec, Count: o.Decisions[dec], Share: pct(o.Decisions[dec], d.Validated)})
	}
	d.Trend = trendChart(o)
	d.Scores = scoreChart(o.Scores)
	d.Findings = d.Figures.Findings
}

func trendChart(o store.RecordOverview) svgChart {
	labels := make([]string, len(o.Trend))
	ss := []series{{Label: "ACCEPT", Class: "s-accept"}, {Label: "REVIEW", Class: "s-review"},
		{Label: "REJECT", Class: "s-reject"}, {Label: "not validated", Class: "s-none"}}
	layout := "01-02 15h"
	if o.Bucket >= 24*time.Hour {
		layout = "2006-01-02"
	}
	for i, b := range o.Trend {
		labels[i] = b.Start.UTC().Format(layout)
		for j, dec := range []string{"ACCEPT", "REVIEW", "REJECT", ""} {
			ss[j].Values = append(ss[j].Values, float64(b.Decisions[dec]))
		}
	}
	return stackedBars("Records by ingest time and latest decision", labels, ss, 640, 220)
}

func scoreChart(bins []int64) svgChart {
	labels := make([]string, len(bins))
	values := make([]float64, len(bins))
	for i, n := range bins {
		labels[i] = strconv.FormatFloat(float64(i)/float64(len(bins)), 'f', 2, 64)
		values[i] = float64(n)
	}
	return stackedBars("Validated records by score", labels, []series{{Label: "records", Class: "s-score", Values: values}}, 640, 220)
}

// jobTable lays job counts out as kinds by state, the states in River's
// order of a job's life.
func jobTable(counts []store.JobCount) ([]jobStateRow, []string) {
	order := []string{"available", "scheduled", "running", "retryable", "pending", "completed", "cancelled", "discarded"}
	used := map[string]bool{}
	byKind := map[string]map[string]int64{}
	for _, jc := range counts {
		used[jc.State] = true
		if byKind[jc.Kind] == nil {
			byKind[jc.Kind] = map[string]int64{}
		}
		byKind[jc.Kind][jc.State] = jc.Count
	}
	var states []string
	for _, s := range order {
		if used[s] {
			states = append(states, s)
		}
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	rows := make([]jobStateRow, len(kinds))
	for i, k := range kinds {
		rows[i].Kind = k
		for _, s := range states {
			rows[i].Counts = append(rows[i].Counts, byKind[k][s])
		}
	}
	return rows, states
}

// health pings PostgreSQL and Redis, each within a second.
func (c *Console) health(ctx context.Context) []healthCheck {
	ping := func(name string, fn func(context.Context) error) healthCheck {
		if fn == nil {
			return healthCheck{Name: name, Status: "disabled", Detail: "not configured"}
		}
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		start := time.Now()
		if err := fn(ctx); err != nil {
			return healthCheck{Name: name, Status: "failed", Detail: err.Error()}
		}
		return healthCheck{Name: name, Status: "ok", Detail: strconv.FormatFloat(float64(time.Since(start).Microseconds())/1000, 'f', 1, 64) + " ms"}
	}
	checks := []healthCheck{ping("PostgreSQL", c.cfg.Health.Postgres), ping("Redis", c.cfg.Health.Redis)}
	workers := healthCheck{Name: "Job workers", Status: "ok", Detail: strconv.Itoa(c.cfg.Health.Workers) + " in this process"}
	if c.cfg.Health.Workers == 0 {
		workers = healthCheck{Name: "Job workers", Status: "disabled", Detail: "none in this process (pff worker works the jobs)"}
	}
	return append(checks, workers)
}
