package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/embed"
	"github.com/pff/pff/store"
)

func kgCommand() *command {
	var maxValues, top int
	var asJSON bool
	var seed uint64
	var validFrac, testFrac float64
	return &command{
		name:    "kg",
		args:    "build|stats|import DIR|export DIR",
		summary: "Build, inspect, import or export the corpus knowledge graph.",
		details: `  build       write the triples of all current records to the triples table
              (one transaction; replaces the previous build)
  stats       entities, relations, triples, degrees and top relations
              (--json for scripts)
  import DIR  replace the graph with a benchmark dataset (DIR/train.tsv,
              valid.tsv, test.tsv: head<TAB>relation<TAB>tail per line)
  export DIR  write the learning view in that layout, split with --seed`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.IntVar(&maxValues, "max-category-values", 0, "`N` distinct objects at most for a categorical predicate to be learned (default learn.max_category_values)")
			fs.IntVar(&top, "top", 10, "`N` relations to list (stats)")
			fs.BoolVar(&asJSON, "json", false, "print the statistics as JSON (stats)")
			fs.Uint64Var(&seed, "seed", 1, "`seed` of the split (export)")
			fs.Float64Var(&validFrac, "valid", 0.1, "`share` of triples for valid.tsv (export)")
			fs.Float64Var(&testFrac, "test", 0.1, "`share` of triples for test.tsv (export)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			action, dir, err := subcommand(inv, map[string]bool{"build": false, "stats": false, "import": true, "export": true})
			if err != nil {
				return err
			}
			if top < 1 || top > 1000 {
				return usagef("--top %d is outside 1..1000", top)
			}
			return withServices(ctx, inv, func(s *services) error {
				st := s.store
				switch action {
				case "build":
					if maxValues == 0 {
						maxValues = s.cfg.Learn.MaxCategoryValues
					}
					started := time.Now()
					b, skipped, err := learn.BuildKG(ctx, st, learn.CorpusConfig{MaxCategoryValues: maxValues})
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "built the knowledge graph of %d records in %v: %d triples, %d learnable (corpus %.12s)\n",
						b.Records, time.Since(started).Round(time.Millisecond), b.Triples, b.Learnable, b.Fingerprint)
					if skipped > 0 {
						fmt.Fprintf(inv.Stdout, "skipped %d records that are not customer records\n", skipped)
					}
				case "stats":
					stats, err := s.learn.GraphStats(ctx, top)
					if err != nil {
						return err
					}
					if asJSON {
						return writeJSON(inv.Stdout, stats)
					}
					printKGStats(inv.Stdout, stats)
				case "import":
					ds, err := embed.LoadDataset(dir, embed.DatasetOptions{})
					if err != nil {
						return inputError(err)
					}
					b, err := learn.ImportDataset(ctx, st, ds)
					if err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "imported %d triples from %s\n", b.Triples, dir)
				case "export":
					cg, err := learn.LoadCorpusGraph(ctx, st)
					if err != nil {
						return err
					}
					ds, err := embed.SplitTriples(cg.Triples, embed.SplitConfig{ValidFraction: orNone(validFrac), TestFraction: orNone(testFrac), Seed: seed})
					if err != nil {
						return inputError(err)
					}
					if err := ds.WriteDir(dir); err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "wrote %d train, %d valid, %d test triples to %s\n", len(ds.Train), len(ds.Valid), len(ds.Test), dir)
				}
				return nil
			})
		},
	}
}

// orNone turns a share of 0 into embed's "none".
func orNone(f float64) float64 {
	if f == 0 {
		return -1
	}
	return f
}

