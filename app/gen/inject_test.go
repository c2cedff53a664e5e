package gen_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/internal/testkit"
)

// TestInjectIntoAnyRecord puts a fault of every kind into clean generated
// records and into the two production examples; the independent checker
// finds that fault, at the labelled place, and no other.
func TestInjectIntoAnyRecord(t *testing.T) {
	t.Parallel()
	recs, err := gen.Generate(gen.Config{N: 16, Seed: 17})
	require.NoError(t, err)
	docs := map[string][]byte{}
	for _, r := range recs {
		docs[r.FileName()] = r.Doc
	}
	for _, r := range testkit.RealRecords() {
		docs[r.Name] = r.Doc
	}
	now := gen.DefaultNow()
	for name, doc := range docs {
		require.Empty(t, check(t, doc, now), name)
	}
	for _, kind := range gen.Kinds() {
		injected := 0
		for name, doc := range docs {
			faulty, label, err := gen.Inject(doc, kind, 1, now)
			if errors.Is(err, gen.ErrNotApplicable) {
				continue
			}
			require.NoError(t, err)
			injected++
			require.Equal(t, kind, label.Kind)
			found := check(t, faulty, now)
			require.NotEmpty(t, found, "%s into %s", kind, name)
			var pointers []string
			for _, f := range found {
				require.Equal(t, kind, f.kind, "%s into %s: found %s at %s", kind, name, f.kind, f.pointer)
				pointers = append(pointers, f.pointer)
			}
			if kind != gen.DuplicateActiveMSISDN {
				require.Contains(t, pointers, label.Pointer, "%s into %s", kind, name)
			}
			if injected == 1 {
				again, _, err := gen.Inject(doc, kind, 1, now)
				require.NoError(t, err)
				require.Equal(t, faulty, again, "seeded")
			}
		}
		require.Greater(t, injected, 5, kind)
	}
	for _, r := range testkit.RealRecords() {
		for _, kind := range gen.Kinds() {
			_, _, err := gen.Inject(r.Doc, kind, 1, now)
			if r.Name == "customer-enquiry-single.json" && kind == gen.DuplicateActiveMSISDN {
				require.ErrorIs(t, err, gen.ErrNotApplicable, "one line has no number to share")
				continue
			}
			require.NoError(t, err, "%s into %s", kind, r.Name)
		}
	}
}
