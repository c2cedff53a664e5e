package executions_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// appliedByKey counts the simulator's applied writes by Idempotency-Key,
// for the keys of one execution.
func appliedByKey(sim *bsssim.Sim, executionID int64) map[string]int {
	prefix := fmt.Sprintf("pff:%d:", executionID)
	out := map[string]int{}
	for _, e := range sim.Ledger() {
		if strings.HasPrefix(e.IdempotencyKey, prefix) {
			out[e.IdempotencyKey]++
		}
	}
	return out
}

// writeKeys are the Idempotency-Keys of a line's journaled writes of its
// current generation that completed as applied.
func (b *bench) writeKeys(executionID, lineID int64) []string {
	b.t.Helper()
	detail, err := b.svc.Line(context.Background(), executionID, lineID)
	require.NoError(b.t, err)
	var keys []string
	for _, st := range detail.Steps {
		if st.Generation == detail.Generation && st.IdempotencyKey != "" && st.State == store.StepCompleted {
			keys = append(keys, st.IdempotencyKey)
		}
	}
	return keys
}

// requireEachWriteOnce requires every applied write of the execution to be
// in the ledger once, and every succeeded line's writes to be there.
func (b *bench) requireEachWriteOnce(e store.Execution, writesPerLine int) {
	b.t.Helper()
	applied := appliedByKey(b.sim, e.ID)
	for key, n := range applied {
		require.Equal(b.t, 1, n, "write %s was applied %d times", key, n)
	}
	for _, l := range b.lines(e.ID) {
		if l.State != store.LineSucceeded {
			continue
		}
		keys := b.writeKeys(e.ID, l.ID)
		require.Len(b.t, keys, writesPerLine, describeLine(l))
		for _, k := range keys {
			require.Equal(b.t, 1, applied[k], "%s: write %s", describeLine(l), k)
		}
	}
}

func (b *bench) start(req executions.StartRequest) store.Execution {
	b.t.Helper()
	e, err := b.svc.Start(context.Background(), req, "user:alice")
	require.NoError(b.t, err)
	return e
}

func countStates(lines []store.Line) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		out[l.State]++
	}
	return out
}

func writeRequests(sim *bsssim.Sim) []bsssim.RequestRecord {
	var out []bsssim.RequestRecord
	for _, r := range sim.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

func TestPlanSendsNoWriteAndApplyFlagsExactlyTheLinesThatChanged(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 30)
	ctx := context.Background()

	plan := b.start(executions.StartRequest{Flow: "Terminate_First_Active", Lines: synthInputs(lines), Mode: executions.ModePlan})
	plan = b.wait(plan.ID, 30*time.Second)
	require.Equal(t, store.ExecPlanned, plan.State)
	require.Equal(t, 30, plan.Done)
	require.Empty(t, writeRequests(b.sim), "a plan sends no write")
	require.Empty(t, b.sim.Ledger())
	planned, err := b.svc.Line(ctx, plan.ID, b.lines(plan.ID)[0].ID)
	require.NoError(t, err)
	require.Contains(t, string(planned.Steps[len(planned.Steps)-1].Request), lines[0].ProductID, "the plan lists the write it would make")

	// Someone changes BSS after the plan: lines 3 to 5 lose the product the
	// plan would terminate (so the apply would terminate another), lines 10
	// and 11 lose both (so the apply would write nothing).
	changed := map[string]bool{}
	terminate := func(l synthLine, product string) {
		res, err := b.client.Call(ctx, "line.set_product_status", map[string]any{"activate": false, "product_id": product,
			"customer_id": l.CustomerID, "contract_id": l.ContractID}, "")
		require.NoError(t, err)
		require.True(t, res.OK(), "%+v", res)
		changed[l.MSISDN] = true
	}
	for _, l := range lines[3:6] {
		terminate(l, l.ProductID)
	}
	for _, l := range lines[10:12] {
		terminate(l, l.ProductID)
		terminate(l, l.SecondProductID)
	}
	outside := len(b.sim.Ledger())

	applied, err := b.svc.Apply(ctx, plan.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExecRunning, applied.State)
	applied = b.wait(plan.ID, 30*time.Second)
	require.Equal(t, store.ExecPartiallyFailed, applied.State)
	for _, l := range b.lines(plan.ID) {
		if changed[l.MSISDN] {
			require.Equal(t, store.LineNeedsReview, l.State, describeLine(l))
			require.Equal(t, "differs_from_plan", l.ErrorCode, describeLine(l))
			require.Zero(t, l.Writes, "a line whose writes differ from its plan sends none: %s", describeLine(l))
		} else {
			require.Equal(t, store.LineSucceeded, l.State, describeLine(l))
			require.Equal(t, 1, l.Writes)
		}
	}
	require.Len(t, b.sim.Ledger(), outside+30-len(changed), "only the unchanged lines wrote")
	b.requireEachWriteOnce(applied, 1)
}

