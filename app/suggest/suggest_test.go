package suggest_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/suggest"
)

func TestNearest(t *testing.T) {
	t.Parallel()
	commands := []string{"serve", "worker", "migrate", "ingest", "validate", "models"}
	for word, want := range map[string]string{
		"serv": "serve", "sevre": "serve", "migrat": "migrate", "modles": "models",
		"ingets": "ingest", "xyz": "", "": "", "validatex": "validate", "deploy": "",
	} {
		require.Equal(t, want, suggest.Nearest(word, commands), word)
	}
}
