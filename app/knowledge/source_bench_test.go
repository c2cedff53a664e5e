package knowledge_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/knowledge"
)

// BenchmarkSourceValidator compares handing out the cached validator with
// reading the active versions on every call (Recheck 0), the cost a Recheck
// interval saves; nothing changes, so neither rebuilds.
func BenchmarkSourceValidator(b *testing.B) {
	ctx := context.Background()
	st := newStore(b)
	activate(b, st, add(b, st, knowledge.KindRules, knowledge.FormatTSV, everyContractIsSuspended))
	for _, bm := range []struct {
		name    string
		recheck time.Duration
	}{{"cached", time.Hour}, {"query-per-call", 0}} {
		b.Run(bm.name, func(b *testing.B) {
			src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st, Recheck: bm.recheck})
			require.NoError(b, err)
			_, err = src.Validator(ctx)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Validator(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
