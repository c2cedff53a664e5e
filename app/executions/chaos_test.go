package executions_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// The chaos test's worker process reads these.
const (
	chaosDBEnv      = "PFF_CHAOS_WORKER_DB"
	chaosBSSEnv     = "PFF_CHAOS_WORKER_BSS"
	chaosWorkersEnv = "PFF_CHAOS_WORKER_WORKERS"
)

// River rescues a job whose worker died once it has run longer than both
// RescueStuckJobsAfter and its worker's timeout. jobs.FlowLineWorker's is
// 15 minutes, so a killed worker's lines would wait that long: the chaos
// workers run lines with a timeout of chaosJobTimeout instead (a line that
// runs out of time is retried and resumes from its journal), and rescue
// after chaosRescueAfter, longer, so that a live job always gives up before
// it could be taken for dead and run twice. The next worker process rescues
// them when it takes over River's leadership, about 15 s after the kill.
const (
	chaosJobTimeout  = 5 * time.Second
	chaosRescueAfter = 8 * time.Second
)

// chaosLineWorker is jobs.FlowLineWorker with the chaos test's timeout.
type chaosLineWorker struct {
	jobs.FlowLineWorker
}

func (*chaosLineWorker) Timeout(*river.Job[jobs.FlowLineArgs]) time.Duration { return chaosJobTimeout }

// chaosBSS configures a worker's BSS client for the chaos: short timeouts,
// so that a write BSS holds is soon unknown, Retry-After honoured for at
// most 100 ms (the simulator's 1 s minimum for each of the 1% of calls it
// answers 429 would stop a system most of the time), and a breaker that
// opens on 20 failures in a row, for 200 ms.
func chaosBSS(cat *bss.Catalogue, url string) bss.Config {
	systems := map[string]bss.SystemConfig{}
	for _, name := range cat.Systems() {
		systems[name] = bss.SystemConfig{Clusters: []string{url}, Rate: 100_000, Burst: 1000, MaxInFlight: 64,
			Timeout: time.Second, MaxRetryAfter: 100 * time.Millisecond,
			Breaker: bss.BreakerConfig{Failures: 20, CoolDown: 200 * time.Millisecond, Probes: 1}}
	}
	return bss.Config{Systems: systems, Logger: slog.New(slog.DiscardHandler)}
}

// TestChaosWorkerProcess is the worker process of
// TestNoWriteIsAppliedTwiceWhileWorkersAreKilled: it works flow lines
// against the parent's database and simulator until it is killed.
func TestChaosWorkerProcess(t *testing.T) {
	dbURL := os.Getenv(chaosDBEnv)
	if dbURL == "" {
		t.Skip("runs only as a child of TestNoWriteIsAppliedTwiceWhileWorkersAreKilled")
	}
	ctx := context.Background()
	pool, err := store.Connect(ctx, store.PoolConfig{URL: dbURL, MaxConns: 24})
	require.NoError(t, err)
	st := store.New(pool)
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	client, err := bss.NewClient(cat, chaosBSS(cat, os.Getenv(chaosBSSEnv)))
	require.NoError(t, err)
	engine, err := executions.NewEngine(executions.EngineConfig{Store: st, Client: client})
	require.NoError(t, err)
	workers, err := strconv.Atoi(os.Getenv(chaosWorkersEnv))
	require.NoError(t, err)
	queue, err := jobs.New(pool, jobs.Config{Workers: workers, FetchCooldown: 5 * time.Millisecond,
		JobTimeout: time.Second, RescueStuckJobsAfter: chaosRescueAfter,
		Register: func(w *river.Workers) {
			river.AddWorker(w, &chaosLineWorker{FlowLineWorker: jobs.FlowLineWorker{Engine: engine}})
		}})
	require.NoError(t, err)
	require.NoError(t, queue.Start(ctx))
	select {} // until SIGKILL
}

// chaosSize is the lines and kills of the chaos test: by default 300 lines
// and one kill, so that `make test` stays short; the full run is
//
//	PFF_CHAOS_LINES=2000 PFF_CHAOS_KILLS=3 go test ./app/executions -run TestNoWriteIsAppliedTwice -v
//
// (scripts/bench-flows.sh chaos runs it too).
func chaosSize(t *testing.T) (lines, kills int) {
	t.Helper()
	lines, kills = 300, 1
	if v := os.Getenv("PFF_CHAOS_LINES"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		lines = n
	}
	if v := os.Getenv("PFF_CHAOS_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		kills = n
	}
	return lines, kills
}

