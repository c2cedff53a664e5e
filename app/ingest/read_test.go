package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestReadFormats(t *testing.T) {
	t.Parallel()
	recs := records(t, 3, false)
	lines := records(t, 3, true)
	var nd, array, concatenated []byte
	array = append(array, "[\n"...)
	for i, r := range lines {
		nd = append(append(nd, r.Doc...), '\n')
		if i > 0 {
			array = append(array, ",\n"...)
		}
		array = append(array, recs[i].Doc...)
		concatenated = append(append(concatenated, recs[i].Doc...), '\n')
	}
	array = append(array, "\n]\n"...)
	want := make([][]byte, len(recs))
	for i, r := range recs {
		want[i] = compact(t, r.Doc)
	}
	// Each generated document starts on the line after the previous ends.
	docLines := []int{1}
	for _, r := range recs[:2] {
		docLines = append(docLines, docLines[len(docLines)-1]+bytes.Count(r.Doc, []byte("\n"))+1)
	}
	zipOf := func(entries ...zipEntry) []byte { return zipped(t, entries...) }
	tests := []struct {
		name, file, contentType string
		input                   []byte
		sources                 []string
		msisdn                  []string
	}{
		{
			name: "one object", file: recs[0].FileName(), input: recs[0].Doc,
			sources: []string{recs[0].FileName()}, msisdn: []string{recs[0].MSISDN},
		},
		{
			name: "unnamed", input: recs[0].Doc, sources: []string{"upload"}, msisdn: []string{""},
		},
		{
			name: "array", file: "batch.json", input: array,
			sources: []string{"batch.json[0]", "batch.json[1]", "batch.json[2]"},
		},
		{
			name: "ndjson", file: "batch.ndjson", input: nd,
			sources: []string{"batch.ndjson:1", "batch.ndjson:2", "batch.ndjson:3"},
		},
		{
			name: "ndjson told by the first line", file: "upload", input: nd,
			sources: []string{"upload:1", "upload:2", "upload:3"},
		},
		{
			name: "ndjson by content type", file: "upload", contentType: "application/x-ndjson", input: nd,
			sources: []string{"upload:1", "upload:2", "upload:3"},
		},
		{
			name: "indented documents one after another", file: "all.json", input: concatenated,
			sources: []string{"all.json:1", "all.json:" + strconv.Itoa(docLines[1]), "all.json:" + strconv.Itoa(docLines[2])},
		},
		{
			name: "gzip ndjson", file: "batch.ndjson.gz", input: gzipped(t, nd),
			sources: []string{"batch.ndjson.gz:1", "batch.ndjson.gz:2", "batch.ndjson.gz:3"},
		},
		{
			name: "gzip array", file: "batch.json.gz", input: gzipped(t, array),
			sources: []string{"batch.json.gz[0]", "batch.json.gz[1]", "batch.json.gz[2]"},
		},
		{
			name: "zip", file: "upload.zip",
			input: zipOf(
				zipEntry{name: "export/" + recs[0].FileName(), data: recs[0].Doc},
				zipEntry{name: "export/", data: nil},
				zipEntry{name: "export/" + recs[1].FileName(), data: recs[1].Doc, store: true},
				zipEntry{name: "README.md", data: []byte("not a record")},
				zipEntry{name: "__MACOSX/export/._" + recs[2].FileName(), data: []byte{0, 5, 22, 7}},
				zipEntry{name: "more/last.json.gz", data: gzipped(t, recs[2].Doc)},
			),
			sources: []string{
				"upload.zip:export/" + recs[0].FileName(), "upload.zip:export/" + recs[1].FileName(),
				"upload.zip:more/last.json.gz",
			},
			msisdn: []string{recs[0].MSISDN, recs[1].MSISDN, ""},
		},
		{
			name: "zip of ndjson", file: "upload.zip",
			input:   zipOf(zipEntry{name: "a.ndjson", data: nd}),
			sources: []string{"upload.zip:a.ndjson:1", "upload.zip:a.ndjson:2", "upload.zip:a.ndjson:3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := read(t, tt.input, tt.file, tt.contentType, Limits{})
			require.NoError(t, res.err)
			require.Empty(t, res.rejections)
			require.Equal(t, tt.sources, res.sources())
			for i, d := range res.docs {
				require.Equal(t, string(want[i]), string(d.Data), d.Source)
				if tt.msisdn != nil {
					require.Equal(t, tt.msisdn[i], d.FileMSISDN, d.Source)
				}
			}
		})
	}
}

