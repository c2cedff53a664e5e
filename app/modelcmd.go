package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

func modelsCommand() *command {
	var force bool
	return &command{
		name:    "models",
		args:    "list | show VERSION | activate VERSION [--force] | deactivate | measure VERSION | delete VERSION",
		summary: "List, inspect, activate, deactivate, measure or delete trained models.",
		details: `Activation is atomic: validation and prediction switch from the old model
to the new one at once. Before a model judges records it passes a quality
gate, run once and kept with the model: on stored records it did not train
on, clean and with a fault of every kind injected, it may flag at most
learn.gate_clean_flagged of the clean ones (default 1%) at its operating
threshold (learn.min_confidence). A model that fails is refused unless
--force, which writes the figures to the audit log. The figures are shown
by list, show and activate.

  deactivate       no model: validation is back to the schema, rules,
                   checks and constraints alone, in every process within a
                   second
  measure VERSION  run the gate again on the records stored now

The active model cannot be deleted: deactivate it first.`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.BoolVar(&force, "force", false, "activate: activate a model that fails its quality gate (audited)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			action, version, err := subcommand(inv, map[string]bool{"list": false, "show": true, "activate": true,
				"deactivate": false, "measure": true, "delete": true})
			if err != nil {
				return err
			}
			if force && action != "activate" {
				return usagef("--force goes with activate")
			}
			return withServices(ctx, inv, func(s *services) error {
				switch action {
				case "list":
					ms, err := s.learn.Models(ctx)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "VERSION\tSTATE\tSOURCE\tDIM\tNORM\tENTITIES\tCREATED\tGATE\tCLEAN FLAGGED\tECE")
					for _, m := range ms {
						gate, flagged, ece := "-", "-", "-"
						if q, ok := learn.QualityOf(m); ok && q.Records > 0 {
							gate = map[bool]string{true: "passed", false: "failed"}[q.Passed]
							flagged = fmt.Sprintf("%d/%d", q.CleanFlagged, q.Records)
							ece = fmt.Sprintf("%.3f", q.ECE)
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", m.Version, m.State, m.Source, m.Dim, m.Norm, m.Entities,
							m.CreatedAt.Format("2006-01-02 15:04"), gate, flagged, ece)
					}
					return tw.Flush()
				case "show":
					m, err := s.learn.Model(ctx, version)
					if err != nil {
						return err
					}
					printModel(inv.Stdout, m)
					if q, ok := learn.QualityOf(m); ok {
						printQuality(inv.Stdout, q)
					}
				case "activate":
					act, err := s.learn.Activate(ctx, learn.ActivateRequest{Version: version, Force: force})
					var p *problem.Error
					if errors.As(err, &p) && p.Code == "quality_gate" {
						if q, ok := p.Details.(learn.Quality); ok {
							printQuality(inv.Stderr, q)
						}
					}
					if err != nil {
						return err
					}
					printQuality(inv.Stdout, act.Quality)
					action := "Activate a model"
					if act.Forced {
						action = "Activate a model that failed its quality gate (forced)"
					}
					if err := auditCLI(ctx, s, action, "pff models activate", act.Model.Version, map[string]any{
						"version": act.Model.Version, "forced": act.Forced, "quality": act.Quality}); err != nil {
						return err
					}
					if act.Forced {
						fmt.Fprintf(inv.Stdout, "activated %s although it failed its quality gate (forced; audited)\n", act.Model.Version)
					} else {
						fmt.Fprintf(inv.Stdout, "activated %s\n", act.Model.Version)
					}
				case "deactivate":
					m, was, err := s.learn.Deactivate(ctx)
					if err != nil {
						return err
					}
					if !was {
						fmt.Fprintln(inv.Stdout, "no model was active")
						return nil
					}
					if err := auditCLI(ctx, s, "Deactivate the active model", "pff models deactivate", m.Version, map[string]any{"version": m.Version}); err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "deactivated %s: validation uses the schema, rules, checks and constraints alone\n", m.Version)
				case "measure":
					q, err := s.learn.Measure(ctx, version)
					if err != nil {
						return err
					}
					printQuality(inv.Stdout, q)
				case "delete":
					if err := s.learn.Delete(ctx, version); err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "deleted %s\n", version)
				}
				return nil
			})
		},
	}
}

// auditCLI writes what an operator did from the shell to the audit log,
// as the API does for its calls.
func auditCLI(ctx context.Context, s *services, action, route, target string, detail map[string]any) error {
	raw, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return s.store.InsertAudit(ctx, store.AuditEntry{Actor: "cli", Method: "CLI", Route: route, Action: action,
		Target: target, Status: "succeeded", Detail: raw})
}

// printQuality writes the quality gate's figures.
func printQuality(w io.Writer, q learn.Quality) {
	if q.Records == 0 {
		fmt.Fprintf(w, "quality gate: not measured: %s\n", q.Note)
		return
	}
	verdict := "passed"
	if !q.Passed {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "quality gate %s (%s): %d of %d clean held-out records flagged (%.1f%%, limit %.1f%%) at p >= %.2f\n",
		verdict, q.MeasuredAt.Format("2006-01-02 15:04"), q.CleanFlagged, q.Records, 100*q.CleanRate, 100*q.MaxCleanFlagged, q.MinConfidence)
	fmt.Fprintf(w, "calibration on held-out facts: ECE %.4f (scale %.3f; %d facts judged, %d abstained)\n", q.ECE, q.Scale, q.Facts, q.Abstained)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT KIND\tINJECTED\tFOUND\tRECALL")
	for _, kind := range gen.Kinds() {
		r := q.Recall[kind]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\n", kind, r.Injected, r.Found, r.Recall)
	}
	tw.Flush()
}

