package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

type learningData struct {
	// Counted is false while the graph's statistics are first worked out.
	Counted  bool
	Graph    store.KGStats
	Degrees  svgChart
	Models   []modelRow
	Training []jobs.View
}

type modelRow struct {
	Model   store.Model
	Valid   *learn.LinkMetrics
	Test    *learn.LinkMetrics
	Quality *learn.Quality
}

func (c *Console) learningPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	ctx := r.Context()
	var d learningData
	var err error
	if d.Graph, d.Counted, err = c.graphNow(ctx, figuresWait); err != nil {
		return err
	}
	d.Degrees = degreeChart(d.Graph.Learning.Degrees)
	// The model registry is the admins' in the API, so it is here.
	if p.Role.Allows(roleAdmin) {
		models, err := c.cfg.Learn.Models(ctx)
		if err != nil {
			return err
		}
		for _, m := range models {
			d.Models = append(d.Models, rowOf(m))
		}
	}
	for _, state := range []string{"running", "available", "retryable"} {
		js, err := c.cfg.Jobs.List(ctx, jobs.Filter{Kind: "train_model", State: state, Limit: 20})
		if err != nil {
			return err
		}
		d.Training = append(d.Training, js...)
	}
	return c.page(w, r, p, http.StatusOK, "learning", "Learning", "learning", d)
}

// graphNow is the graph's statistics, which change only with a new build:
// they are worked out once per build (scanning every fact takes seconds)
// and kept.
func (c *Console) graphNow(ctx context.Context, wait time.Duration) (store.KGStats, bool, error) {
	key := "none"
	build, err := c.cfg.Store.LatestKGBuild(ctx)
	switch {
	case err == nil:
		key = strconv.FormatInt(build.ID, 10)
	case !errors.Is(err, store.ErrNotFound):
		return store.KGStats{}, false, err
	}
	stats, _, ok, err := c.graph.get(ctx, key, wait)
	return stats, ok, err
}

func (c *Console) graphStats(ctx context.Context, _ string) (store.KGStats, error) {
	return c.cfg.Learn.GraphStats(ctx, 15)
}

// learningGraph is the graph's section alone, for a page shown before its
// statistics were worked out.
func (c *Console) learningGraph(w http.ResponseWriter, r *http.Request, p *principal) error {
	var d learningData
	var err error
	if d.Graph, d.Counted, err = c.graphNow(r.Context(), 5*time.Second); err != nil {
		return err
	}
	d.Degrees = degreeChart(d.Graph.Learning.Degrees)
	html, err := c.fragment("learning", "graph", view{User: p, Data: d})
	if err != nil {
		return err
	}
	c.write(w, r, http.StatusOK, "text/html; charset=utf-8", html)
	return nil
}

func rowOf(m store.Model) modelRow {
	row := modelRow{Model: m}
	var metrics learn.TrainMetrics
	if json.Unmarshal(m.Metrics, &metrics) == nil {
		row.Valid, row.Test = metrics.Valid, metrics.Test
	}
	if q, ok := learn.QualityOf(m); ok {
		row.Quality = &q
	}
	return row
}

func degreeChart(buckets []store.DegreeBucket) svgChart {
	labels := make([]string, len(buckets))
	values := make([]float64, len(buckets))
	for i, b := range buckets {
		labels[i] = strconv.FormatInt(b.Min, 10)
		if b.Max != b.Min {
			labels[i] += "–" + strconv.FormatInt(b.Max, 10)
		}
		values[i] = float64(b.Entities)
	}
	return stackedBars("Entities by degree (facts they take part in)", labels, []series{{Label: "entities", Class: "s-score", Values: values}}, 640, 200)
}

// maxCurvePoints bounds the points of a training curve sent to the page.
const maxCurvePoints = 400

type modelData struct {
	Row         modelRow
	Metrics     learn.TrainMetrics
	Progress    *learn.TrainProgress
	Training    bool
	Curve       jsonBlock
	Epochs      int
	Shown       int
	Reliability svgChart
	Recall      []recallRow
	Phases      []learn.PhaseStat
}

// jsonBlock is JSON for a data block (<script type="application/json">)
// the page's script reads. encoding/json escapes <, > and &, so it cannot
// end the block; html/template would otherwise quote it as a string.
type jsonBlock = template.JS

