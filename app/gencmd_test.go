package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
)

func TestGenCommandIsDeterministic(t *testing.T) {
	t.Parallel()
	first := run(t, nil, "gen", "records", "--n", "5", "--seed", "9", "--faults", "0.4", "--out", "-")
	require.Equal(t, exitOK, first.code, first.stderr)
	require.Equal(t, 5, strings.Count(first.stdout, "\n"))
	require.Contains(t, first.stderr, "wrote 5 records (2 with a fault")

	again := run(t, nil, "gen", "records", "--n", "5", "--seed", "9", "--faults", "0.4", "--out", "-")
	require.Equal(t, first.stdout, again.stdout)
	other := run(t, nil, "gen", "records", "--n", "5", "--seed", "10", "--faults", "0.4", "--out", "-")
	require.NotEqual(t, first.stdout, other.stdout)
}

func TestGenCommandWritesFilesWithLabels(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "records")
	got := run(t, nil, "gen", "records", "--n", "4", "--faults", "0.5", "--out", dir)
	require.Equal(t, exitOK, got.code, got.stderr)
	files, err := filepath.Glob(filepath.Join(dir, "customer_enquiry_*.txt"))
	require.NoError(t, err)
	require.Len(t, files, 4)
	labels, err := os.ReadFile(gen.LabelsPath(dir))
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(labels), "\n"))

	ndjson := filepath.Join(t.TempDir(), "records.ndjson")
	got = run(t, nil, "gen", "records", "--n", "3", "--faults", "1", "--out", ndjson)
	require.Equal(t, exitOK, got.code, got.stderr)
	records, err := os.ReadFile(ndjson)
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(records), "\n"))
	labels, err = os.ReadFile(ndjson + ".labels.jsonl")
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(labels), "\n"))
}

func TestGenCommandUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args       []string
		wantStderr string
	}{
		{[]string{"gen"}, "expected: gen records"},
		{[]string{"gen", "people", "--out", "-"}, "expected: gen records"},
		{[]string{"gen", "records"}, "missing --out"},
		{[]string{"gen", "records", "--out", "-", "--n", "-1"}, "--n -1 outside"},
		{[]string{"gen", "records", "--out", "-", "--faults", "1.5"}, "--faults 1.5 outside [0, 1]"},
		{[]string{"gen", "records", "--out", "-", "--seed", "x"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			got := run(t, nil, tt.args...)
			require.Equal(t, exitUsage, got.code)
			require.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}
