package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/store"
)

func execCommand() *command {
	var format, out, state string
	var follow bool
	return &command{
		name:    "exec",
		args:    "list | show ID | cancel|pause|resume|approve|apply|retry ID | export ID",
		summary: "List, inspect, steer and export executions of fix flows.",
		details: `  list             executions, newest first (--state to filter)
  show ID          an execution's counters and its lines that did not succeed
  cancel ID        stop it: waiting lines at once, running lines at their next step
  pause ID         running lines stop at their next step and wait
  resume ID        go on (past a canary's pause)
  approve ID       let an execution that waits for a second person run
  apply ID         run a finished plan for real
  retry ID         run failed and needs_review lines again from where they stopped
  export ID        write the lines (--format csv, xlsx or jsonl; --out FILE)`,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.StringVar(&format, "format", executions.FormatCSV, "export `format`: csv, xlsx or jsonl")
			fs.StringVar(&out, "out", "", "export to `FILE` instead of standard output")
			fs.StringVar(&state, "state", "", "list only executions in this `state`")
			fs.BoolVar(&follow, "follow", false, "after a control, work the lines in this process and follow the execution until it settles")
		},
		run: func(ctx context.Context, inv *invocation) error {
			actions := map[string]bool{"list": false, "show": true, "cancel": true, "pause": true, "resume": true,
				"approve": true, "apply": true, "retry": true, "export": true}
			action, target, err := subcommand(inv, actions)
			if err != nil {
				return err
			}
			var id int64
			if target != "" {
				if id, err = strconv.ParseInt(target, 10, 64); err != nil || id < 1 {
					return usagef("%q is not an execution id", target)
				}
			}
			opts := processOptions{maxConns: 2}
			if follow {
				opts = processOptions{workers: true, flowsOnly: true}
			}
			return withServicesOf(ctx, inv, opts, func(s *services) error {
				svc, err := s.flows()
				if err != nil {
					return err
				}
				var e store.Execution
				switch action {
				case "list":
					return listExecutions(ctx, inv.Stdout, svc, state)
				case "show":
					return showExecution(ctx, inv.Stdout, svc, id)
				case "export":
					return exportExecution(ctx, inv, svc, id, format, out)
				case "cancel":
					e, err = svc.Cancel(ctx, id)
				case "pause":
					e, err = svc.Pause(ctx, id)
				case "resume":
					e, err = svc.Resume(ctx, id)
				case "approve":
					e, err = svc.Approve(ctx, id, "cli:"+currentUser())
				case "apply":
					e, err = svc.Apply(ctx, id)
				case "retry":
					var n int
					e, n, err = svc.Retry(ctx, id, nil)
					if err == nil {
						fmt.Fprintf(inv.Stdout, "retrying %d lines\n", n)
					}
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(inv.Stdout, "execution %d is %s\n", e.ID, e.State)
				if follow {
					if err := s.jobs.Start(context.WithoutCancel(ctx)); err != nil {
						return err
					}
					defer s.stopJobs()
					if e, err = followExecution(ctx, inv.Stderr, svc, e); err != nil {
						return err
					}
					return reportExecution(inv.Stdout, e)
				}
				return nil
			})
		},
	}
}

// currentUser names the person at the terminal, for approvals from the
// command line: someone other than the one who started the execution.
func currentUser() string {
	for _, name := range []string{"SUDO_USER", "USER", "USERNAME"} {
		if u := os.Getenv(name); u != "" {
			return u
		}
	}
	return "unknown"
}

func listExecutions(ctx context.Context, w io.Writer, svc *executions.Service, state string) error {
	list, err := svc.List(ctx, store.ExecutionFilter{State: state, Limit: 100})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tFLOWS\tMODE\tSTATE\tLINES\tDONE\tFAILED\tREVIEW\tCREATED")
	for _, e := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s v%d\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", e.ID, e.Name, e.FlowsName, e.FlowsVersion, e.Mode, e.State,
			e.Lines, e.Done, e.Failed, e.NeedsReview, e.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

func showExecution(ctx context.Context, w io.Writer, svc *executions.Service, id int64) error {
	e, err := svc.Get(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "execution %d %q: %s of %s v%d, %s\n", e.ID, e.Name, e.Mode, e.FlowsName, e.FlowsVersion, e.State)
	if e.PausedReason != "" {
		fmt.Fprintf(w, "paused: %s\n", e.PausedReason)
	}
	if e.Approval != "" {
		fmt.Fprintf(w, "needs approval: %s (approved by %s)\n", e.Approval, cmpOr(e.ApprovedBy, "nobody yet"))
	}
	fmt.Fprintf(w, "%d lines: %d done, %d succeeded, %d failed, %d need review, %d cancelled; %d writes\n",
		e.Lines, e.Done, e.Succeeded, e.Failed, e.NeedsReview, e.Cancelled, e.Writes)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := false
	for _, st := range []string{store.LineFailed, store.LineNeedsReview, store.LineWaitingApproval} {
		lines, err := svc.Lines(ctx, id, store.LineFilter{State: st, Limit: 50})
		if err != nil {
			return err
		}
		for _, l := range lines {
			if !header {
				fmt.Fprintln(tw, "\nLINE\tMSISDN\tFLOW\tSTATE\tSTOPPED AT\tERROR")
				header = true
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s %s\n", l.LineNo, l.MSISDN, l.Flow, l.State, l.StoppedAt, l.ErrorCode, l.ErrorMessage)
		}
	}
	return tw.Flush()
}

func exportExecution(ctx context.Context, inv *invocation, svc *executions.Service, id int64, format, out string) error {
	if out == "" {
		return svc.Export(ctx, id, format, inv.Stdout)
	}
	f, err := os.Create(out) // #nosec G304 -- the user names the file to write
	if err != nil {
		return err
	}
	err = svc.Export(ctx, id, format, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Fprintf(inv.Stderr, "wrote %s\n", out)
	}
	return err
}
