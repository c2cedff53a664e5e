package embed

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadTriples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		want    []NamedTriple
		wantErr string // substring; empty for success
		line    int
	}{
		{name: "two lines", input: "a\tr\tb\nb\ts\tc\n", want: []NamedTriple{{"a", "r", "b"}, {"b", "s", "c"}}},
		{name: "no final newline", input: "a\tr\tb", want: []NamedTriple{{"a", "r", "b"}}},
		{name: "CRLF and empty lines", input: "\r\na\tr\tb\r\n\n", want: []NamedTriple{{"a", "r", "b"}}},
		{name: "spaces are part of names", input: " a \tr s\tb\n", want: []NamedTriple{{" a ", "r s", "b"}}},
		{name: "empty input", input: "", want: nil},
		{name: "two fields", input: "a\tr\tb\na\tr\n", wantErr: "want 3 tab-separated fields", line: 2},
		{name: "four fields", input: "a\tr\tb\tc\n", wantErr: "got 4", line: 1},
		{name: "space separated", input: "a r b\n", wantErr: "got 1", line: 1},
		{name: "empty relation", input: "\n\na\t\tb\n", wantErr: "relation: empty name", line: 3},
		{name: "whitespace line", input: "a\tr\tb\n \n", wantErr: "got 1", line: 2},
		{name: "invalid UTF-8", input: "a\tr\t\xff\n", wantErr: "tail: name \"\\xff\" is not valid UTF-8", line: 1},
		{name: "line too long", input: "a\tr\t" + strings.Repeat("x", maxLineBytes) + "\n", wantErr: "longer than", line: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadTriples(strings.NewReader(tt.input))
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			var le *LineError
			require.True(t, errors.As(err, &le))
			require.Equal(t, tt.line, le.Line)
		})
	}
}

func TestWriteTriplesRejectsUnwritableNames(t *testing.T) {
	t.Parallel()
	for _, bad := range []NamedTriple{{"a\tb", "r", "c"}, {"a", "r\n", "c"}, {"a", "r", ""}, {"a", "r", "c\r"}} {
		err := WriteTriples(&bytes.Buffer{}, []NamedTriple{{"x", "y", "z"}, bad})
		require.ErrorContains(t, err, "triple 1", "%q", bad)
	}
}

func FuzzReadTriples(f *testing.F) {
	for _, seed := range []string{"a\tr\tb\n", "a\tr\tb\r\n\nc\ts\td", "a\tb\n", "\t\t\n", "a\tr\t\xff", " \t \t \n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		triples, err := ReadTriples(bytes.NewReader(data))
		if err != nil {
			var le *LineError
			require.True(t, errors.As(err, &le), "error %v is not a *LineError", err)
			require.Positive(t, le.Line)
			return
		}
		// Whatever parses must survive a round trip unchanged.
		var buf bytes.Buffer
		require.NoError(t, WriteTriples(&buf, triples))
		again, err := ReadTriples(&buf)
		require.NoError(t, err)
		require.Equal(t, triples, again)
	})
}
