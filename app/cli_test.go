package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store/storetest"
)

// testkit.Buffer is a bytes.Buffer safe to read while a command writes to it.
type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, environ []string, args ...string) result {
	t.Helper()
	var stdout, stderr testkit.Buffer
	code := Main(context.Background(), args, Env{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Environ: environ,
		Build: config.BuildInfo{Version: "v9.9.9", Commit: "abc123", BuildDate: "2026-11-28"},
	})
	return result{code, stdout.String(), stderr.String()}
}

func TestUsageAndExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{nil, 2, "", "Usage: pff <command>"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"help"}, 0, "Commands:", ""},
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"help", "migrate"}, 0, "Usage: pff migrate [flags] up|down|status|version|redo|reset", ""},
		{[]string{"help", "nope"}, 2, "", `unknown command "nope"`},
		{[]string{"serve", "--help"}, 0, "--migrate", ""},
		{[]string{"worker", "-h"}, 0, "Usage: pff worker", ""},
		{[]string{"migrate"}, 2, "", "expected one of up, down"},
		{[]string{"migrate", "sideways"}, 2, "", `unknown migrate action "sideways"`},
		{[]string{"version"}, 0, "pff v9.9.9 (commit abc123, built 2026-11-28, go", ""},
		{[]string{"--version"}, 0, "pff v9.9.9", ""},
		{[]string{"config"}, 0, "jwt_secret: (insecure development default)", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			got := run(t, nil, tt.args...)
			require.Equal(t, tt.wantCode, got.code, "stderr: %s", got.stderr)
			require.Contains(t, got.stdout, tt.wantStdout)
			require.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}

func TestConfigCommandRedactsAndReportsBadConfig(t *testing.T) {
	t.Parallel()
	got := run(t, []string{"DATABASE_URL=postgres://pff:hunter2-hunter2@db:5432/pff"}, "config")
	require.Zero(t, got.code)
	require.NotContains(t, got.stdout, "hunter2")
	require.Contains(t, got.stdout, "url: postgres://pff:xxxxx@db:5432/pff")

	got = run(t, []string{"PFF_JOBS__WORKERS=lots"}, "config")
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "workers")
	require.Equal(t, 1, strings.Count(got.stderr, "\n"), "one line: %q", got.stderr)
}

func TestHealthcheckExitCodes(t *testing.T) {
	t.Parallel()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(ok.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(failing.Close)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)

	tests := []struct {
		name       string
		url        string
		wantCode   int
		wantStderr string
	}{
		{"200", ok.URL + "/health", 0, ""},
		{"503", failing.URL + "/health", 1, "answered 503 Service Unavailable"},
		{"refused", "http://" + testkit.FreeAddr(t) + "/health", 1, "connection refused"},
		{"slower than 3s", slow.URL + "/health", 1, "did not answer within 3s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, nil, "healthcheck", "--url", tt.url)
			require.Equal(t, tt.wantCode, got.code, got.stderr)
			require.Contains(t, got.stderr, tt.wantStderr)
			if tt.wantCode != 0 {
				require.Equal(t, 1, strings.Count(got.stderr, "\n"), "one line on stderr: %q", got.stderr)
			}
		})
	}
}

func TestServeRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewEmptyDatabase(t), "PFF_HTTP__ADDR=" + testkit.FreeAddr(t)}
	got := run(t, environ, "serve")
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "pending migration(s); run `pff migrate up` first, or start with `pff serve --migrate`")
}

func TestStartupGivesUpOnUnreachablePostgres(t *testing.T) {
	t.Parallel()
	environ := []string{
		"DATABASE_URL=postgres://pff:s3cret@" + testkit.FreeAddr(t) + "/pff?sslmode=disable",
		"PFF_DATABASE__CONNECT_TIMEOUT=600ms",
	}
	start := time.Now()
	got := run(t, environ, "serve")
	require.Equal(t, 1, got.code)
	require.Less(t, time.Since(start), 10*time.Second)
	require.Contains(t, got.stderr, "PostgreSQL unreachable after 600ms")
	require.NotContains(t, got.stderr, "s3cret")
}

