package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/store"
)

func flowsCommand() *command {
	var name, out string
	var activate bool
	var plan int64
	return &command{
		name:    "flows",
		args:    "lint FILE... | migrate FILE | list | upload FILE | approve ID",
		summary: "Lint, migrate, list, upload or approve fix-flow files.",
		details: `  lint FILE...     every problem with its line and column; exit 0 clean,
                   1 warnings only, 2 errors (no database needed)
  migrate FILE     rewrite Python expressions of the legacy engine that expr
                   cannot read into expr; the file on standard output (or
                   --out), the changes on standard error
  list             the stored versions of flow files
  upload FILE      store a flow file as the next version of --name
                   (default: the file's name); --activate makes it the one
                   executions run
  approve ID --plan EXEC
                   let a flow file from the legacy engine run for real, after
                   reviewing the finished plan EXEC of it (admins)`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.StringVar(&name, "name", "", "`name` of the uploaded flow file (upload)")
			fs.BoolVar(&activate, "activate", false, "activate the uploaded version (upload)")
			fs.StringVar(&out, "out", "", "write the migrated file to `FILE` (migrate)")
			fs.Int64Var(&plan, "plan", 0, "the reviewed plan's execution `id` (approve)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) == 0 {
				return usagef("missing action")
			}
			action, args := inv.args[0], inv.args[1:]
			switch {
			case action == "lint" && len(args) > 0:
				return lintFlows(inv, args)
			case action == "migrate" && len(args) == 1:
				return migrateFlows(inv, args[0], out)
			case action == "list" && len(args) == 0:
				return withServices(ctx, inv, func(s *services) error { return listFlows(ctx, inv, s) })
			case action == "upload" && len(args) == 1:
				return withServices(ctx, inv, func(s *services) error { return uploadFlows(ctx, inv, s, args[0], name, activate) })
			case action == "approve" && len(args) == 1:
				id, err := strconv.ParseInt(args[0], 10, 64)
				if err != nil || plan == 0 {
					return usagef("approve takes a flow file version id and --plan EXEC")
				}
				return withServices(ctx, inv, func(s *services) error {
					svc, err := s.flows()
					if err != nil {
						return err
					}
					if err := svc.ApproveFlows(ctx, id, plan, "cli:"+currentUser()); err != nil {
						return err
					}
					fmt.Fprintf(inv.Stdout, "flow file %d may run for real\n", id)
					return nil
				})
			}
			return usagef("expected lint FILE..., migrate FILE, list, upload FILE or approve ID --plan EXEC")
		},
	}
}

// flowCatalog is what flow files may call: the embedded operation
// catalogue and the engine's own methods.
func flowCatalog() (executions.Catalog, error) {
	cat, err := bss.LoadCatalogue()
	if err != nil {
		return executions.Catalog{}, err
	}
	return executions.Catalog{BSS: cat}, nil
}

func lintFlows(inv *invocation, paths []string) error {
	cat, err := flowCatalog()
	if err != nil {
		return err
	}
	var all flows.Diagnostics
	for _, path := range paths {
		data, err := os.ReadFile(path) // #nosec G304 -- the user names the files to lint
		if err != nil {
			return inputError(err)
		}
		f, diags := flows.Parse(path, data)
		if f != nil {
			diags = flows.Lint(f, cat)
			for _, fl := range f.Flows {
				fmt.Fprintf(inv.Stderr, "%s: flow %s, %d steps\n", path, fl.Name, len(fl.Steps))
			}
		}
		all = append(all, diags...)
	}
	fmt.Fprint(inv.Stdout, all.String())
	if code := all.ExitCode(); code != 0 {
		return codedError{code: code, err: fmt.Errorf("%d problem(s)", len(all))}
	}
	return nil
}

func migrateFlows(inv *invocation, path, out string) error {
	data, err := os.ReadFile(path) // #nosec G304 -- the user names the file to migrate
	if err != nil {
		return inputError(err)
	}
	migrated, changes, err := flows.Migrate(path, data)
	if err != nil {
		return inputError(err)
	}
	for _, c := range changes {
		fmt.Fprintf(inv.Stderr, "%s: %s\n    → %s\n", c.Pos, c.Old, c.New)
	}
	fmt.Fprintf(inv.Stderr, "%d expression(s) rewritten\n", len(changes))
	if out == "" {
		_, err = inv.Stdout.Write(migrated)
		return err
	}
	return os.WriteFile(out, migrated, 0o644) // #nosec G306 G703 -- a flow file is not a secret, written where the user asked
}