// TestNoWriteIsAppliedTwiceWhileWorkersAreKilled runs lines of a flow with
// three writes against a simulator that answers 5% of calls 503, times out
// 3% of writes and breaks the connection of 2% after applying them, and
// answers 1% 429, while the worker process is SIGKILLed. Every line ends
// within 60 s of the last kill; the simulator's ledger shows every write
// (every Idempotency-Key: execution, line, step and iteration) applied at
// most once, and exactly once for each line that succeeded; no line needs a
// review, as every write of the flow can be verified.
func TestNoWriteIsAppliedTwiceWhileWorkersAreKilled(t *testing.T) {
	t.Parallel()
	n, kills := chaosSize(t)
	const workers = 16
	b := newBench(t, benchConfig{noWorkers: true})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	lines := addSynthLines(t, b.sim, 0, n)
	for _, f := range []bsssim.Fault{
		{Kind: bsssim.FaultError, Status: http.StatusServiceUnavailable, Rate: 0.05},
		{Kind: bsssim.FaultTimeoutAfterApply, Method: http.MethodPatch, Rate: 0.03},
		{Kind: bsssim.FaultTimeoutAfterApply, Method: http.MethodPost, Rate: 0.03},
		{Kind: bsssim.FaultResetAfterApply, Method: http.MethodPatch, Rate: 0.02},
		{Kind: bsssim.FaultResetAfterApply, Method: http.MethodPost, Rate: 0.02},
		{Kind: bsssim.FaultRateLimit, Rate: 0.01},
	} {
		_, err := b.sim.AddFault(f)
		require.NoError(t, err)
	}

	var child *exec.Cmd
	startWorker := func() {
		child = exec.Command(os.Args[0], "-test.run=^TestChaosWorkerProcess$", "-test.count=1")
		child.Env = append(os.Environ(), chaosDBEnv+"="+b.dbURL, chaosBSSEnv+"="+b.servers.URLs[0],
			chaosWorkersEnv+"="+strconv.Itoa(workers))
		child.Stdout, child.Stderr = os.Stderr, os.Stderr
		require.NoError(t, child.Start())
	}
	t.Cleanup(func() {
		if child != nil {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	})
	progress := func(id int64) store.Execution {
		e, err := b.store.ExecutionByID(context.Background(), id)
		require.NoError(t, err)
		return e
	}

	start := time.Now()
	e := b.start(executions.StartRequest{Flow: "Three_Writes", Lines: synthInputs(lines)})
	if e.State == store.ExecAwaitingApproval { // over flows.approval_lines
		_, err := b.svc.Approve(context.Background(), e.ID, "user:bob")
		require.NoError(t, err)
	}
	startWorker()
	var lastKill time.Time
	for k := 1; k <= kills; k++ {
		// Kills spread over the run: at 1/(kills+2), 2/(kills+2), ... of it.
		target := k * n / (kills + 2)
		deadline := time.Now().Add(3 * time.Minute)
		for progress(e.ID).Done < target {
			require.True(t, time.Now().Before(deadline), "kill %d: the lines never reached %d done", k, target)
			time.Sleep(20 * time.Millisecond)
		}
		require.NoError(t, child.Process.Signal(syscall.SIGKILL))
		_ = child.Wait()
		lastKill = time.Now()
		t.Logf("kill %d at %v, %d lines done", k, lastKill.Sub(start).Round(time.Millisecond), progress(e.ID).Done)
		startWorker()
	}
	for e = progress(e.ID); e.Done < e.Lines; e = progress(e.ID) {
		if time.Since(lastKill) > 60*time.Second {
			for _, l := range b.lines(e.ID) {
				if !store.LineFinal(l.State) {
					t.Log(describeLine(l))
				}
			}
			dumpRiver(t, b)
			t.Fatalf("%d of %d lines are not done 60 s after the last kill", e.Lines-e.Done, e.Lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
	afterKill, took := time.Since(lastKill), time.Since(start)

	all := b.lines(e.ID)
	counts := countStates(all)
	hits := map[bsssim.FaultKind]int{}
	for _, f := range b.sim.Faults() {
		hits[f.Kind] += f.Hits
	}
	ledger := b.sim.Ledger()
	t.Logf("%d lines, %d kills: all done %v after the last kill, %v in all (%.0f lines/s); %v; %d writes applied; faults hit %v",
		n, kills, afterKill.Round(time.Millisecond), took.Round(time.Millisecond), float64(n)/took.Seconds(), counts, len(ledger), hits)

	for _, l := range all {
		if l.State != store.LineSucceeded {
			t.Log(describeLine(l))
		}
	}
	for _, entry := range ledger {
		require.True(t, strings.HasPrefix(entry.IdempotencyKey, fmt.Sprintf("pff:%d:", e.ID)),
			"every write carries its Idempotency-Key: %+v", entry)
	}
	b.requireEachWriteOnce(e, 3)
	require.Zero(t, counts[store.LineNeedsReview], "every write of the flow can be verified: no line needs a review")
	require.Equal(t, n, counts[store.LineSucceeded]+counts[store.LineFailed], "%v", counts)
	require.Less(t, counts[store.LineFailed], n/100+1, "lines fail only when a call fails all its attempts")
}

// dumpRiver logs River's leader and its unfinished jobs.
func dumpRiver(t *testing.T, b *bench) {
	ctx := context.Background()
	rows, err := b.pool.Query(ctx, `SELECT leader_id, elected_at, expires_at FROM river_leader`)
	require.NoError(t, err)
	for rows.Next() {
		var id string
		var elected, expires time.Time
		require.NoError(t, rows.Scan(&id, &elected, &expires))
		t.Logf("river leader %s elected %v expires %v", id, elected.Format(time.TimeOnly), expires.Format(time.TimeOnly))
	}
	rows.Close()
	rows, err = b.pool.Query(ctx, `SELECT id, state, attempt, attempted_at, coalesce(attempted_by::text, ''), errors::text
		FROM river_job WHERE state NOT IN ('completed') ORDER BY id LIMIT 30`)
	require.NoError(t, err)
	for rows.Next() {
		var id int64
		var state, by string
		var errs *string
		var attempt int
		var at *time.Time
		require.NoError(t, rows.Scan(&id, &state, &attempt, &at, &by, &errs))
		t.Logf("job %d %s attempt %d at %v by %s errors %v", id, state, attempt, at, by, errs)
	}
	rows.Close()
}