type recallRow struct {
	Kind string
	learn.KindRecall
}

func (c *Console) modelPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := c.cfg.Learn.Model(r.Context(), r.PathValue("version"))
	if err != nil {
		return err
	}
	d := modelData{Row: rowOf(m), Training: m.State == "training"}
	_ = json.Unmarshal(m.Metrics, &d.Metrics)
	d.Phases = d.Metrics.Phases
	var prog learn.TrainProgress
	if json.Unmarshal(m.Progress, &prog) == nil && prog.Epochs > 0 {
		d.Progress = &prog
	}
	d.Epochs = len(d.Metrics.History)
	d.Curve, d.Shown = curveJSON(d.Metrics.History)
	if q := d.Row.Quality; q != nil {
		var bins []reliabilityBin
		for _, b := range q.Reliability {
			bins = append(bins, reliabilityBin{Lo: b.Lo, Hi: b.Hi, Confidence: b.Confidence, Accuracy: b.Accuracy, Facts: b.Facts})
		}
		d.Reliability = reliabilityChart(bins, 420, 300)
		for kind, rc := range q.Recall {
			d.Recall = append(d.Recall, recallRow{Kind: string(kind), KindRecall: rc})
		}
		sort.Slice(d.Recall, func(i, j int) bool { return d.Recall[i].Kind < d.Recall[j].Kind })
	}
	return c.page(w, r, p, http.StatusOK, "model", "Model "+m.Version, "learning", d)
}

// curveJSON is a training's loss and validation MRR per epoch, the loss
// downsampled to maxCurvePoints (validation points are few and all kept).
func curveJSON(history []learn.EpochStat) (jsonBlock, int) {
	xs, ys := make([]float64, len(history)), make([]float64, len(history))
	for i, h := range history {
		xs[i], ys[i] = float64(h.Epoch), h.Loss
	}
	keep := map[int]bool{}
	for _, i := range downsample(xs, ys, maxCurvePoints) {
		keep[i] = true
	}
	out := struct {
		Epoch []int      `json:"epoch"`
		Loss  []float64  `json:"loss"`
		MRR   []*float64 `json:"mrr"`
	}{Epoch: []int{}, Loss: []float64{}, MRR: []*float64{}}
	for i, h := range history {
		if !keep[i] && h.ValidMRR == nil {
			continue
		}
		out.Epoch = append(out.Epoch, h.Epoch)
		out.Loss = append(out.Loss, h.Loss)
		out.MRR = append(out.MRR, h.ValidMRR)
	}
	data, _ := json.Marshal(out)
	return template.JS(data), len(out.Epoch) // #nosec G203 -- JSON from json.Marshal, which escapes <, > and &
}

// maxMapPoints is how many entities the embedding map shows.
const maxMapPoints = 3000

type mapData struct {
	Model store.Model
	// Loaded says the map was worked out; until then the page fetches it.
	Loaded    bool
	Map       jsonBlock
	Explained float64
	Points    int
	Types     []typeCount
}

type typeCount struct {
	Type  string
	Count int
}

func (c *Console) mapPage(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := c.cfg.Learn.Model(r.Context(), r.PathValue("version"))
	if err != nil {
		return err
	}
	d := mapData{Model: m}
	if proj, ok := c.maps.get(m.Version); ok {
		d.fill(proj)
	}
	return c.page(w, r, p, http.StatusOK, "map", "Embedding map of "+m.Version, "learning", d)
}

// mapPoints is the map itself: worked out the first time a model's map is
// asked for in this process (a sample read and projected), kept after.
func (c *Console) mapPoints(w http.ResponseWriter, r *http.Request, p *principal) error {
	m, err := c.cfg.Learn.Model(r.Context(), r.PathValue("version"))
	if err != nil {
		return err
	}
	d := mapData{Model: m}
	proj, ok := c.maps.get(m.Version)
	if !ok && (m.State == "ready" || m.State == "active") {
		_, vectors, err := c.cfg.Learn.EntitySample(r.Context(), m.Version, maxMapPoints)
		if err != nil {
			return err
		}
		proj = project(vectors)
		c.maps.put(m.Version, proj)
	}
	d.fill(proj)
	d.Loaded = true
	html, err := c.fragment("map", "points", view{User: p, Data: d})
	if err != nil {
		return err
	}
	c.write(w, r, http.StatusOK, "text/html; charset=utf-8", html)
	return nil
}

