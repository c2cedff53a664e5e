package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func generateRecords(t testing.TB, n int, faultRate float64) []gen.Record {
	t.Helper()
	recs, err := gen.Generate(gen.Config{N: n, Seed: 9, FaultRate: faultRate})
	require.NoError(t, err)
	return recs
}

const testPassword = "correct horse battery staple"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}
