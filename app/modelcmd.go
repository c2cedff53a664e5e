package app

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
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
			return withServices(ctx, inv, func(s *services) error {
				switch action {
				case "list":
					ms, err := s.learn.Models(ctx)
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
					m, err := s.learn.Model(ctx, version)
					if err != nil {
						return err
					}
					printModel(inv.Stdout, m)
				case "activate":
					m, err := s.learn.Activate(ctx, version)
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "activated %s\n", m.Version)
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
