package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime/multipart"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzRead reads arbitrary bytes labelled as each kind of upload: it never
// panics, emits only compact JSON objects with a string id within the
// limits, and a single document read from plain JSON is that JSON.
func FuzzRead(f *testing.F) {
	doc := []byte(`{"id":"a","n":[1,-2.5e3,true,null],"s":"\u00e9\ud83d\ude00"}`)
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	require.NoError(f, mw.SetBoundary("b"))
	w, err := mw.CreateFormFile("records", "a.ndjson")
	require.NoError(f, err)
	_, err = w.Write(ndjson(string(doc), `{"id":"b"}`))
	require.NoError(f, err)
	require.NoError(f, mw.Close())
	for i, seed := range [][]byte{
		doc,
		ndjson(string(doc), `{"id":"b"}`, `{"bad"`),
		gzipped(f, doc),
		zipped(f, zipEntry{name: "a.json", data: doc}, zipEntry{name: "../b.json", data: doc}),
		form.Bytes(),
	} {
		f.Add(seed, uint8(i))
		f.Add(seed, uint8(0))
	}
	f.Add([]byte(`[{"id":"a"},{"id":"b"}]`), uint8(0))
	f.Add([]byte("\xef\xbb\xbf{\"id\":\"x\"}"), uint8(1))

	limits := Limits{
		MaxUploadBytes: 1 << 20, MaxRecords: 50, MaxDocumentBytes: 4096, MaxUncompressedBytes: 1 << 20,
		MaxCompressionRatio: 50, MaxDepth: 8, MaxStringLength: 64,
	}
	// The ways an upload can be labelled: name and content type.
	inputs := []struct{ name, contentType string }{
		{"f.json", ""},
		{"f.ndjson", "application/x-ndjson"},
		{"f.json.gz", "application/gzip"},
		{"f.zip", "application/zip"},
		{"", "multipart/form-data; boundary=b"},
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		in := inputs[int(kind)%len(inputs)]
		var docs []Document
		rejections := 0
		err := Read(t.Context(), bytes.NewReader(data), in.name, in.contentType, limits,
			func(d Document) error { docs = append(docs, d); return nil },
			func(Rejection) { rejections++ })
		if err != nil && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrInput) {
			t.Fatalf("unexpected error: %v", err)
		}
		require.LessOrEqual(t, len(docs)+rejections, limits.MaxRecords)
		for _, d := range docs {
			require.LessOrEqual(t, int64(len(d.Data)), limits.MaxDocumentBytes)
			var compacted bytes.Buffer
			require.NoError(t, json.Compact(&compacted, d.Data), "%q", d.Data)
			require.Equal(t, compacted.String(), string(d.Data))
			var record map[string]any
			require.NoError(t, json.Unmarshal(d.Data, &record))
			id, _ := record["id"].(string)
			require.NotEmpty(t, id, "%q", d.Data)
		}
		plainJSON := in.name == "f.json" && !isGzip(data) && !isZip(data)
		if plainJSON && len(docs) == 1 && docs[0].Source == "f.json" {
			plain := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
			var compacted bytes.Buffer
			require.NoError(t, json.Compact(&compacted, plain), "%q", data)
			require.Equal(t, compacted.String(), string(docs[0].Data))
		}
	})
}