func TestWorkerNeedsWorkers(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewDatabase(t), "PFF_WORKER__ADDR=" + testkit.FreeAddr(t)}
	got := run(t, environ, "worker", "--workers", "0")
	require.Equal(t, 2, got.code)
	require.Contains(t, got.stderr, "at least one job worker")
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewEmptyDatabase(t)}
	got := run(t, environ, "migrate", "version")
	require.Zero(t, got.code, got.stderr)
	require.Equal(t, "0\n", got.stdout)

	got = run(t, environ, "migrate", "up")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "applied")

	got = run(t, environ, "migrate", "status")
	require.Zero(t, got.code, got.stderr)
	require.NotContains(t, got.stdout, "pending")
	require.Contains(t, got.stdout, "river schema")

	for _, action := range []string{"redo", "down", "up", "reset"} {
		got = run(t, environ, "migrate", action)
		require.Zero(t, got.code, "%s: %s", action, got.stderr)
	}
	got = run(t, environ, "migrate", "version")
	require.Equal(t, "0\n", got.stdout)
}

// TestServeAndWorkerRunAndStopGracefully starts both processes on one
// database, probes their endpoints, and stops them as SIGTERM would.
func TestServeAndWorkerRunAndStopGracefully(t *testing.T) {
	t.Parallel()
	apiAddr, workerAddr := testkit.FreeAddr(t), testkit.FreeAddr(t)
	environ := []string{"DATABASE_URL=" + storetest.NewEmptyDatabase(t), "PFF_HTTP__ADDR=" + apiAddr, "PFF_WORKER__ADDR=" + workerAddr}

	type process struct {
		stop   context.CancelFunc
		done   chan int
		stderr *testkit.Buffer
	}
	start := func(args ...string) process {
		ctx, cancel := context.WithCancel(context.Background())
		p := process{stop: cancel, done: make(chan int, 1), stderr: &testkit.Buffer{}}
		go func() {
			p.done <- Main(ctx, args, Env{Stdout: &testkit.Buffer{}, Stderr: p.stderr, Environ: environ})
		}()
		return p
	}
	api := start("serve", "--migrate", "--workers", "2")
	waitHealthy(t, "http://"+apiAddr+"/health", api.stderr)
	worker := start("worker", "--workers", "1")
	waitHealthy(t, "http://"+workerAddr+"/health", worker.stderr)

	for _, url := range []string{"http://" + apiAddr + "/health/detailed", "http://" + workerAddr + "/health/detailed"} {
		res, err := http.Get(url)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, url)
	}
	// The leader schedules the daily audit-log prune at start; the metrics
	// show it once a worker has picked it up.
	var metrics string
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(metrics, `pff_jobs{kind="prune_audit_log",state="completed"}`) {
		require.True(t, time.Now().Before(deadline), "prune job never completed; metrics:\n%s", metrics)
		time.Sleep(100 * time.Millisecond)
		metrics = get(t, "http://"+workerAddr+"/metrics")
	}
	for _, name := range []string{"pff_db_pool_connections", "go_goroutines", "pff_http_requests_total", "process_resident_memory_bytes"} {
		require.Contains(t, metrics, name)
	}

	for _, p := range []process{api, worker} {
		p.stop()
		select {
		case code := <-p.done:
			require.Zero(t, code, p.stderr.String())
		case <-time.After(30 * time.Second):
			t.Fatal("process did not stop")
		}
		require.Contains(t, p.stderr.String(), "msg=stopped")
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	var body bytes.Buffer
	_, err = body.ReadFrom(res.Body)
	require.NoError(t, err)
	return body.String()
}

func waitHealthy(t *testing.T, url string, stderr fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if probeHealth(context.Background(), url) == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy; log:\n%s", url, stderr)
}