func (d *mapData) fill(proj projection) {
	data, _ := json.Marshal(proj)
	d.Map, d.Explained, d.Points, d.Loaded = template.JS(data), proj.Explained, proj.Points, true // #nosec G203 -- JSON from json.Marshal, which escapes <, > and &
	d.Types = d.Types[:0]
	for _, t := range proj.Types {
		d.Types = append(d.Types, typeCount{Type: t.Type, Count: len(t.X)})
	}
}

// modelEvents streams a training model's progress as HTML fragments, and
// the finished page's summary when it ends.
func (c *Console) modelEvents(w http.ResponseWriter, r *http.Request, p *principal) error {
	version := r.PathValue("version")
	var last []byte
	return c.stream(w, r, 500*time.Millisecond, func(send func(event string, html []byte) error) (bool, error) {
		m, err := c.cfg.Learn.Model(r.Context(), version)
		if err != nil {
			return true, err
		}
		d := modelData{Row: rowOf(m), Training: m.State == "training"}
		var prog learn.TrainProgress
		if json.Unmarshal(m.Progress, &prog) == nil && prog.Epochs > 0 {
			d.Progress = &prog
		}
		v := view{User: p, Data: d}
		if !d.Training {
			html, err := c.fragment("model", "training-done", v)
			if err != nil {
				return true, err
			}
			return true, send("final", html)
		}
		html, err := c.fragment("model", "training-progress", v)
		if err != nil || bytes.Equal(html, last) {
			return false, err
		}
		last = html
		return false, send("progress", html)
	})
}

func (c *Console) train(w http.ResponseWriter, r *http.Request, a *act) error {
	hp := learn.Hyperparameters{Norm: r.PostFormValue("norm")}
	for _, f := range []struct {
		name string
		to   *int
	}{{"dim", &hp.Dim}, {"epochs", &hp.Epochs}, {"eval_every", &hp.EvalEvery}} {
		if raw := r.PostFormValue(f.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil {
				return fieldError(f.name, "must be a whole number")
			}
			*f.to = n
		}
	}
	q, err := c.cfg.Learn.Train(r.Context(), hp, a.Actor())
	if err != nil {
		return err
	}
	a.Target = strconv.FormatInt(q.JobID, 10)
	a.Detail = map[string]any{"job_id": q.JobID, "duplicate": q.Duplicate, "hyperparameters": hp}
	msg := fmt.Sprintf("Training queued as job %d.", q.JobID)
	if q.Duplicate {
		msg = fmt.Sprintf("The same training is already queued or running as job %d.", q.JobID)
	}
	setFlash(w, flash{Message: msg})
	redirect(w, r, fmt.Sprintf("%s/jobs/%d", Prefix, q.JobID))
	return nil
}

func (c *Console) activateModel(w http.ResponseWriter, r *http.Request, a *act) error {
	req := learn.ActivateRequest{Version: r.PathValue("version"), Force: r.PostFormValue("force") == "on"}
	act, err := c.cfg.Learn.Activate(r.Context(), req)
	if err != nil {
		if pe, ok := asProblem(err); ok && pe.Code == "quality_gate" {
			a.Detail = map[string]any{"version": req.Version, "quality": pe.Details}
		}
		return err
	}
	a.Detail = map[string]any{"version": act.Model.Version, "forced": act.Forced, "clean_flagged_rate": act.Quality.CleanRate,
		"passed": act.Quality.Passed}
	msg := "Model " + act.Model.Version + " is active."
	if act.Forced {
		msg += " It failed the quality gate and was activated anyway."
	}
	setFlash(w, flash{Message: msg})
	redirect(w, r, Prefix+"/learning/models/"+url.PathEscape(act.Model.Version))
	return nil
}

func (c *Console) deactivateModel(w http.ResponseWriter, r *http.Request, a *act) error {
	m, was, err := c.cfg.Learn.Deactivate(r.Context())
	if err != nil {
		return err
	}
	msg := "No model was active."
	if was {
		a.Detail = map[string]any{"version": m.Version}
		msg = "Model " + m.Version + " is no longer active: validation is back to the schema, rules, checks and constraints."
	}
	setFlash(w, flash{Message: msg})
	redirect(w, r, backTo(r, Prefix+"/learning"))
	return nil
}
