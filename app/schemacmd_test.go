package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/schema"
)

func TestSchemaInferCommand(t *testing.T) {
	t.Parallel()
	files := genDir(t, 3, 0)
	got := run(t, nil, "schema", "infer", filepath.Dir(files[0]))
	require.Equal(t, exitOK, got.code, got.stderr)
	require.Contains(t, got.stderr, "inferred from 3 records")
	_, err := schema.Compile("inferred.json", []byte(got.stdout))
	require.NoError(t, err)

	lint := run(t, nil, "schema", "lint", writeFile(t, "inferred.json", got.stdout))
	require.Equal(t, exitOK, lint.code, lint.stdout)
	require.Empty(t, lint.stdout)

	empty := run(t, nil, "schema", "infer", t.TempDir())
	require.Equal(t, exitUsage, empty.code)
	require.Contains(t, empty.stderr, "no records in")
}

func TestLintCommands(t *testing.T) {
	t.Parallel()
	badSchema := writeFile(t, "schema.json", "{\n  \"properties\": {\"id\": {\"type\": \"text\"}},\n  \"required\": 3\n}\n")
	badRules := writeFile(t, "rules.tsv", "10\t9\t0.9\tp(A,B) <= q(A,B)\n10\t9\t0.9\tp(A,B) <= q(A,\n")
	badChecks := writeFile(t, "checks.yaml", "checks:\n  - id: c\n    category: x\n    confidence: 0.9\n    description: d\n    target: contract\n    expr: 'this.id +'\n")
	goodRules := writeFile(t, "good.tsv", "10\t9\t0.9\tp(A,B) <= q(A,B)\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
	}{
		{"schema", []string{"schema", "lint", badSchema}, exitError, []string{
			badSchema + ":2:33: error: value must be one of", badSchema + ":3:15: error: got number, want array"}},
		{"rules", []string{"rules", "lint", badRules}, exitError, []string{badRules + ":2:"}},
		{"checks", []string{"rules", "lint", goodRules, badChecks}, exitError, []string{badChecks + ":7:"}},
		{"good rules", []string{"rules", "lint", goodRules}, exitOK, nil},
		{"unreadable", []string{"rules", "lint", badRules + ".missing"}, exitUsage, nil},
		{"no file", []string{"rules", "lint"}, exitUsage, nil},
		{"two schemas", []string{"schema", "lint", badSchema, badSchema}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, nil, tt.args...)
			require.Equal(t, tt.wantCode, got.code, got.stdout+got.stderr)
			for _, want := range tt.wantStdout {
				require.Contains(t, got.stdout, want)
			}
			if tt.wantCode == exitOK {
				require.Empty(t, strings.TrimSpace(got.stdout))
			}
		})
	}
}
