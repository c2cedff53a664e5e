package ingest

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"mime/multipart"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

// BenchmarkRead measures each format on 200 generated records. The bytes per
// operation are the documents' JSON as generated (indented, or compact for
// NDJSON), whatever the format's own size, so the figures compare; the
// references measure encoding/json and gunzip on the same bytes in the same
// run. cpu-MB/s divides by the CPU time used rather than the wall clock,
// which a shared machine's load disturbs less.
//
//	go test ./app/ingest -run '^$' -bench . -benchtime 20x -count 3
func BenchmarkRead(b *testing.B) {
	indented := records(b, 200, false)
	compactRecs := records(b, 200, true)
	var docs, lines, array bytes.Buffer
	var entries []zipEntry
	array.WriteByte('[')
	for i, r := range indented {
		docs.Write(r.Doc)
		entries = append(entries, zipEntry{name: r.FileName(), data: r.Doc})
		if i > 0 {
			array.WriteByte(',')
		}
		array.Write(r.Doc)
		lines.Write(compactRecs[i].Doc)
		lines.WriteByte('\n')
	}
	array.WriteByte(']')

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for _, e := range entries[:100] {
		w, err := mw.CreateFormFile("records", e.name)
		require.NoError(b, err)
		_, err = w.Write(e.data)
		require.NoError(b, err)
	}
	require.NoError(b, mw.Close())

	formats := []struct {
		name, file, contentType string
		input                   []byte
		jsonBytes               int
	}{
		{"ndjson", "batch.ndjson", "", lines.Bytes(), lines.Len()},
		{"array", "batch.json", "", array.Bytes(), array.Len()},
		{"ndjson.gz", "batch.ndjson.gz", "", gzipped(b, lines.Bytes()), lines.Len()},
		{"zip", "upload.zip", "", zipped(b, entries...), docs.Len()},
		{"zip-stored", "upload.zip", "", zipped(b, storedEntries(entries)...), docs.Len()},
		{"multipart", "", mw.FormDataContentType(), form.Bytes(), formJSONBytes(entries[:100])},
	}
	for _, f := range formats {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			measure(b, f.jsonBytes, func() {
				n := 0
				err := Read(b.Context(), bytes.NewReader(f.input), f.file, f.contentType, Limits{},
					func(Document) error { n++; return nil },
					func(r Rejection) { b.Fatalf("rejected %v", r) })
				require.NoError(b, err)
				require.NotZero(b, n)
			})
		})
	}
	b.Run("reference/json.Valid", func(b *testing.B) {
		measure(b, lines.Len(), func() {
			for _, r := range compactRecs {
				require.True(b, json.Valid(r.Doc))
			}
		})
	})
	b.Run("reference/json.Compact", func(b *testing.B) {
		var out bytes.Buffer
		measure(b, docs.Len(), func() {
			for _, r := range indented {
				out.Reset()
				require.NoError(b, json.Compact(&out, r.Doc))
			}
		})
	})
	b.Run("reference/gunzip", func(b *testing.B) {
		gz := gzipped(b, lines.Bytes())
		measure(b, lines.Len(), func() {
			zr, err := gzipReader(bytes.NewReader(gz))
			require.NoError(b, err)
			_, err = io.Copy(io.Discard, zr)
			require.NoError(b, err)
		})
	})
}

func storedEntries(entries []zipEntry) []zipEntry {
	stored := make([]zipEntry, len(entries))
	for i, e := range entries {
		stored[i] = zipEntry{name: e.name, data: e.data, store: true}
	}
	return stored
}

func formJSONBytes(entries []zipEntry) int {
	n := 0
	for _, e := range entries {
		n += len(e.data)
	}
	return n
}

// measure runs op b.N times, reporting MB/s of size bytes an op by the wall
// clock and by CPU time.
func measure(b *testing.B, size int, op func()) {
	b.SetBytes(int64(size))
	cpu := testkit.ProcessCPU()
	for b.Loop() {
		op()
	}
	if used := testkit.ProcessCPU() - cpu; used > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/used.Seconds(), "cpu-MB/s")
	}
}

// BenchmarkReadPaths reads the files or directories in $PFF_INGEST_BENCH
// (space-separated), e.g. a corpus from `pff gen records`, to compare with
// loading the same documents by other means in the same run. MB/s counts the
// files' bytes, compressed or not; records/s compares across formats:
//
//	pff gen records --n 2000 --faults 0 --out /tmp/batch.ndjson
//	PFF_INGEST_BENCH=/tmp/batch.ndjson go test ./app/ingest -run '^$' -bench ReadPaths -benchtime 5x
func BenchmarkReadPaths(b *testing.B) {
	paths := strings.Fields(os.Getenv("PFF_INGEST_BENCH"))
	if len(paths) == 0 {
		b.Skip("PFF_INGEST_BENCH names no files")
	}
	size := 0
	for _, p := range paths {
		require.NoError(b, filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			info, err := d.Info()
			size += int(info.Size())
			return err
		}))
	}
	limits := Limits{MaxUploadBytes: 1 << 40, MaxRecords: 1 << 30, MaxUncompressedBytes: 1 << 40}
	records := 0
	measure(b, size, func() {
		err := ReadPaths(b.Context(), paths, limits, func(Document) error { records++; return nil },
			func(r Rejection) { b.Fatalf("rejected %v", r) })
		require.NoError(b, err)
	})
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
