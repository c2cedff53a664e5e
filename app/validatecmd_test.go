package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/validation"
)

// genDir writes n generated records, all faulty or all clean, to a new
// directory and returns their paths.
func genDir(t *testing.T, n int, faultRate float64) []string {
	t.Helper()
	dir := t.TempDir()
	_, err := gen.WriteDir(context.Background(), dir, gen.Config{N: n, Seed: 7, FaultRate: faultRate})
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	require.NoError(t, err)
	require.Len(t, files, n)
	return files
}

func TestValidateCommandAcceptsCleanRecords(t *testing.T) {
	t.Parallel()
	files := genDir(t, 4, 0)
	got := run(t, nil, append([]string{"validate"}, files...)...)
	require.Equal(t, exitOK, got.code, got.stderr)
	require.Contains(t, got.stdout, "4 records: 4 accepted, 0 to review, 0 rejected")
	require.Equal(t, 4, strings.Count(got.stdout, ": ACCEPT, score 1.000"), got.stdout)
	require.Contains(t, got.stdout, "== "+files[0]+":1\n")
}

func TestValidateCommandReportsFaultsAsJSON(t *testing.T) {
	t.Parallel()
	files := genDir(t, 3, 1)
	got := run(t, nil, append([]string{"validate", "--format", "json"}, files...)...)
	require.Equal(t, exitError, got.code, got.stderr)
	require.Contains(t, got.stderr, "3 of 3 records not accepted")

	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	require.Len(t, lines, 3)
	for i, line := range lines {
		var report struct {
			Source string `json:"source"`
			validation.Report
		}
		require.NoError(t, json.Unmarshal([]byte(line), &report))
		require.Equal(t, files[i]+":1", report.Source)
		require.NotEqual(t, validation.Accept, report.Decision)
		require.NotEmpty(t, report.Violations)
	}
}

func TestValidateCommandReadsNDJSONFromStdin(t *testing.T) {
	t.Parallel()
	var ndjson strings.Builder
	_, err := gen.WriteNDJSON(context.Background(), &ndjson, io.Discard, gen.Config{N: 3, Seed: 2})
	require.NoError(t, err)
	got := runWithStdin(t, nil, ndjson.String(), "validate", "--format", "json", "-")
	require.Equal(t, exitOK, got.code, got.stderr)
	sc := bufio.NewScanner(strings.NewReader(got.stdout))
	sc.Buffer(nil, 1<<20)
	var sources []string
	for sc.Scan() {
		var r struct{ Source string }
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		sources = append(sources, r.Source)
	}
	require.Equal(t, []string{"stdin:1", "stdin:2", "stdin:3"}, sources)
}

func TestValidateCommandWithRuleFilesAndSchema(t *testing.T) {
	t.Parallel()
	files := genDir(t, 2, 0)
	// A check every record fails, alone: the defaults are left out.
	checks := writeFile(t, "strict.yaml", `checks:
  - id: no-customers
    category: test
    confidence: 0.99
    description: There is no customer.
    target: customer
    expr: "false"
`)
	got := run(t, nil, "validate", "--no-defaults", "--rules", checks, files[0])
	require.Equal(t, exitError, got.code, got.stderr)
	require.Contains(t, got.stdout, "no-customers")
	require.Contains(t, got.stdout, "1 records: 0 accepted, 0 to review, 1 rejected")

	inferred := run(t, nil, append([]string{"schema", "infer", "--enum-max", "-1"}, files...)...)
	require.Equal(t, exitOK, inferred.code, inferred.stderr)
	schemaFile := writeFile(t, "schema.json", inferred.stdout)
	got = run(t, nil, "validate", "--schema", schemaFile, files[1])
	require.Equal(t, exitOK, got.code, got.stderr+got.stdout)
	require.Regexp(t, `schema [0-9a-f]{12}`, got.stdout)
}

