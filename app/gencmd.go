package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pff/pff/app/gen"
)

func genCommand() *command {
	var (
		cfg gen.Config
		out string
	)
	return &command{
		name:    "gen",
		args:    "records",
		summary: "Generate realistic customer records with labelled faults, deterministically.",
		details: `  records --n N --seed S --faults RATE --out DIR|FILE|-

--out names where the records go:
  -                      standard output, NDJSON (labels dropped)
  FILE.ndjson|.jsonl     one compact record a line; labels in FILE.labels.jsonl
  DIR                    one customer_enquiry_<msisdn>.txt per record, as the
                         source systems write them; labels in DIR.labels.jsonl
The same flags always produce the same records.`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.IntVar(&cfg.N, "n", 100, "number of `records`")
			fs.Uint64Var(&cfg.Seed, "seed", 1, "random `seed`")
			fs.Float64Var(&cfg.FaultRate, "faults", 0.1, "fraction of records with a fault, in [0, 1]")
			fs.StringVar(&out, "out", "", "where to write: a `DIR`, an .ndjson FILE, or - for standard output")
		},
		run: func(ctx context.Context, inv *invocation) error {
			switch {
			case len(inv.args) != 1 || inv.args[0] != "records":
				return usagef("expected: gen records")
			case out == "":
				return usagef("missing --out")
			case cfg.N < 0 || cfg.N > gen.MaxRecords:
				return usagef("--n %d outside [0, %d]", cfg.N, gen.MaxRecords)
			case cfg.FaultRate < 0 || cfg.FaultRate > 1:
				return usagef("--faults %v outside [0, 1]", cfg.FaultRate)
			}
			sum, err := generate(ctx, inv, cfg, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(inv.Stderr, "wrote %d records (%d with a fault, %.1f MB) to %s\n",
				sum.Records, sum.Faulty, float64(sum.Bytes)/1e6, out)
			return nil
		},
	}
}

func generate(ctx context.Context, inv *invocation, cfg gen.Config, out string) (gen.Summary, error) {
	switch {
	case out == "-":
		return gen.WriteNDJSON(ctx, inv.Stdout, io.Discard, cfg)
	case strings.HasSuffix(out, ".ndjson") || strings.HasSuffix(out, ".jsonl"):
		return gen.WriteNDJSONFile(ctx, out, cfg)
	default:
		return gen.WriteDir(ctx, out, cfg)
	}
}
