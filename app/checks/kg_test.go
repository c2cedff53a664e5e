package checks

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
)

// TestCurrentStatusAgreesWithKG holds checks and Horn rules to one notion of
// "current status": on generated records, currentStatus of every entity is
// the status fact kg derives for it.
func TestCurrentStatusAgreesWithKG(t *testing.T) {
	t.Parallel()
	g, err := gen.New(gen.Config{N: 60, Seed: 4, FaultRate: 0.5})
	require.NoError(t, err)
	compared := 0
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		graph, err := kg.Builder{Now: now}.Build(rec.Doc)
		require.NoError(t, err)
		var doc any
		require.NoError(t, json.Unmarshal(rec.Doc, &doc))
		r := &record{now: now}
		for _, tr := range graph.Triples {
			if tr.Predicate != kg.PredStatus {
				continue
			}
			obj := resolve(t, doc, graph.Entities[tr.Subject].Pointer)
			require.Equal(t, tr.Object, r.currentStatus(obj), "%s at %s", rec.CustomerID, tr.Pointer)
			compared++
		}
	}
	require.Greater(t, compared, 1000)
}

// resolve follows an RFC 6901 pointer through a decoded document.
func resolve(t *testing.T, doc any, pointer string) any {
	t.Helper()
	if pointer == "" {
		return doc
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch v := doc.(type) {
		case map[string]any:
			doc = v[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			require.NoError(t, err)
			doc = v[i]
		}
	}
	return doc
}
