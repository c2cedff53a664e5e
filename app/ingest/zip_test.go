package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadZipRejectsEntries(t *testing.T) {
	t.Parallel()
	good := []byte(`{"id":"a"}`)
	input := zipped(t,
		zipEntry{name: "first.json", data: good},
		zipEntry{name: "broken.txt", data: []byte("{\n  \"id\": \"b\",\n  \"x\": [1, 2,]\n}")},
		zipEntry{name: "../../etc/cron.d/x.json", data: good},
		zipEntry{name: `export\..\..\x.json`, data: good},
		zipEntry{name: "/etc/x.json", data: good},
		zipEntry{name: `C:\x.json`, data: good},
		zipEntry{name: "caf\xe9.json", data: good},
		zipEntry{name: "inner.zip", data: zipped(t, zipEntry{name: "a.json", data: good})},
		zipEntry{name: "disguised.txt", data: zipped(t, zipEntry{name: "a.json", data: good})},
		zipEntry{name: "notes/ok..json", data: good},
		zipEntry{name: "last.json", data: good},
	)
	res := read(t, input, "upload.zip", "application/zip", Limits{})
	require.NoError(t, res.err)
	require.Equal(t, []string{"upload.zip:first.json", "upload.zip:notes/ok..json", "upload.zip:last.json"}, res.sources())
	require.Equal(t, map[string]string{
		"upload.zip:broken.txt":              "unexpected ']' where a value should be at line 3, column 14",
		"upload.zip:../../etc/cron.d/x.json": `file name climbs out of the archive with ".."`,
		`upload.zip:export\..\..\x.json`:     `file name climbs out of the archive with ".."`,
		"upload.zip:/etc/x.json":             "file name is an absolute path",
		`upload.zip:C:\x.json`:               "file name is an absolute path",
		`upload.zip:"caf\xe9.json"`:          "file name is not valid UTF-8",
		"upload.zip:inner.zip":               "a ZIP inside a ZIP is not read: upload its contents instead",
		"upload.zip:disguised.txt":           "a ZIP inside a ZIP is not read: upload its contents instead",
	}, res.rejected())
}

// TestReadZipDoesNotTrustHeaders builds entries whose headers lie: more data
// than the declared size, and a wrong checksum. Neither's document goes in.
func TestReadZipDoesNotTrustHeaders(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"id":"a","pad":"` + string(bytes.Repeat([]byte("x"), 1000)) + `"}`)
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	require.NoError(t, err)
	_, err = fw.Write(doc)
	require.NoError(t, err)
	require.NoError(t, fw.Close())

	var archive bytes.Buffer
	zw := zip.NewWriter(&archive)
	raw := func(name string, size uint64, crc uint32) {
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: name, Method: zip.Deflate, CRC32: crc,
			CompressedSize64: uint64(deflated.Len()), UncompressedSize64: size,
		})
		require.NoError(t, err)
		_, err = w.Write(deflated.Bytes())
		require.NoError(t, err)
	}
	raw("small.json", 20, crc32.ChecksumIEEE(doc))
	raw("checksum.json", uint64(len(doc)), crc32.ChecksumIEEE(doc)+1)
	raw("honest.json", uint64(len(doc)), crc32.ChecksumIEEE(doc))
	require.NoError(t, zw.Close())

	res := read(t, archive.Bytes(), "upload.zip", "", Limits{})
	require.NoError(t, res.err)
	require.Equal(t, []string{"upload.zip:honest.json"}, res.sources())
	require.Equal(t, map[string]string{
		"upload.zip:small.json":    "unreadable: zip: not a valid zip file",
		"upload.zip:checksum.json": "unreadable: zip: checksum error",
	}, res.rejected())
}

func TestReadCorruptArchives(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"id":"a"}`)
	gz := gzipped(t, doc)
	tests := []struct {
		name, file string
		input      []byte
		reason     string
	}{
		{"zip magic only", "u.zip", []byte("PK\x03\x04 and nothing else"), "not a readable ZIP archive: zip: not a valid zip file"},
		{"truncated gzip", "u.json.gz", gz[:len(gz)-6], "unreadable: unexpected EOF"},
		{"gzip with a bad checksum", "u.json.gz", append(gz[:len(gz)-8:len(gz)-8], 0, 0, 0, 0, byte(len(doc)), 0, 0, 0), "unreadable: gzip: invalid checksum"},
		{"gzip in gzip", "u.json.gz", gzipped(t, gz), "gzip inside gzip is not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := read(t, tt.input, tt.file, "", Limits{})
			require.NoError(t, res.err)
			require.Empty(t, res.docs)
			require.Equal(t, map[string]string{tt.file: tt.reason}, res.rejected())
		})
	}
}

func TestEntryNameProblem(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"a.json":            "",
		"dir/sub/a.json":    "",
		"a..b.json":         "",
		"..a.json":          "",
		"../a.json":         `file name climbs out of the archive with ".."`,
		"a/../b.json":       `file name climbs out of the archive with ".."`,
		`a\..\b.json`:       `file name climbs out of the archive with ".."`,
		"/a.json":           "file name is an absolute path",
		`\\server\a.json`:   "file name is an absolute path",
		"c:a.json":          "file name is an absolute path",
		"\xff.json":         "file name is not valid UTF-8",
		"customer_\xc3.txt": "file name is not valid UTF-8",
	} {
		require.Equal(t, want, entryNameProblem(name), name)
	}
}

func TestZipEntryCount(t *testing.T) {
	t.Parallel()
	archive := func(n int) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := range n {
			_, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i) + "/", Method: zip.Store})
			require.NoError(t, err)
		}
		require.NoError(t, zw.SetComment("a comment moves the end record"))
		require.NoError(t, zw.Close())
		return b.Bytes()
	}
	for _, n := range []int{0, 3, 70_000} { // 70,000 needs ZIP64's count
		data := archive(n)
		count, ok := zipEntryCount(bytes.NewReader(data), int64(len(data)))
		require.True(t, ok, n)
		require.Equal(t, uint64(n), count)
	}
	_, ok := zipEntryCount(bytes.NewReader([]byte("PK\x03\x04 no end")), 13)
	require.False(t, ok)
}
