package app

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

func TestIngestCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabase(t)
	environ := []string{"DATABASE_URL=" + url}
	recs := generateRecords(t, 5, 0.4)

	dir := t.TempDir()
	for _, r := range recs[:3] {
		require.NoError(t, os.WriteFile(filepath.Join(dir, r.FileName()), r.Doc, 0o600))
	}
	archive := filepath.Join(dir, "more.zip")
	f, err := os.Create(archive)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	for _, r := range recs[3:] {
		w, err := zw.Create(r.FileName())
		require.NoError(t, err)
		_, err = w.Write(r.Doc)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	broken := filepath.Join(t.TempDir(), "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte("{\n  \"id\": \"X\",\n"), 0o600))

	pool, err := store.Connect(ctx, store.PoolConfig{URL: url})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	stored := func() int {
		recs, err := st.ListRecords(ctx, store.RecordFilter{})
		require.NoError(t, err)
		return len(recs)
	}

	res := run(t, environ, "ingest", "--dry-run", dir, broken)
	require.Equal(t, exitError, res.code, res.stderr)
	require.Contains(t, res.stdout, "dry run: 6 received, 1 rejected")
	require.Contains(t, res.stdout, "5 validated: 3 accepted")
	require.Contains(t, res.stdout, "rejected "+broken)
	require.Zero(t, stored(), "a dry run writes nothing")

	res = run(t, environ, "ingest", "--batch-size", "2", dir)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stdout, "5 received: 5 inserted, 0 updated, 0 unchanged, 0 rejected")
	require.Equal(t, 5, stored())
	var queued int
	require.NoError(t, pool.QueryRow(ctx,
		`SELECT sum(jsonb_array_length(args->'record_ids')) FROM river_job WHERE kind = 'validate_records'`).Scan(&queued))
	require.Equal(t, 5, queued)

	res = run(t, environ, "ingest", dir, broken)
	require.Equal(t, exitError, res.code, res.stderr)
	require.Contains(t, res.stdout, "6 received: 0 inserted, 0 updated, 5 unchanged, 1 rejected")
	require.Contains(t, res.stdout, "rejected "+broken+": ")
	require.Contains(t, res.stderr, "1 inputs rejected")

	res = run(t, environ, "ingest")
	require.Equal(t, exitUsage, res.code)
	res = run(t, environ, "ingest", filepath.Join(dir, "missing"))
	require.Equal(t, exitError, res.code)
}

func TestEstimateRecords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"a.json", "b.txt", "notes.md"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o600))
	}
	require.Equal(t, 2, estimateRecords([]string{dir}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "c.ndjson"), []byte("{}"), 0o600))
	require.Zero(t, estimateRecords([]string{dir}), "an NDJSON file may hold any number of records")
	require.Zero(t, estimateRecords([]string{filepath.Join(dir, "missing")}))
}