func TestApplyPausedAndResumedDoesNotMistakeItsOwnWritesForMissingOnes(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{workers: 4})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 40)
	ctx := context.Background()
	plan := b.start(executions.StartRequest{Flow: "Three_Writes", Lines: synthInputs(lines), Mode: executions.ModePlan})
	require.Equal(t, store.ExecPlanned, b.wait(plan.ID, 30*time.Second).State)

	// Slow writes, so that the pause comes while lines are between writes.
	_, err := b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultLatency, Latency: 40 * time.Millisecond, Method: http.MethodPatch})
	require.NoError(t, err)
	_, err = b.svc.Apply(ctx, plan.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(b.sim.Ledger()) >= 10 }, 20*time.Second, 5*time.Millisecond)
	_, err = b.svc.Pause(ctx, plan.ID)
	require.NoError(t, err)
	paused := b.wait(plan.ID, 10*time.Second)
	require.Equal(t, store.ExecPaused, paused.State)
	b.sim.ClearFaults()
	_, err = b.svc.Resume(ctx, plan.ID)
	require.NoError(t, err)
	e := b.wait(plan.ID, 30*time.Second)
	for _, l := range b.lines(plan.ID) {
		require.Equal(t, store.LineSucceeded, l.State, "a write this apply made before its pause is one of the plan's: %s", describeLine(l))
	}
	require.Equal(t, store.ExecSucceeded, e.State)
	b.requireEachWriteOnce(e, 3)
}

func TestCancelStopsAnExecutionWithinTwoSecondsAndNoWriteFollows(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{workers: 8})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 400)
	_, err := b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultLatency, Latency: 25 * time.Millisecond})
	require.NoError(t, err)
	e := b.start(executions.StartRequest{Flow: "Three_Writes", Lines: synthInputs(lines)})
	require.Eventually(t, func() bool { return len(b.sim.Ledger()) >= 60 }, 30*time.Second, 5*time.Millisecond)

	_, err = b.svc.Cancel(context.Background(), e.ID)
	require.NoError(t, err)
	cancelled := time.Now()
	var final store.Execution
	require.Eventually(t, func() bool {
		final, err = b.store.ExecutionByID(context.Background(), e.ID)
		require.NoError(t, err)
		return final.Done == final.Lines
	}, 2*time.Second, 10*time.Millisecond, "every line stops within 2 s of the cancel")
	took := time.Since(cancelled)
	require.Equal(t, store.ExecCancelled, final.State)

	// A step that began before the cancel may still send its write (the
	// request leaves within milliseconds of the step's start); none that
	// began after it. The engine rereads the execution's state at most
	// StateRecheck (200 ms) late in other processes; in this one the
	// cancel clears it at once.
	var late []string
	for _, r := range writeRequests(b.sim) {
		if r.Time.After(cancelled.Add(100 * time.Millisecond)) {
			late = append(late, fmt.Sprintf("%s %s at +%v", r.Method, r.IdempotencyKey, r.Time.Sub(cancelled)))
		}
	}
	require.Empty(t, late, "writes sent after the cancel")
	counts := countStates(b.lines(e.ID))
	t.Logf("cancel took effect in %v: %v", took.Round(time.Millisecond), counts)
	require.Positive(t, counts[store.LineCancelled])
	require.Positive(t, counts[store.LineSucceeded])
	b.requireEachWriteOnce(final, 3)
}

