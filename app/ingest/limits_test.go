package ingest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocumentLimits checks the limits that reject one document while the
// rest of the upload goes on.
func TestDocumentLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits Limits
		bad    string
		reason string
	}{
		{
			name: "document size", limits: Limits{MaxDocumentBytes: 100},
			bad:    `{"id":"b","pad":"` + strings.Repeat("x", 200) + `"}`,
			reason: "document larger than 100 bytes (MaxDocumentBytes) at line 2",
		},
		{
			name: "depth", limits: Limits{MaxDepth: 3},
			bad:    `{"id":"b","a":[{"b":[1]}]}`,
			reason: "nesting deeper than 3 (MaxDepth) at line 2, column 21",
		},
		{
			name: "string length", limits: Limits{MaxStringLength: 10},
			bad:    `{"id":"b","s":"12345678901"}`,
			reason: "string longer than 10 bytes (MaxStringLength) at line 2, column 15",
		},
		{
			name: "key length", limits: Limits{MaxStringLength: 10},
			bad:    `{"id":"b","12345678901":1}`,
			reason: "string longer than 10 bytes (MaxStringLength) at line 2, column 11",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			atLimit := `{"id":"a","x":[{"y":"1234567890"}]}` // depth 3, strings of 10
			input := ndjson(atLimit, tt.bad, `{"id":"c"}`)
			res := read(t, input, "b.ndjson", "", tt.limits)
			require.NoError(t, res.err)
			require.Equal(t, []string{"b.ndjson:1", "b.ndjson:3"}, res.sources())
			require.Len(t, res.rejections, 1)
			require.Equal(t, "b.ndjson:2", res.rejections[0].Source)
			require.Contains(t, res.rejections[0].Reason, tt.reason)
		})
	}
	t.Run("document size across reads", func(t *testing.T) {
		t.Parallel()
		huge := `{"id":"a","pad":"` + strings.Repeat("x", 5*readBufferSize) + `"}`
		res := read(t, ndjson(huge, `{"id":"b"}`), "b.ndjson", "", Limits{MaxDocumentBytes: readBufferSize})
		require.NoError(t, res.err)
		require.Equal(t, []string{"b.ndjson:2"}, res.sources())
		require.Contains(t, res.rejected()["b.ndjson:1"], "(MaxDocumentBytes)")
	})
}

// TestUploadLimits checks the limits that stop the whole upload.
func TestUploadLimits(t *testing.T) {
	t.Parallel()
	doc := `{"id":"a","pad":"` + strings.Repeat("x", 100) + `"}`
	lines := ndjson(doc, doc, doc, doc)
	// A bomb: 2 MiB of whitespace in a valid document compresses a
	// thousandfold, and only the ratio stops it.
	bombDoc := append(append([]byte(`{"id":"a",`), bytes.Repeat([]byte(" "), 2*ratioFloor)...), `"x":1}`...)
	tests := []struct {
		name     string
		input    []byte
		limits   Limits
		limit    string
		tooLarge bool
		source   string
		docs     int
	}{
		{
			name: "upload size", input: lines, limits: Limits{MaxUploadBytes: int64(len(doc)*2 + 10)},
			limit: "MaxUploadBytes", tooLarge: true, source: "upload", docs: 2,
		},
		{
			name: "records", input: lines, limits: Limits{MaxRecords: 3},
			limit: "MaxRecords", source: "upload:4", docs: 3,
		},
		{
			name: "records counts rejections", input: ndjson(doc, "{", "{", doc), limits: Limits{MaxRecords: 3},
			limit: "MaxRecords", source: "upload:4", docs: 1,
		},
		{
			name: "records as ZIP entries, before the directory is read", input: zipped(t,
				zipEntry{name: "a.json", data: []byte(doc)}, zipEntry{name: "b.json", data: []byte(doc)}),
			limits: Limits{MaxRecords: 1}, limit: "MaxRecords", source: "upload",
		},
		{
			name: "uncompressed size", input: gzipped(t, lines), limits: Limits{MaxUncompressedBytes: int64(len(doc)*2 + 10)},
			limit: "MaxUncompressedBytes", tooLarge: true, source: "upload", docs: 2,
		},
		{
			name: "uncompressed size over ZIP entries",
			input: zipped(t, zipEntry{name: "a.json", data: []byte(doc)}, zipEntry{name: "b.json", data: []byte(doc)},
				zipEntry{name: "c.json", data: []byte(doc)}),
			limits: Limits{MaxUncompressedBytes: int64(len(doc) * 2)},
			limit:  "MaxUncompressedBytes", tooLarge: true, source: "upload:c.json", docs: 2,
		},
		{
			name: "gzip bomb", input: gzipped(t, bombDoc),
			limit: "MaxCompressionRatio", source: "upload",
		},
		{
			name:  "zip bomb",
			input: zipped(t, zipEntry{name: "fine.json", data: []byte(doc)}, zipEntry{name: "bomb.json", data: bombDoc}),
			limit: "MaxCompressionRatio", source: "upload:bomb.json", docs: 1,
		},
		{
			name:  "gzip bomb in a ZIP",
			input: zipped(t, zipEntry{name: "bomb.json.gz", data: gzipped(t, bombDoc), store: true}),
			limit: "MaxCompressionRatio", source: "upload:bomb.json.gz",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := read(t, tt.input, "upload", "", tt.limits)
			limitErr, ok := errors.AsType[*LimitError](res.err)
			require.True(t, ok, "want a *LimitError, got %v", res.err)
			require.ErrorIs(t, res.err, ErrLimit)
			require.Equal(t, tt.limit, limitErr.Limit)
			require.Equal(t, tt.tooLarge, limitErr.TooLarge)
			require.Equal(t, tt.source, limitErr.Source)
			require.Contains(t, limitErr.Error(), "("+tt.limit+")")
			require.Len(t, res.docs, tt.docs)
		})
	}
}

func TestLimitErrorMessage(t *testing.T) {
	t.Parallel()
	err := &LimitError{Limit: "MaxUploadBytes", Value: DefaultMaxUploadBytes, TooLarge: true, Source: "upload.zip"}
	require.Equal(t, "ingest: upload larger than 1073741824 bytes (MaxUploadBytes) at upload.zip", err.Error())
	err = &LimitError{Limit: "MaxCompressionRatio", Value: 100}
	require.Equal(t, "ingest: compression ratio above 100 (MaxCompressionRatio)", err.Error())
}

func TestLimitsDefaults(t *testing.T) {
	t.Parallel()
	require.Equal(t, Limits{
		MaxUploadBytes: 1 << 30, MaxRecords: 100_000, MaxDocumentBytes: 16 << 20, MaxUncompressedBytes: 4 << 30,
		MaxCompressionRatio: 100, MaxDepth: 64, MaxStringLength: 1 << 20,
	}, Limits{}.withDefaults())
	require.Equal(t, 7, Limits{MaxDepth: 7}.withDefaults().MaxDepth)
}
