package ingest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadPaths(t *testing.T) {
	t.Parallel()
	recs := records(t, 4, false)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, data, 0o644))
		return path
	}
	write("export/"+recs[0].FileName(), recs[0].Doc)
	write("export/deeper/"+recs[1].FileName()+".gz", gzipped(t, recs[1].Doc))
	write("export/notes.md", []byte("not a record"))
	write("export/bad.json", []byte(`{"id": 1}`))
	write("archive.zip", zipped(t, zipEntry{name: recs[2].FileName(), data: recs[2].Doc}))
	named := write("picked.dat", recs[3].Doc)

	var res result
	err := ReadPaths(t.Context(), []string{filepath.Join(dir, "export"), filepath.Join(dir, "archive.zip"), named}, Limits{},
		func(d Document) error { res.docs = append(res.docs, d); return nil },
		func(r Rejection) { res.rejections = append(res.rejections, r) })
	require.NoError(t, err)
	require.Equal(t, []string{
		filepath.Join(dir, "export", recs[0].FileName()),
		filepath.Join(dir, "export", "deeper", recs[1].FileName()+".gz"),
		filepath.Join(dir, "archive.zip") + ":" + recs[2].FileName(),
		named,
	}, res.sources())
	require.Equal(t, map[string]string{filepath.Join(dir, "export", "bad.json"): `top-level "id" is not a string`}, res.rejected())
	require.Equal(t, recs[0].MSISDN, res.docs[0].FileMSISDN)
	require.Empty(t, res.docs[1].FileMSISDN, "the name ends in .gz, not .txt")
	require.Equal(t, recs[2].MSISDN, res.docs[2].FileMSISDN)
	for i, d := range res.docs {
		require.Equal(t, string(compact(t, recs[i].Doc)), string(d.Data))
	}

	t.Run("limits span the paths", func(t *testing.T) {
		t.Parallel()
		err := ReadPaths(t.Context(), []string{filepath.Join(dir, "export"), named}, Limits{MaxRecords: 2},
			func(Document) error { return nil }, func(Rejection) {})
		require.ErrorIs(t, err, ErrLimit)
		err = ReadPaths(t.Context(), []string{filepath.Join(dir, "archive.zip")}, Limits{MaxUploadBytes: 100},
			func(Document) error { return nil }, func(Rejection) {})
		require.ErrorIs(t, err, ErrLimit)
	})
	t.Run("missing path", func(t *testing.T) {
		t.Parallel()
		err := ReadPaths(t.Context(), []string{filepath.Join(dir, "nope")}, Limits{},
			func(Document) error { return nil }, func(Rejection) {})
		require.True(t, errors.Is(err, fs.ErrNotExist), err)
	})
}
