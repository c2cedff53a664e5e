package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/rules"
)

func TestRulesMineCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Dir(genDir(t, 40, 0)[0])
	out := filepath.Join(t.TempDir(), "mined.tsv")
	args := []string{"rules", "mine", "--min-support", "5", "--seed", "3", "--samples", "2000", dir}

	got := run(t, nil, append(args, "--out", out)...)
	require.Equal(t, exitOK, got.code, got.stderr)
	require.Empty(t, got.stdout)
	require.Contains(t, got.stderr, "from 40 records")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	parsed, diags := rules.ParseTSV(out, data, "")
	require.Empty(t, diags, diags.String())
	require.NotEmpty(t, parsed)

	stdout := run(t, nil, args...)
	require.Equal(t, exitOK, stdout.code, stdout.stderr)
	require.Equal(t, string(data), stdout.stdout, "the same seed mines the same rules")

	lint := run(t, nil, "rules", "lint", out)
	require.Equal(t, exitOK, lint.code, lint.stdout)
	require.Empty(t, strings.TrimSpace(lint.stdout))

	few := run(t, nil, "rules", "mine", "--min-support", "5", "--samples", "2000", "--max-rules", "3", dir)
	require.Equal(t, exitOK, few.code, few.stderr)
	require.Len(t, strings.Split(strings.TrimSpace(few.stdout), "\n"), 3)
}

func TestRulesMineCommandErrors(t *testing.T) {
	t.Parallel()
	files := genDir(t, 2, 0)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no records", []string{"rules", "mine", t.TempDir()}, exitUsage, "no records in"},
		{"missing path", []string{"rules", "mine", files[0] + ".missing"}, exitUsage, "no such file"},
		{"bad confidence", []string{"rules", "mine", "--min-confidence", "2", files[0]}, exitUsage, "min confidence"},
		{"no path", []string{"rules", "mine"}, exitUsage, "expected: rules lint FILE... or rules mine PATH..."},
		{"not a record", []string{"rules", "mine", writeFile(t, "x.json", "[1]\n")}, exitUsage, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, nil, tt.args...)
			require.Equal(t, tt.code, got.code, got.stderr)
			require.Contains(t, got.stderr, tt.stderr)
		})
	}
}