func listFlows(ctx context.Context, inv *invocation, s *services) error {
	list, err := s.library.List(ctx, knowledge.KindFlows, knowledge.Filter{Limit: 1000})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(inv.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tVERSION\tACTIVE\tCREATED\tBY")
	for _, k := range list {
		active := ""
		if k.Active {
			active = "active"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\n", k.ID, k.Name, k.Version, active, k.CreatedAt.Format("2006-01-02 15:04"), k.CreatedBy)
	}
	return tw.Flush()
}

func uploadFlows(ctx context.Context, inv *invocation, s *services, path, name string, activate bool) error {
	data, err := os.ReadFile(path) // #nosec G304 -- the user names the file to upload
	if err != nil {
		return inputError(err)
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	created, err := s.library.Create(ctx, knowledge.KindFlows, knowledge.CreateRequest{Name: name, Content: string(data)}, "cli")
	if err != nil {
		return err
	}
	verb := "stored"
	if !created.New {
		verb = "unchanged:"
	}
	fmt.Fprintf(inv.Stdout, "%s flow file %s v%d (id %d)\n", verb, created.Name, created.Version, created.ID)
	if activate {
		if _, err := s.library.Activate(ctx, knowledge.KindFlows, created.ID, "cli"); err != nil {
			return err
		}
		fmt.Fprintf(inv.Stdout, "activated %s v%d\n", created.Name, created.Version)
	}
	return nil
}

// flows is the fix-flow service, or why this process has none.
func (s *services) flows() (*executions.Service, error) {
	if s.executions == nil {
		return nil, errors.New("fix flows are off: configure the BSS systems (bss.systems.<name>.clusters, or PFF_BSS__SYSTEMS__BIAS__CLUSTERS and friends)")
	}
	return s.executions, nil
}

func runFlowCommand() *command {
	var linesFile, name string
	var plan, detach bool
	var canary int
	var maxFailures float64
	return &command{
		name:    "run",
		args:    "MANIFEST | FLOW --lines FILE",
		summary: "Run a fix flow on customer lines (a legacy manifest, or a flow and a file of lines) and follow it.",
		details: `A MANIFEST is the legacy engine's YAML (execution_id, tasks of msisdn and
sequence). Otherwise FLOW names a flow of the active flow file and --lines a
file of lines: CSV or XLSX with an msisdn column (the other columns become the
line's input columns), or plain text, one MSISDN a line.

The lines run in this process (and in any pff serve or pff worker) while a
progress line is shown; --detach only starts the execution. An execution that
needs a second person's approval waits for it: pff exec approve ID. Exits 1
when lines failed or need review.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&linesFile, "lines", "", "`FILE` of lines: CSV, XLSX or one MSISDN a line")
			fs.BoolVar(&plan, "plan", false, "run the reads and record the writes without sending them")
			fs.BoolVar(&detach, "detach", false, "start the execution and return")
			fs.IntVar(&canary, "canary", 0, "pause after `N` lines, for a look")
			fs.Float64Var(&maxFailures, "max-failure-ratio", 0, "pause when more than this `share` of lines fail (0: never)")
			fs.StringVar(&name, "name", "", "a `label` for the execution")
			inv.configFlag(fs, "workers", "flows.workers", "lines worked at once in this process")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) != 1 {
				return usagef("expected one MANIFEST or FLOW")
			}
			req, err := startRequestOf(inv.args[0], linesFile)
			if err != nil {
				return err
			}
			req.Name = cmpOr(name, req.Name)
			req.Canary, req.MaxFailureRatio = canary, maxFailures
			if plan {
				req.Mode = executions.ModePlan
			}
			return withServicesOf(ctx, inv, processOptions{workers: !detach, flowsOnly: true}, func(s *services) error {
				svc, err := s.flows()
				if err != nil {
					return err
				}
				e, err := svc.Start(ctx, req, "cli:"+currentUser())
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.Stderr, "execution %d: %d lines of %s v%d (%s)\n", e.ID, e.Lines, e.FlowsName, e.FlowsVersion, e.Mode)
				if detach {
					fmt.Fprintln(inv.Stdout, e.ID)
					return nil
				}
				if err := s.jobs.Start(context.WithoutCancel(ctx)); err != nil {
					return err
				}
				defer s.stopJobs()
				e, err = followExecution(ctx, inv.Stderr, svc, e)
				if err != nil {
					return err
				}
				return reportExecution(inv.Stdout, e)
			})
		},
	}
}

// startRequestOf reads a manifest, or a flow name and a file of lines.
func startRequestOf(arg, linesFile string) (executions.StartRequest, error) {
	if linesFile == "" {
		data, err := os.ReadFile(arg) // #nosec G304 -- the user names the manifest
		if err != nil {
			return executions.StartRequest{}, usagef("%q is not a manifest file (%v); to run a flow, give --lines FILE", arg, err)
		}
		return executions.ParseManifest(data)
	}
	f, err := os.Open(linesFile) // #nosec G304 -- the user names the file of lines
	if err != nil {
		return executions.StartRequest{}, inputError(err)
	}
	defer f.Close() //nolint:errcheck // opened for reading
	lines, err := executions.ParseLines(linesFile, f)
	if err != nil {
		return executions.StartRequest{}, err
	}
	return executions.StartRequest{Flow: arg, Lines: lines}, nil
}

// followExecution shows an execution's progress until it settles: a line
// redrawn in place on a terminal, otherwise a line every five seconds.
func followExecution(ctx context.Context, w io.Writer, svc *executions.Service, e store.Execution) (store.Execution, error) {
	file, ok := w.(*os.File)
	terminal := ok && term.IsTerminal(int(file.Fd()))
	interval := 5 * time.Second
	if terminal {
		interval = 250 * time.Millisecond
	}
	start, lastDraw := time.Now(), time.Time{}
	for {
		var err error
		if e, err = svc.Get(ctx, e.ID); err != nil {
			return e, err
		}
		settled := e.Final() || e.State == store.ExecPaused || e.State == store.ExecAwaitingApproval
		if settled || time.Since(lastDraw) >= interval {
			line := progressLine(e, time.Since(start))
			if terminal {
				fmt.Fprintf(w, "\r\033[K%s", line)
			} else {
				fmt.Fprintln(w, line)
			}
			lastDraw = time.Now()
		}
		if settled {
			if terminal {
				fmt.Fprintln(w)
			}
			return e, nil
		}
		select {
		case <-ctx.Done():
			return e, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func progressLine(e store.Execution, elapsed time.Duration) string {
	const width = 30
	filled := width * e.Done / max(e.Lines, 1)
	line := fmt.Sprintf("[%s%s] %d/%d lines  %d ok  %d failed  %d to review  %s", strings.Repeat("=", filled),
		strings.Repeat(" ", width-filled), e.Done, e.Lines, e.Succeeded, e.Failed, e.NeedsReview, elapsed.Round(time.Second))
	if e.Done > 0 && e.Done < e.Lines {
		eta := time.Duration(float64(elapsed) / float64(e.Done) * float64(e.Lines-e.Done))
		line += fmt.Sprintf("  ETA %s", eta.Round(time.Second))
	}
	return line + "  " + e.State
}

// reportExecution says how an execution settled, and fails when lines did.
func reportExecution(w io.Writer, e store.Execution) error {
	switch e.State {
	case store.ExecAwaitingApproval:
		fmt.Fprintf(w, "execution %d waits for a second person's approval (%s): pff exec approve %d\n", e.ID, e.Approval, e.ID)
		return nil
	case store.ExecPaused:
		fmt.Fprintf(w, "execution %d paused: %s; pff exec resume %d to go on\n", e.ID, e.PausedReason, e.ID)
		return nil
	}
	fmt.Fprintf(w, "execution %d %s: %d lines, %d succeeded, %d failed, %d need review, %d cancelled, %d writes\n",
		e.ID, e.State, e.Lines, e.Succeeded, e.Failed, e.NeedsReview, e.Cancelled, e.Writes)
	if e.Failed+e.NeedsReview > 0 {
		return codedError{code: exitError, err: fmt.Errorf("%d lines failed or need review: pff exec show %d", e.Failed+e.NeedsReview, e.ID)}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
