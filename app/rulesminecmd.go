package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/mine"
)

// mineOptions are the flags of `pff rules mine`.
type mineOptions struct {
	cfg mine.Config
	out string
}

func (o *mineOptions) flags(fs *flag.FlagSet) {
	fs.IntVar(&o.cfg.MinSupport, "min-support", 0, "mine: fewest correct predictions a rule needs (0: 20)")
	fs.Float64Var(&o.cfg.MinConfidence, "min-confidence", 0, "mine: lowest confidence a rule needs (0: 0.95)")
	fs.IntVar(&o.cfg.MaxRules, "max-rules", 0, "mine: most rules to write, best first (0: 10000; negative: all)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 0, "mine: seed of the path sampling")
	fs.IntVar(&o.cfg.Samples, "samples", 0, "mine: anchors to draw, each with all its paths; mining stops sooner when saturated (0: 20000)")
	fs.DurationVar(&o.cfg.MaxDuration, "max-time", 0, "mine: stop sampling after this long and keep what was found (0: no limit)")
	fs.StringVar(&o.out, "out", "", "mine: write the rules to this `file` instead of standard output")
}

// mineRules learns Horn rules from the records under paths and writes them
// in AnyBURL's TSV format.
func mineRules(ctx context.Context, inv *invocation, paths []string, opts mineOptions) error {
	if err := opts.cfg.Check(); err != nil {
		return usagef("%v", err)
	}
	m := mine.New(opts.cfg)
	add := func(source string, doc []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		g, err := kg.Build(doc)
		if err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		m.Add(g)
		return nil
	}
	if err := readRecordPaths(inv, paths, add); err != nil {
		return err
	}
	if m.Records() == 0 {
		return inputError(fmt.Errorf("no records in %s", strings.Join(paths, " ")))
	}
	res, err := m.Mine(ctx)
	if err != nil {
		return err
	}
	if err := writeMined(inv.Stdout, opts.out, res); err != nil {
		return err
	}
	s := res.Stats
	fmt.Fprintf(inv.Stderr, "mined %d rules (%d kept) from %d records, %d facts: %d samples, %d bodies, %d candidate rules, %s, stopped on %s\n",
		len(res.Rules), s.Kept, s.Records, s.Facts, s.Samples, s.Bodies, s.Candidates, s.Duration.Round(time.Millisecond), s.Stop)
	return nil
}

func writeMined(stdout io.Writer, path string, res *mine.Result) error {
	if path == "" {
		return res.WriteTSV(stdout)
	}
	f, err := os.Create(path) // #nosec G304 -- the user names the file to write
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = res.WriteTSV(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
