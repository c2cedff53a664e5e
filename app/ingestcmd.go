package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
)

func ingestCommand() *command {
	var dryRun bool
	return &command{
		name:    "ingest",
		args:    "PATH...",
		summary: "Load customer records from files, directories and ZIPs into the database.",
		details: `Each PATH is a file (JSON, NDJSON, gzip), a directory (walked for .json, .txt,
.ndjson, .jsonl, .gz and .zip files) or a ZIP archive. Records are written in
batches of ingest.batch_size, each batch one transaction that also queues the
records' validation. An unchanged record is left alone; a changed one becomes
a new version. Progress goes to standard error; the summary and every
rejected input to standard output. Exits 1 if any input was rejected.

--dry-run reads and validates the records with the embedded default rules and
checks, without a database, and writes nothing.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.BoolVar(&dryRun, "dry-run", false, "read and validate the records; write nothing")
			inv.configFlag(fs, "batch-size", "ingest.batch_size", "records per `transaction`")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) == 0 {
				return usagef("missing PATH")
			}
			cfg, err := inv.config()
			if err != nil {
				return err
			}
			if dryRun {
				return dryRunIngest(ctx, inv, cfg)
			}
			return withServices(ctx, inv, func(s *services) error {
				progress := startProgress(inv.Stderr, estimateRecords(inv.args))
				res, err := s.records.Ingest(ctx, func(add func(ingest.Document) error, reject func(ingest.Rejection)) error {
					return ingest.ReadPaths(ctx, inv.args, cfg.Ingest.Limits(),
						func(d ingest.Document) error {
							progress.add(len(d.Data))
							return add(d)
						},
						func(r ingest.Rejection) {
							progress.add(0)
							reject(r)
						})
				})
				elapsed := progress.stop()
				printIngestResult(inv.Stdout, res, elapsed, progress.bytes())
				if err != nil {
					return fmt.Errorf("stopped after %d documents (every batch before is written): %w", res.Written, err)
				}
				if len(res.Rejected) > 0 {
					return codedError{code: exitError, err: fmt.Errorf("%d inputs rejected", len(res.Rejected))}
				}
				return nil
			})
		},
	}
}

func printIngestResult(w io.Writer, res records.Result, elapsed time.Duration, bytes int64) {
	secs := max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "%d received: %d inserted, %d updated, %d unchanged, %d rejected in %s (%.0f records/s, %.1f MB/s)\n",
		res.Received, res.Inserted, res.Updated, res.Unchanged, len(res.Rejected),
		elapsed.Round(time.Millisecond), float64(res.Received)/secs, float64(bytes)/1e6/secs)
	for _, r := range res.Rejected {
		fmt.Fprintf(w, "rejected %s: %s\n", r.Source, r.Reason)
	}
}

// dryRunIngest reads and validates the records on every core, offline.
func dryRunIngest(ctx context.Context, inv *invocation, cfg config.Config) error {
	defaults, err := validation.DefaultSource()
	if err != nil {
		return err
	}
	var (
		mu       sync.Mutex
		tally    = map[validation.Decision]int{}
		rejected []records.Rejection
	)
	reject := func(r ingest.Rejection) {
		mu.Lock()
		defer mu.Unlock()
		rejected = append(rejected, records.Rejection{Source: r.Source, Reason: r.Reason})
	}
	progress := startProgress(inv.Stderr, estimateRecords(inv.args))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	err = ingest.ReadPaths(gctx, inv.args, cfg.Ingest.Limits(),
		func(d ingest.Document) error {
			progress.add(len(d.Data))
			g.Go(func() error {
				report, err := defaults.V.Validate(gctx, d.Data)
				if err != nil {
					if gctx.Err() != nil {
						return gctx.Err()
					}
					reject(ingest.Rejection{Source: d.Source, Reason: err.Error()})
					return nil
				}
				mu.Lock()
				defer mu.Unlock()
				tally[report.Decision]++
				return nil
			})
			return nil
		},
		func(r ingest.Rejection) {
			progress.add(0)
			reject(r)
		})
	err = errors.Join(err, g.Wait())
	elapsed := progress.stop()
	if err != nil {
		return err
	}
	total := tally[validation.Accept] + tally[validation.Review] + tally[validation.Reject]
	fmt.Fprintf(inv.Stdout, "dry run: %d received, %d rejected in %s; %d validated: %d accepted, %d to review, %d rejected\n",
		total+len(rejected), len(rejected), elapsed.Round(time.Millisecond),
		total, tally[validation.Accept], tally[validation.Review], tally[validation.Reject])
	for _, r := range rejected {
		fmt.Fprintf(inv.Stdout, "rejected %s: %s\n", r.Source, r.Reason)
	}
	if len(rejected) > 0 {
		return codedError{code: exitError, err: fmt.Errorf("%d inputs rejected", len(rejected))}
	}
	return nil
}