func printKGStats(w io.Writer, s store.KGStats) {
	if s.Build == nil {
		fmt.Fprintln(w, "no build yet: run pff kg build")
	} else {
		fmt.Fprintf(w, "build %d of %d records at %s (categories of at most %d values)\n\n",
			s.Build.ID, s.Build.Records, s.Build.BuiltAt.Format(time.RFC3339), s.Build.MaxValues)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tcount\t")
	fmt.Fprintf(tw, "distinct facts\t%d\t\n", s.Triples)
	fmt.Fprintf(tw, "occurrences in records\t%d\t\n", s.Facts)
	for _, class := range slices.Sorted(maps.Keys(s.ByClass)) {
		fmt.Fprintf(tw, "  %s facts\t%d\t\n", class, s.ByClass[class])
	}
	l := s.Learning
	fmt.Fprintf(tw, "learning view: entities\t%d\t\n", l.Entities)
	fmt.Fprintf(tw, "learning view: relations\t%d\t\n", l.Relations)
	fmt.Fprintf(tw, "learning view: triples\t%d\t\n", l.Triples)
	tw.Flush()
	if len(l.Degrees) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "degree\tentities\t")
		for _, d := range l.Degrees {
			fmt.Fprintf(tw, "%d–%d\t%d\t\n", d.Min, d.Max, d.Entities)
		}
		tw.Flush()
	}
	if len(l.TopRelations) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RELATION\tTRIPLES")
		for _, r := range l.TopRelations {
			fmt.Fprintf(tw, "%s\t%d\n", r.Relation, r.Triples)
		}
		tw.Flush()
	}
}

// writeJSON writes v as indented JSON, for scripts.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// hyperparameterFlags declares the training flags on fs.
func hyperparameterFlags(fs *flag.FlagSet, h *learn.Hyperparameters) {
	fs.IntVar(&h.Dim, "dim", 0, "embedding `dimension` (default 128)")
	fs.StringVar(&h.Norm, "norm", "", "`distance`: L1 or L2 (default L1)")
	fs.StringVar(&h.Loss, "loss", "", "`loss`: margin or logistic (default margin)")
	fs.StringVar(&h.Sampler, "sampler", "", "corruption `sampler`: bern or uniform (default bern)")
	fs.StringVar(&h.Optimizer, "optimizer", "", "`optimizer`: adagrad, adagrad-row (one state value per row), adam, adam-dense (every row at every step, as PyTorch's dense Adam) or sgd (default adagrad)")
	fs.Func("margin", "`γ` of the loss (default 5)", float32Flag(&h.Margin))
	fs.IntVar(&h.Negatives, "negatives", 0, "`k` corruptions per positive (default 32)")
	fs.Func("adversarial-temperature", "`α` of self-adversarial weighting (default 0: off)", float32Flag(&h.AdversarialTemperature))
	fs.Func("lr", "learning `rate` (default 0.1 for adagrad, 0.001 adam, 0.01 sgd)", float32Flag(&h.LearningRate))
	fs.IntVar(&h.BatchSize, "batch-size", 0, "positive triples per `batch` (default 256)")
	fs.IntVar(&h.Epochs, "epochs", 0, "at most `N` epochs (default 100)")
	fs.IntVar(&h.EvalEvery, "eval-every", 0, "validate every `N` epochs (default 10, -1 never)")
	fs.IntVar(&h.Patience, "patience", 0, "stop after `N` validations without improvement (default 3, -1 never)")
	fs.IntVar(&h.ValidSample, "valid-sample", 0, "rank a seeded sample of `N` validation triples at each validation (default 2000)")
	fs.Func("lr-decay", "multiply the learning rate by `f` after a validation without improvement (default 0.5)", float32Flag(&h.LRDecay))
	fs.Uint64Var(&h.Seed, "seed", 0, "`seed` of initialisation, sampling and the corpus split")
}

func float32Flag(p *float32) func(string) error {
	return func(s string) error {
		var f float64
		if _, err := fmt.Sscan(s, &f); err != nil {
			return fmt.Errorf("not a number: %q", s)
		}
		*p = float32(f)
		return nil
	}
}