func TestValidateCommandInputErrors(t *testing.T) {
	t.Parallel()
	clean := genDir(t, 1, 0)[0]
	badRules := writeFile(t, "bad.json", "{\n  \"cat\": [\n    {\"id\": \"r\", \"confidence\": 0.5, \"pattern\": \"p(A,B) <= q(A\"}\n  ]\n}\n")
	badSchema := writeFile(t, "schema.json", "{\n  \"type\": \"strin\"\n}\n")
	malformed := writeFile(t, "records.ndjson", "{\"id\": \"a\"}\n{\"id\": x}\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no file", []string{"validate"}, exitUsage, "missing FILE"},
		{"bad format", []string{"validate", "--format", "xml", clean}, exitUsage, `unknown --format "xml"`},
		{"missing file", []string{"validate", filepath.Join(t.TempDir(), "nope.json")}, exitUsage, "no such file"},
		{"rule file with an error", []string{"validate", "--rules", badRules, clean}, exitUsage, badRules + ":3:"},
		{"unreadable rule file", []string{"validate", "--rules", badRules + ".missing", clean}, exitUsage, "no such file"},
		{"bad schema", []string{"validate", "--schema", badSchema, clean}, exitUsage, badSchema + ":2:11: error: value must be one of"},
		{"malformed record", []string{"validate", "--no-defaults", malformed}, exitUsage, malformed + ":2:8: invalid character 'x'"},
		{"not a record", []string{"validate", writeFile(t, "a.json", "[1, 2]")}, exitUsage, "a.json:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, nil, tt.args...)
			require.Equal(t, tt.wantCode, got.code, got.stderr)
			require.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}

func TestValidateCommandKeepsInputOrderAndReportsUpToAnInputError(t *testing.T) {
	t.Parallel()
	var ndjson strings.Builder
	_, err := gen.WriteNDJSON(context.Background(), &ndjson, io.Discard, gen.Config{N: 12, Seed: 5, FaultRate: 0.5})
	require.NoError(t, err)
	got := runWithStdin(t, nil, ndjson.String()+"{\"id\": ", "validate", "--format", "json", "-")
	require.Equal(t, exitUsage, got.code, got.stderr)
	require.Contains(t, got.stderr, "stdin:13:8: unexpected EOF")

	lines := strings.Split(strings.TrimSpace(got.stdout), "\n")
	require.Len(t, lines, 12, "every record before the error is reported")
	for i, line := range lines {
		var r struct{ Source string }
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		require.Equal(t, fmt.Sprintf("stdin:%d", i+1), r.Source)
	}
}

func TestValidateCommandReportsAnUnreadableFileAndGoesOn(t *testing.T) {
	t.Parallel()
	files := genDir(t, 2, 0)
	huge := writeFile(t, "huge.json", "{\"id\": \"HUGE\",\n \"n\": 1e400}\n")
	broken := writeFile(t, "broken.json", "{\"id\": ")
	got := run(t, nil, "validate", files[0], huge, broken, files[1])
	require.Equal(t, exitUsage, got.code, "unreadable inputs exit 2, after the others are validated")
	require.Contains(t, got.stderr, huge+":2:")
	require.Contains(t, got.stderr, broken+":1:")
	require.Contains(t, got.stdout, "2 records: 2 accepted")
	require.Contains(t, got.stderr, "2 inputs could not be read")
}

func FuzzReadRecords(f *testing.F) {
	for _, seed := range []string{"{\"id\": 1}\n{\"id\": 2}\n", "{\n  \"a\": [1, 2]\n}", "{\"id\": x}", "[1,", "", "\n\n{}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		var total int
		err := readRecords(strings.NewReader(input), "-", func(source string, doc []byte) error {
			require.True(t, json.Valid(doc), "%s: %q", source, doc)
			total += len(doc)
			return nil
		})
		require.LessOrEqual(t, total, len(input))
		if err != nil {
			require.Regexp(t, `^stdin:\d+:\d+: `, err.Error())
		}
	})
}
