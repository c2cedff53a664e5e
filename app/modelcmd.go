package app

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

func modelsCommand() *command {
	return &command{
		name:    "models",
		args:    "list|show VERSION|activate VERSION|delete VERSION",
		summary: "List, inspect, activate or delete trained models.",
		details: `Activation is atomic: validation and prediction switch from the old model
to the new one at once. The active model cannot be deleted.`,
		run: func(ctx context.Context, inv *invocation) error {
			action, version, err := subcommand(inv, map[string]bool{"list": false, "show": true, "activate": true, "delete": true})
			if err != nil {
				return err
			}
			return withStore(ctx, inv, func(_ Config, st *store.Store) error {
				switch action {
				case "list":
					ms, err := st.ListModels(ctx)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "VERSION\tSTATE\tSOURCE\tDIM\tNORM\tENTITIES\tCREATED")
					for _, m := range ms {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\n", m.Version, m.State, m.Source, m.Dim, m.Norm, m.Entities, m.CreatedAt.Format("2006-01-02 15:04"))
					}
					return tw.Flush()
				case "show":
					m, err := st.ModelByVersion(ctx, version)
					if err != nil {
						return err
					}
					printModel(inv.Stdout, m)
				case "activate":
					m, err := st.ActivateModel(ctx, version)
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "activated %s\n", m.Version)
				case "delete":
					if err := st.DeleteModel(ctx, version); err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "deleted %s\n", version)
				}
				return nil
			})
		},
	}
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
			return withStore(ctx, inv, func(_ Config, st *store.Store) error {
				m, err := modelOrActive(ctx, st, version)
				if err != nil {
					return err
				}
				metrics, err := learn.Evaluate(ctx, st, m, ds, split)
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

func modelOrActive(ctx context.Context, st *store.Store, version string) (store.Model, error) {
	if version == "" {
		m, err := st.ActiveModel(ctx)
		if err != nil {
			return m, fmt.Errorf("no active model (name one with --model): %w", err)
		}
		return m, nil
	}
	return st.ModelByVersion(ctx, version)
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
			return withStore(ctx, inv, func(cfg Config, st *store.Store) error {
				m, err := modelOrActive(ctx, st, version)
				if err != nil {
					return err
				}
				p := learn.Predictor{Store: st, EfSearch: cfg.Learn.EfSearch}
				tw := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
				defer tw.Flush()
				switch inv.args[0] {
				case "score":
					res, err := p.Score(ctx, m, []embed.NamedTriple{{Head: a[0], Relation: a[1], Tail: a[2]}})
					if err != nil {
						return err
					}
					fmt.Fprintf(tw, "%s(%s, %s)\tp=%.4f\tdistance %.4f\n", a[1], a[0], a[2], res[0].Probability, res[0].Distance)
				case "tail", "head":
					anchor, rel := a[0], a[1]
					if inv.args[0] == "head" {
						anchor, rel = a[1], a[0]
					}
					cs, err := p.Complete(ctx, m, anchor, rel, inv.args[0] == "tail", k, !unfiltered)
					if err != nil {
						return err
					}
					for i, c := range cs {
						fmt.Fprintf(tw, "%d\t%s\tp=%.4f\tdistance %.4f\t%s\n", i+1, c.Entity, c.Probability, c.Distance, knownText(c.Known))
					}
				case "similar":
					ns, err := p.Similar(ctx, m, a[0], k)
					if err != nil {
						return err
					}
					for i, n := range ns {
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
