package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
)

func constraintsCommand() *command {
	var (
		cfg constraints.Config
		out string
	)
	return &command{
		name:    "constraints",
		args:    "learn PATH... | lint FILE...",
		summary: "Learn constraints from records (what rules cannot say), or lint constraint sets.",
		details: `  learn PATH...  learns, from the records in files (one JSON document or
                NDJSON) and directories, what holds for every entity of a type
                (and status, or one other category): the presence of a
                relation, how many edges of a kind it has (exactly one active
                plan), values no two entities of a record share (a line's
                number), the shapes and vocabulary of values. A candidate
                needs --min-support entities, must be no chance against the
                entities without its condition, and must hold on the records
                held out of learning (--held-out). Writes a constraint set
                (JSON), which pff validate --constraints and the API
                (POST /api/v1/constraints, format json) read.
  lint FILE...  prints each problem as file:line:col: severity: message;
                exit 1 if any is an error`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.IntVar(&cfg.MinSupport, "min-support", 0, "learn: fewest entities a constraint must hold for (0: 50)")
			fs.Float64Var(&cfg.HoldOut, "held-out", 0, "learn: share of records held out to check candidates on (0: 0.2)")
			fs.Uint64Var(&cfg.Seed, "seed", 0, "learn: `seed` of the held-out choice")
			fs.StringVar(&out, "out", "", "learn: write the set to this `file` instead of standard output")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) < 2 {
				return usagef("expected: constraints learn PATH... or constraints lint FILE...")
			}
			switch action, paths := inv.args[0], inv.args[1:]; action {
			case "learn":
				if err := cfg.Check(); err != nil {
					return usagef("%v", err)
				}
				return learnConstraints(ctx, inv, paths, cfg, out)
			case "lint":
				var diags rules.Diagnostics
				for _, path := range paths {
					data, err := os.ReadFile(path) // #nosec G304 -- the user names the files to read
					if err != nil {
						return inputError(err)
					}
					diags = append(diags, constraints.Lint(path, data)...)
				}
				return reportDiagnostics(inv, diags)
			default:
				return usagef("unknown action %q: learn or lint", action)
			}
		},
	}
}

// learnConstraints learns a constraint set from the records under paths,
// read twice (learning, then the held-out check).
func learnConstraints(ctx context.Context, inv *invocation, paths []string, cfg constraints.Config, out string) error {
	builder := kg.Builder{}
	corpus := func(yield func(*kg.Graph) error) error {
		return readRecordPaths(inv, paths, func(source string, doc []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			g, err := builder.Build(doc)
			if err != nil {
				return fmt.Errorf("%s: %w", source, err)
			}
			return yield(g)
		})
	}
	doc, err := constraints.Learn(ctx, cfg, corpus)
	if err != nil {
		if errors.Is(err, constraints.ErrNoRecords) {
			return inputError(fmt.Errorf("no records in %s", strings.Join(paths, " ")))
		}
		return err
	}
	data, err := doc.Marshal()
	if err != nil {
		return err
	}
	if out == "" {
		_, err = inv.Stdout.Write(data)
	} else {
		err = os.WriteFile(out, data, 0o644) // #nosec G306 -- a document the user asked for
	}
	if err != nil {
		return err
	}
	l := doc.Learned
	fmt.Fprintf(inv.Stderr, "learned %d constraints from %d records; %d candidates, %d dropped by the %d held-out records\n",
		len(doc.Constraints), l.Records, l.Candidates, l.Dropped, l.HeldOut)
	return nil
}