func TestReadMultipart(t *testing.T) {
	t.Parallel()
	recs := records(t, 4, true)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("comment", "a form field, not a file"))
	files := []struct {
		name string
		data []byte
	}{
		{recs[0].FileName(), recs[0].Doc},
		{"lines.ndjson", ndjson(string(recs[1].Doc), `{"no":"id"}`)},
		{"more.json.gz", gzipped(t, recs[2].Doc)},
		{"upload.zip", zipped(t, zipEntry{name: recs[3].FileName(), data: recs[3].Doc})},
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("records", f.name)
		require.NoError(t, err)
		_, err = w.Write(f.data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())

	res := read(t, body.Bytes(), "", mw.FormDataContentType(), Limits{})
	require.NoError(t, res.err)
	require.Equal(t, []string{recs[0].FileName(), "lines.ndjson:1", "more.json.gz", "upload.zip:" + recs[3].FileName()}, res.sources())
	require.Equal(t, map[string]string{"lines.ndjson:2": `no top-level "id": a record is identified by its customer id`}, res.rejected())
	require.Equal(t, recs[0].MSISDN, res.docs[0].FileMSISDN)
	require.Equal(t, recs[3].MSISDN, res.docs[3].FileMSISDN)

	t.Run("upload size", func(t *testing.T) {
		t.Parallel()
		res := read(t, body.Bytes(), "", mw.FormDataContentType(), Limits{MaxUploadBytes: int64(body.Len() - 100)})
		require.ErrorIs(t, res.err, ErrLimit)
		limitErr, ok := errors.AsType[*LimitError](res.err)
		require.True(t, ok, "want a *LimitError, got %v", res.err)
		require.Equal(t, "MaxUploadBytes", limitErr.Limit)
	})
	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		res := read(t, []byte("--x\r\nnot a header\r\n"), "", "multipart/form-data; boundary=x", Limits{})
		require.ErrorIs(t, res.err, ErrInput)
		res = read(t, body.Bytes(), "", "multipart/form-data", Limits{})
		require.ErrorIs(t, res.err, ErrInput)
		cut := body.Bytes()[:body.Len()-60] // inside the ZIP, the last part
		res = read(t, cut, "", mw.FormDataContentType(), Limits{})
		require.ErrorIs(t, res.err, ErrInput)
		require.ErrorContains(t, res.err, "upload.zip")
	})
}

func TestReadRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		rejected    map[string]string
		docs        int
	}{
		{"empty", "  \n", map[string]string{"f.json": "no JSON document: the input is empty"}, 0},
		{"array document", `[[1]]`, map[string]string{"f.json[0]": "a JSON array, not an object"}, 0},
		{"string document", `"x"`, map[string]string{"f.json": "a JSON string, not an object"}, 0},
		{"no id", `{"ID":"x","nested":{"id":"y"}}`, map[string]string{"f.json": `no top-level "id": a record is identified by its customer id`}, 0},
		{"numeric id", `{"id":17}`, map[string]string{"f.json": `top-level "id" is not a string`}, 0},
		{"object id", `{"id":{"id":"x"}}`, map[string]string{"f.json": `top-level "id" is not a string`}, 0},
		{"empty id", `{"id":""}`, map[string]string{"f.json": `top-level "id" is empty`}, 0},
		{"escaped id key", `{"\u0069d":"x"}`, map[string]string{}, 1},
		{"syntax error", "{\n  \"id\": \"x\",\n  \"a\": tru\n}", map[string]string{"f.json": "invalid literal, expected true at line 3, column 8"}, 0},
		{"missing comma", "{\"id\": \"x\" \"a\": 1}", map[string]string{"f.json": "expected ',' or '}' in object, found '\"' at line 1, column 12"}, 0},
		{"truncated", `{"id": "x", "a": [1, 2`, map[string]string{"f.json": "unexpected end of input in array at line 1, column 23"}, 0},
		{"invalid UTF-8", "{\"id\": \"x\", \"name\": \"Jo\xe3o\"}", map[string]string{"f.json": "invalid UTF-8 in string at line 1, column 24"}, 0},
		{"UTF-8 surrogate", "{\"id\": \"\xed\xa0\x80\"}", map[string]string{"f.json": "invalid UTF-8 in string at line 1, column 9"}, 0},
		{"control character", "{\"id\": \"a\tb\"}", map[string]string{"f.json": "control character byte 0x09 in string at line 1, column 10"}, 0},
		{"nul escape", `{"id": "a\u0000"}`, map[string]string{"f.json": `\u0000 in string (jsonb cannot store it) at line 1, column 10`}, 0},
		{"lone high surrogate", `{"id": "a\ud83d"}`, map[string]string{"f.json": `unpaired surrogate \ud83d in string at line 1, column 10`}, 0},
		{"lone low surrogate", `{"id": "\ude00"}`, map[string]string{"f.json": `unpaired surrogate \ude00 in string at line 1, column 9`}, 0},
		{"surrogate pair", `{"id": "\ud83d\ude00 ok"}`, map[string]string{}, 1},
		{"bad escape", `{"id": "a\x"}`, map[string]string{"f.json": `invalid escape 'x' in string at line 1, column 10`}, 0},
		{"bad number", `{"id": "x", "n": -}`, map[string]string{"f.json": "invalid number at line 1, column 19"}, 0},
		{"huge exponent", `{"id": "x", "n": 1e99999}`, map[string]string{"f.json": "number exponent longer than 4 digits at line 1, column 25"}, 0},
		{"data after array", `[{"id":"x"}] {}`, map[string]string{"f.json": "unexpected '{' after the array at line 1, column 14"}, 1},
		{"bad array element ends the array", `[{"id":"x"}, {"id": x}, {"id":"y"}]`, map[string]string{"f.json[1]": "unexpected 'x' where a value should be at line 1, column 21; the rest of the array is not read"}, 1},
		{"rejected elements do not", `[{"id":"x"}, 3, {"id":"y"}]`, map[string]string{"f.json[1]": "a JSON number, not an object"}, 2},
		{"empty array", " [ ] ", map[string]string{}, 0},
		{"unclosed array", `[`, map[string]string{"f.json[0]": "unexpected end of input where a value should be at line 1, column 2; the rest of the array is not read"}, 0},
		{"array without commas", `[{"id":"a"} {"id":"b"}]`, map[string]string{"f.json": "expected ',' or ']' in array, found '{' at line 1, column 13"}, 1},
		{"array cut short", `[{"id":"a"},`, map[string]string{"f.json[1]": "unexpected end of input where a value should be at line 1, column 13; the rest of the array is not read"}, 1},
		{"byte order mark", "\xef\xbb\xbf{\"id\":\"x\"}", map[string]string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := read(t, []byte(tt.input), "f.json", "", Limits{})
			require.NoError(t, res.err)
			require.Equal(t, tt.rejected, res.rejected())
			require.Len(t, res.docs, tt.docs)
		})
	}
}