func evalCommand() *command {
	var version, dataset, split string
	return &command{
		name:    "eval",
		args:    "--model VERSION --dataset DIR",
		summary: "Evaluate a stored model on a dataset: filtered MRR, MR, Hits@1/3/10.",
		details: "Ranks both the head and the tail of every triple of the split against all\nentities, leaving out the other known triples of the dataset (filtered protocol).",
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&version, "model", "", "`version` of the model (default: the active one)")
			fs.StringVar(&dataset, "dataset", "", "`DIR` holding train.tsv, valid.tsv and test.tsv")
			fs.StringVar(&split, "split", "test", "`split` to rank: test or valid")
		},
		run: func(ctx context.Context, inv *invocation) error {
			switch {
			case len(inv.args) > 0:
				return usagef("unexpected argument %q", inv.args[0])
			case dataset == "":
				return usagef("--dataset is required")
			case split != "test" && split != "valid":
				return usagef("--split is test or valid, not %q", split)
			}
			ds, err := embed.LoadDataset(dataset, embed.DatasetOptions{AllowUnseen: true})
			if err != nil {
				return inputError(err)
			}
			return withServices(ctx, inv, func(s *services) error {
				m, err := s.learn.ModelOrActive(ctx, version)
				if err != nil {
					return err
				}
				metrics, err := learn.Evaluate(ctx, s.store, m, ds, split)
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.Stdout, "model %s on %s %s (filtered, %d queries): MRR %.4f  MR %.1f  Hits@1 %.4f  Hits@3 %.4f  Hits@10 %.4f\n",
					m.Version, dataset, split, metrics.Queries, metrics.MRR, metrics.MR, metrics.Hits1, metrics.Hits3, metrics.Hits10)
				return nil
			})
		},
	}
}

func predictCommand() *command {
	var version string
	var k int
	var unfiltered bool
	return &command{
		name:    "predict",
		args:    "score HEAD RELATION TAIL | tail HEAD RELATION | head RELATION TAIL | similar ENTITY",
		summary: "Ask a model: how plausible a fact is, what completes one, what is alike.",
		details: `  score HEAD RELATION TAIL  the probability that the fact is true
  tail HEAD RELATION        the k likeliest tails, known facts left out
  head RELATION TAIL        the k likeliest heads, known facts left out
  similar ENTITY            the k nearest entities by cosine`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&version, "model", "", "`version` of the model (default: the active one)")
			fs.IntVar(&k, "k", 10, "`number` of answers")
			fs.BoolVar(&unfiltered, "unfiltered", false, "keep completions that are known facts")
		},
		run: func(ctx context.Context, inv *invocation) error {
			arity := map[string]int{"score": 3, "tail": 2, "head": 2, "similar": 1}
			if len(inv.args) == 0 {
				return usagef("missing action")
			}
			n, ok := arity[inv.args[0]]
			switch {
			case !ok:
				return usagef("unknown action %q", inv.args[0])
			case len(inv.args) != n+1:
				return usagef("%s takes %d arguments", inv.args[0], n)
			case k < 1 || k > 1000:
				return usagef("--k %d is outside 1..1000", k)
			}
			a := inv.args[1:]
			return withServices(ctx, inv, func(s *services) error {
				tw := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
				defer tw.Flush()
				switch inv.args[0] {
				case "score":
					res, err := s.learn.Score(ctx, version, []embed.NamedTriple{{Head: a[0], Relation: a[1], Tail: a[2]}})
					if err != nil {
						return err
					}
					t := res.Triples[0]
					fmt.Fprintf(tw, "%s(%s, %s)\tp=%.4f\tdistance %.4f\n", a[1], a[0], a[2], t.Probability, t.Distance)
				case "tail", "head":
					anchor, rel := a[0], a[1]
					if inv.args[0] == "head" {
						anchor, rel = a[1], a[0]
					}
					res, err := s.learn.Complete(ctx, learn.CompleteRequest{Model: version, Anchor: anchor, Relation: rel,
						Tail: inv.args[0] == "tail", K: k, FilterKnown: !unfiltered})
					if err != nil {
						return err
					}
					for i, c := range res.Candidates {
						fmt.Fprintf(tw, "%d\t%s\tp=%.4f\tdistance %.4f\t%s\n", i+1, c.Entity, c.Probability, c.Distance, knownText(c.Known))
					}
				case "similar":
					res, err := s.learn.Similar(ctx, version, a[0], k)
					if err != nil {
						return err
					}
					for i, n := range res.Entities {
						fmt.Fprintf(tw, "%d\t%s\t%s\tcosine distance %s\n", i+1, n.Entity, n.Kind, strconv.FormatFloat(n.Distance, 'f', 4, 64))
					}
				}
				return nil
			})
		},
	}
}

func knownText(known bool) string {
	if known {
		return "known"
	}
	return ""
}
