package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store/storetest"
)

// TestConstraintsFromTheShell learns a constraint set from generated
// records, lints it, and validates faulty records with it alone.
func TestConstraintsFromTheShell(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clean, faulty, set := filepath.Join(dir, "clean.ndjson"), filepath.Join(dir, "faulty.ndjson"), filepath.Join(dir, "set.json")
	got := run(t, nil, "gen", "records", "--n", "200", "--faults", "0", "--seed", "3", "--out", clean)
	require.Zero(t, got.code, got.stderr)
	got = run(t, nil, "gen", "records", "--n", "22", "--faults", "1", "--seed", "5", "--out", faulty)
	require.Zero(t, got.code, got.stderr)

	got = run(t, nil, "constraints", "learn", "--min-support", "20", "--out", set, clean)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stderr, "learned ")
	got = run(t, nil, "constraints", "lint", set)
	require.Zero(t, got.code, got.stderr)
	require.Empty(t, got.stdout)

	got = run(t, nil, "validate", "--no-defaults", "--constraints", set, "--format", "json", faulty)
	require.Equal(t, 1, got.code, got.stderr)
	require.Contains(t, got.stdout, `"source":"constraint"`)
	require.Contains(t, got.stdout, `"constraints":"`, "the set's version is in every report")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{\"constraints\": [\n {\"id\": \"x\"}\n]}"), 0o600))
	got = run(t, nil, "constraints", "lint", bad)
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stdout, "bad.json:2:2: error")
}

// TestRulesLintAgainstTheCorpus: a rule about a status the stored records
// never hold is a warning at its line.
func TestRulesLintAgainstTheCorpus(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewDatabase(t)}
	dir := t.TempDir()
	records := filepath.Join(dir, "records.ndjson")
	got := run(t, environ, "gen", "records", "--n", "10", "--faults", "0", "--out", records)
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "ingest", records)
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "kg", "build")
	require.Zero(t, got.code, got.stderr)
	ruleFile := filepath.Join(dir, "ops.tsv")
	require.NoError(t, os.WriteFile(ruleFile, []byte("5\t5\t1\tstatus(X,'ContractActive') <= type(X,'contract')\n"+
		"5\t5\t1\tpaymentContext(X,'Postpaid') <= status(X,'active')\n"), 0o600))
	got = run(t, environ, "rules", "lint", ruleFile)
	require.Zero(t, got.code, got.stderr)
	require.Empty(t, got.stdout, "without --corpus the file alone is linted")
	got = run(t, environ, "rules", "lint", "--corpus", ruleFile)
	require.Zero(t, got.code, got.stderr)
	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	require.Len(t, lines, 1, got.stdout)
	require.Contains(t, lines[0], "ops.tsv:2:")
	require.Contains(t, lines[0], "warning: rule")
	require.Contains(t, lines[0], "constant 'active' never occurs as the object of status")
}
