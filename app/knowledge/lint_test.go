package knowledge

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/rules"
)

func TestLintSchemaPositions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want []string // "line:col: message prefix"
	}{
		{"valid", `{"type": "object", "required": ["id"]}`, nil},
		{"syntax", "{\n  \"type\": \"object\",,\n}", []string{"2:20: error: invalid character ','"}},
		{"truncated", "{\n  \"type\": ", []string{"2:11: error: unexpected end of JSON input"}},
		{"empty", "", []string{"1:1: error: empty document"}},
		{"trailing data", "{} {}", []string{"1:4: error: unexpected data after the JSON value"}},
		{"bad type", "{\n  \"properties\": {\n    \"a/b\": {\"type\": \"strin\"}\n  }\n}", []string{"3:21: error: value must be one of"}},
		{"bad regex", "{\"properties\": {\"é\": {\"pattern\": \"(\"}}}", []string{"1:34: error: '(' is not valid regex"}},
		{"two problems", "{\"minLength\": -1,\n \"items\": 4}", []string{"1:15: error: minimum: got -1, want 0", "2:11: error: got number, want boolean or object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			diags := LintSchema("s.json", []byte(tt.data))
			require.Len(t, diags, len(tt.want), diags.String())
			for i, want := range tt.want {
				require.Equal(t, rules.Error, diags[i].Severity)
				require.Equal(t, "s.json", diags[i].Pos.File)
				got := diags[i].String()
				require.Contains(t, got, "s.json:"+want, got)
			}
		})
	}
}

func TestLintDispatchesByKindAndFormat(t *testing.T) {
	t.Parallel()
	require.Empty(t, Lint(KindRules, FormatTSV, "r", []byte("10\t9\t0.9\tp(A,B) <= q(A,B)\n")))
	diags := Lint(KindRules, FormatJSON, "r", []byte(`{"c": [{"id": "x", "confidence": 2, "pattern": "p(A,B) <= q(A,B)"}]}`))
	require.Error(t, diags.Err())
	require.Equal(t, "r.json", diags[0].Pos.File)
	require.Error(t, Lint(KindChecks, FormatYAML, "c", []byte("checks: 3")).Err())
	require.Error(t, Lint(KindSchema, FormatJSON, "s", []byte("[")).Err())
	require.Error(t, Lint("models", FormatJSON, "m", nil).Err())

	empty := Lint(KindRules, FormatJSON, "r", []byte(`{}`))
	require.Equal(t, "r.json:1:1: error: no rules", empty.String()[:len("r.json:1:1: error: no rules")])
	require.Error(t, Lint(KindChecks, FormatYAML, "c", []byte("checks: []")).Err())
}

func TestResolveFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind    Kind
		format  Format
		content string
		want    Format
		wantErr bool
	}{
		{KindRules, "", "  {\"a\": []}", FormatJSON, false},
		{KindRules, "", "1\t1\t0.9\tp(A,B) <= q(A,B)", FormatTSV, false},
		{KindRules, FormatTSV, "{}", FormatTSV, false},
		{KindRules, FormatYAML, "", "", true},
		{KindSchema, "", "{}", FormatJSON, false},
		{KindChecks, "", "checks: []", FormatYAML, false},
		{KindChecks, FormatJSON, "", "", true},
		{"other", "", "", "", true},
	}
	for _, tt := range tests {
		got, err := tt.kind.ResolveFormat(tt.format, []byte(tt.content))
		if tt.wantErr {
			require.Error(t, err, "%s %s", tt.kind, tt.format)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}

func FuzzLintSchema(f *testing.F) {
	for _, seed := range []string{`{"type": "object"}`, "{\n\"items\": 4}", `{"properties": {"a": {"pattern": "("}}}`, "[", ""} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range LintSchema("f.json", data) {
			if d.Pos.Line < 1 || d.Pos.Col < 1 {
				t.Fatalf("position %v outside the document: %s", d.Pos, d)
			}
		}
	})
}
