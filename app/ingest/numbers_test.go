package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Validation reads numbers as float64s, so ingest refuses those it cannot
// read as one of the same kind: beyond its range (1e400), or not zero but
// read as zero (1e-400). Each is a rejection that says where.
func TestNumbersOutOfFloat64Range(t *testing.T) {
	t.Parallel()
	tests := []struct {
		number string
		ok     bool
	}{
		{"1e400", false},
		{"-1e400", false},
		{"1E+400", false},
		{"1.7976931348623159e308", false},
		{"179.76931348623159e306", false},
		{"1e-400", false},
		{"-2e-324", false},
		{"0.0000001e-320", false},
		{"1.7976931348623157e308", true},
		{"-1.7976931348623158e308", true}, // rounds to the largest
		{"5e-324", true},
		{"1e308", true},
		{"0e9999", true},
		{"-0.000e-9999", true},
		{"0E+0", true},
		{"123456789012345678901234567890", true},
		{"1" + strings.Repeat("0", 99), true}, // 1e99 in 100 digits
		{"-0", true},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			t.Parallel()
			doc := `{"id":"a","x":[true,` + tt.number + `]}`
			res := read(t, []byte(doc), "r.json", "", Limits{})
			require.NoError(t, res.err)
			if tt.ok {
				require.Len(t, res.docs, 1)
				require.Equal(t, doc, string(res.docs[0].Data))
				return
			}
			require.Empty(t, res.docs)
			require.Equal(t, map[string]string{
				"r.json": fmt.Sprintf("number %s is out of range of a 64-bit float at line 1, column 21", tt.number),
			}, res.rejected())
		})
	}
}

// A number that straddles the read buffer's end is read whole.
func TestNumberAcrossReadBuffers(t *testing.T) {
	t.Parallel()
	for pad := readBufferSize - 40; pad < readBufferSize+10; pad++ {
		doc := `{"id":"a","p":"` + strings.Repeat("x", pad) + `","n":-12.5e400}`
		res := read(t, []byte(doc+"\n"+doc), "r.ndjson", "", Limits{})
		require.NoError(t, res.err)
		require.Empty(t, res.docs, pad)
		for _, reason := range res.rejected() {
			require.Contains(t, reason, "number -12.5e400 is out of range of a 64-bit float", pad)
		}
		ok := strings.Replace(doc, "e400", "e300", 1)
		res = read(t, []byte(ok+"\n"+ok), "r.ndjson", "", Limits{})
		require.NoError(t, res.err)
		require.Len(t, res.docs, 2, pad)
	}
}
