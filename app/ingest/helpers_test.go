package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
)

// result is what one read produced.
type result struct {
	docs       []Document
	rejections []Rejection
	err        error
}

func (r result) sources() []string {
	var s []string
	for _, d := range r.docs {
		s = append(s, d.Source)
	}
	return s
}

func (r result) rejected() map[string]string {
	m := make(map[string]string)
	for _, rej := range r.rejections {
		m[rej.Source] = rej.Reason
	}
	return m
}

func read(t testing.TB, input []byte, name, contentType string, limits Limits) result {
	t.Helper()
	var res result
	res.err = Read(t.Context(), bytes.NewReader(input), name, contentType, limits,
		func(d Document) error { res.docs = append(res.docs, d); return nil },
		func(r Rejection) { res.rejections = append(res.rejections, r) })
	return res
}

// records returns n generated records.
func records(t testing.TB, n int, compact bool) []gen.Record {
	t.Helper()
	g, err := gen.New(gen.Config{N: n, Seed: 1, Compact: compact})
	require.NoError(t, err)
	var recs []gen.Record
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		recs = append(recs, r)
	}
	return recs
}

func compact(t testing.TB, doc []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, doc))
	return buf.Bytes()
}

func ndjson(docs ...string) []byte {
	var b bytes.Buffer
	for _, d := range docs {
		b.WriteString(d)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

// zipEntry is a file to put in a test archive.
type zipEntry struct {
	name string
	data []byte
	// store writes it uncompressed.
	store bool
}

func zipped(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		require.NoError(t, err)
		_, err = f.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return b.Bytes()
}

func gzipReader(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
