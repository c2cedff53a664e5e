package console

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The embedded templates and assets load: a template error is a test
// failure, not a server that will not start.
func TestTemplatesAndAssetsLoad(t *testing.T) {
	t.Parallel()
	as, err := loadAssets()
	require.NoError(t, err)
	ps, err := loadPages(as)
	require.NoError(t, err)
	for _, name := range []string{"overview", "records", "record", "record_diff", "knowledge", "knowledge_version", "knowledge_diff",
		"learning", "model", "map", "flows", "execution", "line", "jobs", "job", "admin", "audit", "login", "error"} {
		require.Contains(t, ps.sets, name)
	}
}