func trainCommand() *command {
	var (
		hp       learn.Hyperparameters
		dataset  string
		corpus   bool
		async    bool
		activate bool
	)
	return &command{
		name:    "train",
		args:    "[--dataset DIR | --corpus] [hyperparameters]",
		summary: "Train a TransE model and register it; --async enqueues the job instead.",
		details: `Trains on the corpus's learning view (run pff kg build first) or, with
--dataset, on a benchmark dataset. The model is stored with its embeddings,
metrics (with the loss and validation MRR of every epoch) and calibration in
the registry, ready to activate (--activate, or pff models activate
VERSION). Standard error shows a progress bar and, as each phase ends (load,
train, evaluate, calibrate, save), its time and peak memory. Validation
ranks a seeded sample of --valid-sample triples every --eval-every epochs;
each one without improvement multiplies the learning rate by --lr-decay, and
--patience of them in a row stop training. On a graph whose embeddings pass
64 MiB no copy of the best model is kept (the last one is stored) and the
default optimizer is adagrad-row. Ctrl-C stops; a training job (--async)
resumes from its last checkpoint when retried.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&dataset, "dataset", "", "train on the dataset in `DIR` (train.tsv, valid.tsv, test.tsv)")
			fs.BoolVar(&corpus, "corpus", false, "train on the corpus's knowledge graph (the default)")
			fs.BoolVar(&async, "async", false, "enqueue a training job on the corpus and print its id")
			fs.BoolVar(&activate, "activate", false, "activate the model when it is ready")
			hyperparameterFlags(fs, &hp)
		},
		run: func(ctx context.Context, inv *invocation) error {
			switch {
			case len(inv.args) > 0:
				return usagef("unexpected argument %q", inv.args[0])
			case dataset != "" && corpus:
				return usagef("--dataset and --corpus exclude each other")
			case dataset != "" && async:
				return usagef("--async trains on the corpus: a worker cannot read --dataset")
			}
			if _, err := hp.EmbedConfig(); err != nil {
				return usagef("%v", flagNames(err))
			}
			var ds *embed.Dataset
			if dataset != "" {
				var err error
				if ds, err = embed.LoadDataset(dataset, embed.DatasetOptions{AllowUnseen: true}); err != nil {
					return inputError(err)
				}
			}
			return withServices(ctx, inv, func(s *services) error {
				st := s.store
				if async {
					q, err := s.learn.Train(ctx, hp, "cli")
					if err != nil {
						return err
					}
					if q.Duplicate {
						fmt.Fprintf(inv.Stdout, "job %d already trains this corpus with these settings\n", q.JobID)
						return nil
					}
					fmt.Fprintf(inv.Stdout, "enqueued training job %d\n", q.JobID)
					return nil
				}
				bar := newTrainProgress(inv.Stderr)
				bar.phase(learn.PhaseStat{Name: "start"})
				m, err := learn.Train(ctx, st, learn.TrainRequest{Hyperparameters: hp, Dataset: ds, DatasetName: filepath.Base(dataset),
					CreatedBy: "cli", Progress: bar.update, Phase: bar.phase})
				bar.finish()
				if err != nil {
					if m.ID != 0 {
						_ = st.FailModel(context.WithoutCancel(ctx), m.ID, err.Error())
					}
					return err
				}
				if m, err = st.ModelByVersion(ctx, m.Version); err != nil {
					return err
				}
				if activate {
					if m, err = st.ActivateModel(ctx, m.Version); err != nil {
						return err
					}
				}
				printModel(inv.Stdout, m)
				return nil
			})
		},
	}
}

// flagNames names hyperparameters in a message as the flags that set them
// (batch_size → --batch-size).
func flagNames(err error) string {
	msg := err.Error()
	for _, name := range []string{"batch_size", "learning_rate", "adversarial_temperature", "valid_sample", "lr_decay", "negatives", "epochs", "margin", "dim", "norm", "loss", "sampler", "optimizer"} {
		if strings.HasPrefix(msg, name+" ") {
			flag := "--" + strings.ReplaceAll(name, "_", "-")
			if name == "learning_rate" {
				flag = "--lr"
			}
			return flag + msg[len(name):]
		}
	}
	return msg
}

// trainProgress shows training on standard error: a line redrawn in place
// on a terminal, otherwise a line every ten seconds and at each validation;
// and a line for each phase as it ends (load, train, evaluate, calibrate,
// save) with its time and peak memory.
type trainProgress struct {
	w        io.Writer
	terminal bool
	drawn    bool
	printed  time.Time // of the last line off a terminal
	valid    string    // the last validation, shown until the next
}

// trainProgressEvery is how often the progress prints a line off a terminal.
const trainProgressEvery = 10 * time.Second

func newTrainProgress(w io.Writer) *trainProgress {
	f, ok := w.(*os.File)
	return &trainProgress{w: w, terminal: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *trainProgress) update(pr embed.Progress) {
	epoch := fmt.Sprintf("%d", pr.Epoch)
	if pr.Partial() {
		epoch = fmt.Sprintf("%.1f", float64(pr.Epoch)+float64(pr.Batch)/float64(pr.Batches))
	}
	if pr.Valid != nil {
		p.valid = fmt.Sprintf("  valid MRR %.4f Hits@10 %.4f (epoch %d)", pr.Valid.MRR, pr.Valid.Hits10, pr.Epoch)
	}
	width := 20
	done := min(width, int(float64(width)*(float64(pr.Epoch)+float64(pr.Batch)/float64(max(pr.Batches, 1)))/float64(pr.Epochs)))
	line := fmt.Sprintf("[%s%s] epoch %s/%d  loss %.4f%s  %v elapsed  ETA %v", strings.Repeat("#", done), strings.Repeat(".", width-done),
		epoch, pr.Epochs, pr.Loss, p.valid, pr.Elapsed.Round(time.Second), pr.ETA.Round(time.Second))
	switch {
	case p.terminal:
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
	case pr.Valid != nil || time.Since(p.printed) >= trainProgressEvery || pr.Epoch == pr.Epochs && !pr.Partial():
		fmt.Fprintln(p.w, line)
		p.printed = time.Now()
	}
}

// phase prints a phase as it ends; "start" says training has begun.
func (p *trainProgress) phase(ph learn.PhaseStat) {
	p.finish()
	if ph.Name == "start" {
		fmt.Fprintln(p.w, "loading the training data ...")
		p.printed = time.Now()
		return
	}
	fmt.Fprintf(p.w, "%-9s %7.1f s  peak %4.0f MiB\n", ph.Name, ph.Seconds, ph.PeakMiB)
	p.printed = time.Now()
}

func (p *trainProgress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func printModel(w io.Writer, m store.Model) {
	fmt.Fprintf(w, "model %s: %s, %s, dim %d %s, %d entities, %d relations\n", m.Version, m.State, m.Source, m.Dim, m.Norm, m.Entities, m.Relations)
	var metrics learn.TrainMetrics
	if json.Unmarshal(m.Metrics, &metrics) == nil && metrics.Test != nil {
		t := metrics.Test
		fmt.Fprintf(w, "test (filtered): MRR %.4f  MR %.1f  Hits@1 %.4f  Hits@3 %.4f  Hits@10 %.4f  (%d queries)\n", t.MRR, t.MR, t.Hits1, t.Hits3, t.Hits10, t.Queries)
		fmt.Fprintf(w, "trained %d epochs (best %d) in %.1fs, evaluated in %.1fs\n", metrics.Epochs, metrics.BestEpoch, metrics.TrainSeconds, metrics.EvalSeconds)
	}
	var cal learn.Calibrations
	if json.Unmarshal(m.Calibration, &cal) == nil {
		for _, c := range []struct {
			name string
			fit  *learn.CalibrationFit
		}{{"facts", cal.Direct}, {"records", cal.Records}} {
			if f := c.fit; f != nil {
				fmt.Fprintf(w, "calibration (%s): Brier %.4f  log loss %.4f  ECE %.4f  on %d+%d\n", c.name, f.Brier, f.LogLoss, f.ECE, f.Positives, f.Negatives)
			}
		}
	}
}