func TestReadNDJSONBadLines(t *testing.T) {
	t.Parallel()
	input := ndjson(
		`{"id":"a"}`,
		`{"id":"b", oops}`,
		``,
		`{"id":"c"}`,
		"{\"id\":\"d\xff\"}",
		`[1,2]`,
		`{"id":"e","s":"unterminated`,
		`{"id":"f"}`,
		`{"id":"g",`,
		`{"id":"h"}`,
	)
	res := read(t, input, "batch.ndjson", "", Limits{})
	require.NoError(t, res.err)
	require.Equal(t, []string{"batch.ndjson:1", "batch.ndjson:4", "batch.ndjson:8", "batch.ndjson:10"}, res.sources())
	require.Equal(t, map[string]string{
		"batch.ndjson:2": "expected a string key in object, found 'o' at line 2, column 12",
		"batch.ndjson:5": "invalid UTF-8 in string at line 5, column 9",
		"batch.ndjson:6": "a JSON array, not an object",
		"batch.ndjson:7": "control character byte 0x0a in string at line 7, column 28",
		"batch.ndjson:9": "unexpected end of line inside the document at line 9, column 11",
	}, res.rejected())
}

// TestReadArrayStreams reads an array through a reader that records how far
// the input has been read whenever a document is emitted: never more than a
// read buffer past the document's end, so the array is never held whole.
func TestReadArrayStreams(t *testing.T) {
	t.Parallel()
	recs := records(t, 40, false)
	var array bytes.Buffer
	var ends []int
	array.WriteByte('[')
	for i, r := range recs {
		if i > 0 {
			array.WriteByte(',')
		}
		array.Write(r.Doc)
		ends = append(ends, array.Len())
	}
	array.WriteByte(']')
	src := &countingReader{r: bytes.NewReader(array.Bytes())}
	n := 0
	err := Read(t.Context(), src, "big.json", "", Limits{},
		func(d Document) error {
			require.LessOrEqual(t, src.n, int64(ends[n]+readBufferSize), d.Source)
			n++
			return nil
		},
		func(r Rejection) { t.Errorf("rejected %v", r) })
	require.NoError(t, err)
	require.Equal(t, len(recs), n)
	require.Greater(t, ends[len(ends)-1], 4*readBufferSize, "the array must be much larger than the buffer")
}

func TestReadStopsOnEmitError(t *testing.T) {
	t.Parallel()
	stop := errors.New("store is down")
	input := ndjson(`{"id":"a"}`, `{"id":"b"}`, `{"id":"c"}`)
	n := 0
	err := Read(t.Context(), bytes.NewReader(input), "b.ndjson", "", Limits{},
		func(Document) error { n++; return stop },
		func(Rejection) {})
	require.Same(t, stop, err)
	require.Equal(t, 1, n)
}

func TestReadCancel(t *testing.T) {
	t.Parallel()
	recs := records(t, 20, true)
	var nd []byte
	for range 5 {
		for _, r := range recs {
			nd = append(append(nd, r.Doc...), '\n')
		}
	}
	inputs := map[string][]byte{
		"plain": nd,
		"gzip":  gzipped(t, nd),
		"zip":   zipped(t, zipEntry{name: "a.ndjson", data: nd}, zipEntry{name: "b.ndjson", data: nd}),
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			n := 0
			err := Read(ctx, bytes.NewReader(input), "upload", "", Limits{},
				func(Document) error {
					n++
					if n == 3 {
						cancel() // the client went away
					}
					return nil
				},
				func(r Rejection) { t.Errorf("rejected %v", r) })
			require.ErrorIs(t, err, context.Canceled)
			require.Less(t, n, 3+2*readBufferSize/len(recs[0].Doc)+2, "stops within a buffer or two")
		})
	}
	t.Run("before", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := Read(ctx, bytes.NewReader(nd), "upload", "", Limits{},
			func(Document) error { return errors.New("emitted") }, func(Rejection) {})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestReadSourceError(t *testing.T) {
	t.Parallel()
	broken := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(`{"id":"a"}`+"\n"), iotest.ErrReader(broken))
	err := Read(t.Context(), r, "b.ndjson", "", Limits{}, func(Document) error { return nil }, func(Rejection) {})
	require.ErrorIs(t, err, broken)
	require.ErrorContains(t, err, "ingest: read b.ndjson")
}
