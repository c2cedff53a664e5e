package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store/storetest"
)

const legacyFlows = "executions/testdata/legacy-sample.yaml"

func TestFlowsLintAndMigrate(t *testing.T) {
	t.Parallel()
	got := run(t, nil, "flows", "lint", legacyFlows)
	require.Equal(t, 1, got.code, "the legacy flows have warnings only: %s", got.stdout)
	require.Contains(t, got.stdout, `unknown variable "failed_products"`)
	require.Contains(t, got.stderr, "flow Cancelar, 3 steps")

	broken := writeFile(t, "broken.yaml", "Fix:\n  - method: line.nope\n  - when: x if y else z\n    method: line.save_object\n")
	got = run(t, nil, "flows", "lint", broken)
	require.Equal(t, 2, got.code)
	require.Contains(t, got.stdout, broken+":2:")
	require.Contains(t, got.stdout, broken+":3:")

	python := writeFile(t, "python.yaml", "Fix:\n  - when: \"'A' if x else 'B'\"\n    method: line.save_object\n    args: {obj: 1, var_name: v}\n")
	out := filepath.Join(t.TempDir(), "migrated.yaml")
	got = run(t, nil, "flows", "migrate", python, "--out", out)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stderr, "1 expression(s) rewritten")
	got = run(t, nil, "flows", "lint", out)
	require.Equal(t, 1, got.code, "migrated, it compiles: %s", got.stdout)
}

// simulator serves a BSS simulator seeded with n generated records and
// returns the environment that points PFF at it, and the seeded lines.
func simulator(t *testing.T, n int) ([]string, []bsssim.Seeded) {
	t.Helper()
	sim := bsssim.New(bsssim.Config{Seed: 1})
	seeded, err := sim.AddGenerated(gen.Config{N: n, Seed: 3})
	require.NoError(t, err)
	servers, err := sim.Start(bsssim.StartOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = servers.Close() })
	var environ []string
	for _, system := range config.BSSSystems() {
		environ = append(environ, fmt.Sprintf("PFF_BSS__SYSTEMS__%s__CLUSTERS=%s", strings.ToUpper(system), servers.URLs[0]),
			fmt.Sprintf("PFF_BSS__SYSTEMS__%s__RATE=10000", strings.ToUpper(system)))
	}
	return environ, seeded
}

func TestRunAFlowFromTheCommandLine(t *testing.T) {
	t.Parallel()
	environ, seeded := simulator(t, 4)
	environ = append(environ, "DATABASE_URL="+storetest.NewDatabase(t), "USER=alice")
	lines := filepath.Join(t.TempDir(), "lines.csv")
	var csv strings.Builder
	csv.WriteString("msisdn,ticket\n")
	for _, s := range seeded {
		fmt.Fprintf(&csv, "%s,INC-%s\n", s.MSISDN, s.MSISDN[len(s.MSISDN)-3:])
	}
	require.NoError(t, os.WriteFile(lines, []byte(csv.String()), 0o600))

	got := run(t, environ, "run", "Enquiry", "--lines", lines)
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "no flow file is active")
	got = run(t, environ, "flows", "upload", legacyFlows, "--name", "legacy", "--activate")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "activated legacy v1")

	got = run(t, environ, "run", "Enquiry", "--lines", lines)
	require.Equal(t, 1, got.code, "a legacy file runs as a plan first")
	require.Contains(t, got.stderr, "only as a plan")
	got = run(t, environ, "run", "Enquiry", "--lines", lines, "--plan")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "execution 1 planned: 4 lines, 4 succeeded")
	got = run(t, environ, "flows", "approve", "1", "--plan", "1")
	require.Zero(t, got.code, got.stderr)

	got = run(t, environ, "run", "Enquiry", "--lines", lines)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "execution 2 succeeded: 4 lines, 4 succeeded, 0 failed")

	got = run(t, environ, "exec", "list")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "Enquiry ×4")
	got = run(t, environ, "exec", "show", "2")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "4 lines: 4 done, 4 succeeded")
	got = run(t, environ, "exec", "export", "2")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "MSISDN,Solicitação,Resultado,Observações")
	require.Contains(t, got.stdout, seeded[0].MSISDN+",Enquiry,Sucesso")
	got = run(t, environ, "exec", "cancel", "2")
	require.Equal(t, 1, got.code, "a finished execution cannot be cancelled")
	got = run(t, environ, "exec", "frobnicate", "2")
	require.Equal(t, 2, got.code)
}

func TestSimServe(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"sim", "serve", "--generate", "3", "--addr", addr}, Env{Stdout: &stdout, Stderr: &stderr})
	}()
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/_sim/health")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, stderr.String())
	require.Contains(t, stdout.String(), "export PFF_BSS__SYSTEMS__BIAS__CLUSTERS=http://"+addr+"/")
	cancel()
	require.Zero(t, <-done, stderr.String())
	require.Equal(t, 2, run(t, nil, "sim", "serve").code, "records or --generate")
}