func TestPauseHoldsEveryWriteAndResumeRunsTheRestOnce(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{workers: 8})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 200)
	ctx := context.Background()
	_, err := b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultLatency, Latency: 10 * time.Millisecond})
	require.NoError(t, err)
	e := b.start(executions.StartRequest{Flow: "Three_Writes", Lines: synthInputs(lines)})
	require.Eventually(t, func() bool { return len(b.sim.Ledger()) >= 60 }, 30*time.Second, 5*time.Millisecond)
	_, err = b.svc.Pause(ctx, e.ID)
	require.NoError(t, err)
	paused := b.wait(e.ID, 2*time.Second)
	require.Equal(t, store.ExecPaused, paused.State)
	if !assert.Eventually(t, func() bool { return countStates(b.lines(e.ID))[store.LineRunning] == 0 }, 2*time.Second, 10*time.Millisecond,
		"running lines go back to the queue at their next step boundary") {
		for _, l := range b.lines(e.ID) {
			if l.State == store.LineRunning {
				d, _ := b.svc.Line(ctx, e.ID, l.ID)
				t.Logf("%s job %v steps %d", describeLine(l), *l.JobID, len(d.Steps))
			}
		}
		views, _ := b.jobs.List(ctx, jobs.Filter{State: "running", Limit: 20})
		for _, v := range views {
			t.Logf("job %d %s %s attempt %d errors %v", v.ID, v.Kind, v.State, v.Attempt, v.Errors)
		}
		rows, err := b.pool.Query(ctx, `SELECT pid, state, wait_event_type, coalesce(wait_event, ''), left(query, 120), now() - xact_start
			FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle'`)
		require.NoError(t, err)
		for rows.Next() {
			var pid int
			var st, wt, we, q string
			var age time.Duration
			_ = rows.Scan(&pid, &st, &wt, &we, &q, &age)
			t.Logf("pg %d %s %s/%s %v %s", pid, st, wt, we, age, q)
		}
		rows.Close()
		rows, err = b.pool.Query(ctx, `SELECT pid, pg_blocking_pids(pid)::text FROM pg_stat_activity WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0`)
		require.NoError(t, err)
		for rows.Next() {
			var pid int
			var by string
			_ = rows.Scan(&pid, &by)
			t.Logf("pg %d blocked by %s", pid, by)
		}
		rows.Close()
		t.FailNow()
	}
	held := len(b.sim.Ledger())
	time.Sleep(300 * time.Millisecond)
	require.Len(t, b.sim.Ledger(), held, "nothing is written while the execution is paused")
	require.Less(t, paused.Done, 200)

	_, err = b.svc.Resume(ctx, e.ID)
	require.NoError(t, err)
	e = b.wait(e.ID, 60*time.Second)
	require.Equal(t, store.ExecSucceeded, e.State)
	require.Equal(t, 200, e.Succeeded)
	require.Equal(t, 600, e.Writes)
	require.Len(t, b.sim.Ledger(), 600)
	b.requireEachWriteOnce(e, 3)
}

func TestCanaryPausesAfterItsLinesForALook(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{workers: 2})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 30)
	e := b.start(executions.StartRequest{Flow: "Three_Writes", Lines: synthInputs(lines), Canary: 5})
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecPaused, e.State)
	require.Contains(t, e.PausedReason, "canary")
	require.GreaterOrEqual(t, e.Done, 5)
	require.Less(t, e.Done, 30, "the canary held back the rest")

	e, err := b.svc.Resume(context.Background(), e.ID)
	require.NoError(t, err)
	require.True(t, e.CanaryPassed)
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecSucceeded, e.State)
	require.Equal(t, 30, e.Succeeded)
	b.requireEachWriteOnce(e, 3)
}

func TestFailureRatioPausesAnExecutionGoingWrong(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{workers: 2})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	known := addSynthLines(t, b.sim, 0, 40)
	var in []executions.LineInput
	for i, l := range known {
		in = append(in, executions.LineInput{MSISDN: l.MSISDN})
		if i%2 == 0 {
			in = append(in, executions.LineInput{MSISDN: fmt.Sprintf("219%08d", i)}) // BSS has no such line
		}
	}
	e := b.start(executions.StartRequest{Flow: "Known_Lines_Only", Lines: in, MaxFailureRatio: 0.2})
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecPaused, e.State)
	require.Contains(t, e.PausedReason, "failure ratio")
	require.Less(t, e.Done, len(in))
	for _, l := range b.lines(e.ID) {
		if l.State == store.LineFailed {
			require.Equal(t, "fail", l.ErrorCode, "an unknown line is None to the flow, which fails it: %s", describeLine(l))
		}
	}

	_, err := b.svc.Cancel(context.Background(), e.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		e, err = b.store.ExecutionByID(context.Background(), e.ID)
		require.NoError(t, err)
		return e.Done == e.Lines
	}, 2*time.Second, 10*time.Millisecond, "every line of a cancelled execution ends within 2 s")
	require.Equal(t, store.ExecCancelled, e.State)
}

