package knowledge_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// countingStore counts the content reads, which happen only on a rebuild.
type countingStore struct {
	*store.Store
	reads atomic.Int64
}

func (s *countingStore) KnowledgeByID(ctx context.Context, kind string, id int64) (store.Knowledge, error) {
	s.reads.Add(1)
	return s.Store.KnowledgeByID(ctx, kind, id)
}

func newStore(t testing.TB) *countingStore {
	t.Helper()
	pool, err := store.Connect(context.Background(), store.PoolConfig{URL: storetest.NewDatabase(t)})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return &countingStore{Store: store.New(pool)}
}

func add(t testing.TB, s *countingStore, kind knowledge.Kind, format knowledge.Format, content string) store.Knowledge {
	t.Helper()
	k, _, err := s.CreateKnowledge(context.Background(), store.NewKnowledge{
		Kind: string(kind), Name: "test", Format: string(format), Content: content, CreatedBy: "user:test"})
	require.NoError(t, err)
	return k
}

func activate(t testing.TB, s *countingStore, k store.Knowledge) {
	t.Helper()
	_, err := s.ActivateKnowledge(context.Background(), k.Kind, k.ID, "user:test")
	require.NoError(t, err)
}

func cleanRecord(t *testing.T) []byte {
	t.Helper()
	g, err := gen.New(gen.Config{N: 1, Seed: 1})
	require.NoError(t, err)
	r, ok := g.Next()
	require.True(t, ok)
	return r.Doc
}

const everyContractIsSuspended = "1\t1\t0.8\tstatus(A,'ContractSuspended') <= type(A,'contract')\n"

func TestSourceRebuildsOnlyWhenTheActiveVersionsChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st})
	require.NoError(t, err)

	defaults, err := src.Validator(ctx)
	require.NoError(t, err)
	defaultRules, defaultChecks, err := validation.Defaults()
	require.NoError(t, err)
	require.Equal(t, validation.Versions{Rules: defaultRules.Version(), Checks: defaultChecks.Version()}, defaults.Versions(),
		"nothing active: the embedded defaults, no schema")
	again, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Same(t, defaults, again)

	record := cleanRecord(t)
	report, err := defaults.Validate(ctx, record)
	require.NoError(t, err)
	require.Equal(t, validation.Accept, report.Decision)

	rules := add(t, st, knowledge.KindRules, knowledge.FormatTSV, everyContractIsSuspended)
	unused := add(t, st, knowledge.KindRules, knowledge.FormatTSV, "1\t1\t0.5\tp(A,B) <= q(A,B)\n")
	activate(t, st, rules)
	current, err := src.Current(ctx)
	require.NoError(t, err)
	require.NotSame(t, defaults, current.Validator)
	require.Equal(t, []store.ActiveKnowledge{{Kind: "rules", ID: rules.ID, Name: "test", Version: 1, SHA256: rules.SHA256, Mode: "add"}}, current.Active)
	require.NotEqual(t, defaultRules.Version(), current.Validator.Versions().Rules)
	require.Equal(t, defaultChecks.Version(), current.Validator.Versions().Checks, "checks stay the defaults")
	report, err = current.Validator.Validate(ctx, record)
	require.NoError(t, err)
	require.NotEqual(t, validation.Accept, report.Decision)
	require.Equal(t, "anyburl", report.Violations[0].Category)

	reads := st.reads.Load()
	same, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Same(t, current.Validator, same)
	require.Equal(t, reads, st.reads.Load(), "no change, no rebuild")

	schema := add(t, st, knowledge.KindSchema, knowledge.FormatJSON, `{"type": "object", "required": ["nickname"]}`)
	activate(t, st, schema)
	withSchema, err := src.Validator(ctx)
	require.NoError(t, err)
	report, err = withSchema.Validate(ctx, record)
	require.NoError(t, err)
	require.Len(t, report.SchemaErrors, 1)
	require.Equal(t, schema.SHA256[:12], withSchema.Versions().Schema)

	activate(t, st, unused)
	require.NoError(t, st.DeactivateKnowledge(ctx, "rules"))
	require.NoError(t, st.DeactivateKnowledge(ctx, "schema"))
	back, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Equal(t, defaults.Versions(), back.Versions())
}

func TestSourceRechecksAfterTheInterval(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	var now atomic.Int64
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st, Recheck: time.Second,
		Now: func() time.Time { return time.Unix(0, now.Load()) }})
	require.NoError(t, err)
	before, err := src.Validator(ctx)
	require.NoError(t, err)

	activate(t, st, add(t, st, knowledge.KindRules, knowledge.FormatTSV, everyContractIsSuspended))
	cached, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Same(t, before, cached, "within the interval the validator is reused")

	now.Add(int64(time.Second))
	after, err := src.Validator(ctx)
	require.NoError(t, err)
	require.NotSame(t, before, after)

	require.NoError(t, st.DeactivateKnowledge(ctx, "rules"))
	src.Invalidate()
	invalidated, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Equal(t, before.Versions(), invalidated.Versions(), "a change made here is seen at once")
}

func TestSourceIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st})
	require.NoError(t, err)
	versions := []store.Knowledge{
		add(t, st, knowledge.KindRules, knowledge.FormatTSV, everyContractIsSuspended),
		add(t, st, knowledge.KindRules, knowledge.FormatTSV, "1\t1\t0.5\tp(A,B) <= q(A,B)\n"),
	}
	record := cleanRecord(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				if i == 0 {
					activate(t, st, versions[j%2])
				}
				v, err := src.Validator(ctx)
				require.NoError(t, err)
				_, err = v.Validate(ctx, record)
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

func TestSourceReportsAStoredVersionThatNoLongerCompiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st})
	require.NoError(t, err)
	// Stored without the lint the API applies, as by an older release.
	activate(t, st, add(t, st, knowledge.KindChecks, knowledge.FormatYAML, "checks: [{id: x}]"))
	_, err = src.Validator(ctx)
	require.ErrorContains(t, err, "knowledge: active checks test v1")
}
