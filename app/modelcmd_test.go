package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// TestModelsGateAndDeactivate: activation runs the quality gate and shows
// its figures, a strict gate refuses the model unless --force (audited),
// and deactivate goes back to no model.
func TestModelsGateAndDeactivate(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewDatabase(t)}
	records := filepath.Join(t.TempDir(), "records.ndjson")
	got := run(t, environ, "gen", "records", "--n", "40", "--faults", "0", "--out", records)
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "ingest", records)
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "kg", "build")
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "train", "--dim", "8", "--epochs", "3", "--eval-every", "-1")
	require.Zero(t, got.code, got.stderr)
	version := strings.TrimSuffix(strings.Fields(got.stdout)[1], ":")

	got = run(t, environ, "models", "deactivate")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "no model was active")

	// Flagging every doubt at p >= 0.000001, the model fails the gate.
	strict := append(environ, "PFF_LEARN__MIN_CONFIDENCE=0.000001")
	got = run(t, strict, "models", "activate", version)
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "quality gate FAILED")
	require.Contains(t, got.stderr, "clean held-out records")
	got = run(t, strict, "models", "list")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "failed", "the figures are kept with the model")

	got = run(t, strict, "models", "activate", version, "--force")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "although it failed its quality gate")
	st := newCLIStore(t, environ)
	entries, err := st.ListAudit(t.Context(), store.AuditFilter{Actor: "cli", Limit: 10})
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	require.Contains(t, entries[0].Action, "failed its quality gate")
	require.Contains(t, string(entries[0].Detail), `"clean_flagged"`)

	got = run(t, environ, "models", "show", version)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "FAULT KIND")
	got = run(t, environ, "models", "delete", version)
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "deactivate it")
	got = run(t, environ, "models", "deactivate")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "deactivated "+version)
	got = run(t, environ, "models", "delete", version)
	require.Zero(t, got.code, got.stderr)
}