func TestRetryGoesOnFromTheStepThatStoppedALineAndNeverRepeatsAWrite(t *testing.T) {
	t.Parallel()
	// The breaker stays closed: the outage of one route must not fail the
	// reads of the lines that come after.
	b := newBench(t, benchConfig{workers: 8, system: func(c *bss.SystemConfig) {
		c.Breaker = bss.BreakerConfig{Failures: 1_000_000}
	}})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 16)
	ctx := context.Background()

	// The third write of every line meets an outage: the first two are
	// applied, the third fails after its retries.
	outage, err := b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultOutage, Method: http.MethodPost, Path: "/bias/vivoActivateProduct/**"})
	require.NoError(t, err)
	e := b.start(executions.StartRequest{Flow: "Three_Writes", Lines: synthInputs(lines)})
	e = b.wait(e.ID, 60*time.Second)
	require.Equal(t, store.ExecPartiallyFailed, e.State)
	for _, l := range b.lines(e.ID) {
		require.Equal(t, store.LineFailed, l.State, describeLine(l))
		require.Equal(t, "transient", l.ErrorCode)
		require.Contains(t, l.StoppedAt, "[3]", "the line stopped at its third write")
		require.Equal(t, 2, l.Writes)
	}
	require.Len(t, b.sim.Ledger(), 32)

	require.True(t, b.sim.RemoveFault(outage))
	e, n, err := b.svc.Retry(ctx, e.ID, nil)
	require.NoError(t, err)
	require.Equal(t, 16, n)
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecSucceeded, e.State)
	require.Len(t, b.sim.Ledger(), 48, "the retry sent only the writes not yet applied")
	b.requireEachWriteOnce(e, 3)
	for _, l := range b.lines(e.ID) {
		require.Equal(t, 3, l.Writes, describeLine(l))
	}
}

func TestRetryOfALineInReviewNeverResendsAWriteNoOneCanVerify(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchConfig{workers: 4, catalogue: "testdata/blind-catalogue.yaml", system: func(c *bss.SystemConfig) {
		c.Timeout = 300 * time.Millisecond
	}})
	b.uploadFile("blind", "testdata/blind-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, 8)
	ctx := context.Background()

	// The first three blind writes are applied, then BSS never answers.
	_, err := b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultTimeoutAfterApply, Method: http.MethodPost,
		Path: "/bias/vivoUpdateContractStatus/v1/updateStatus", Times: 3})
	require.NoError(t, err)
	e := b.start(executions.StartRequest{Flow: "Blind_Then_Terminate", Lines: synthInputs(lines)})
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, store.ExecPartiallyFailed, e.State)
	counts := countStates(b.lines(e.ID))
	require.Equal(t, map[string]int{store.LineNeedsReview: 3, store.LineSucceeded: 5}, counts)
	for _, l := range b.lines(e.ID) {
		if l.State == store.LineNeedsReview {
			require.Equal(t, "needs_review", l.ErrorCode)
			require.Contains(t, l.StoppedAt, "[1]", "stopped at the blind write")
			require.Zero(t, l.Writes)
		}
	}
	blind := func() int { return len(b.sim.LedgerFor("contract.status", "", "")) }
	require.Equal(t, 8, blind(), "each blind write was applied once; the three unanswered ones were not sent again")
	require.Len(t, b.sim.LedgerFor("product.status", "", ""), 5)

	// A retry cannot tell either: the lines stay in review, nothing is sent.
	sent := len(writeRequests(b.sim))
	e, n, err := b.svc.Retry(ctx, e.ID, nil)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	e = b.wait(e.ID, 30*time.Second)
	require.Equal(t, 3, e.NeedsReview)
	require.Len(t, writeRequests(b.sim), sent, "a write that may have been applied and cannot be verified is never resent")
	require.Equal(t, 8, blind())
	b.requireEachWriteOnce(e, 2)
}
