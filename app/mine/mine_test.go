package mine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
)

// graphBuilder writes a record's graph by hand.
type graphBuilder struct{ g *kg.Graph }

func newGraph(root string) *graphBuilder {
	b := &graphBuilder{g: &kg.Graph{Root: root, Entities: map[string]kg.EntityInfo{}}}
	b.entity(root, "customer")
	return b
}

func (b *graphBuilder) entity(id, typ string) {
	b.g.Entities[id] = kg.EntityInfo{Type: typ, Pointer: "/" + id}
	b.cat(id, "type", typ)
}

func (b *graphBuilder) add(s, p, o string, kind kg.ObjectKind, class kg.Class) {
	b.g.Triples = append(b.g.Triples, kg.Triple{Subject: s, Predicate: p, Object: o, ObjectKind: kind, Class: class, Pointer: "/" + s + "/" + p})
}

func (b *graphBuilder) edge(s, p, o string) { b.add(s, p, o, kg.Entity, kg.ClassEdge) }
func (b *graphBuilder) cat(s, p, o string)  { b.add(s, p, o, kg.Literal, kg.ClassCategory) }
func (b *graphBuilder) val(s, p, o string)  { b.add(s, p, o, kg.Literal, kg.ClassValue) }

// plantedCorpus makes n records in which these rules hold without exception:
//
//	holder(X,Y) <= contract(Y,X)                        (cyclic, length 1)
//	payer(X,Y) <= contract(X,A), billedTo(A,Y)           (cyclic, length 2)
//	status(X,'ContractActive') <= paymentType(X,'Postpaid')  (constant)
//	resource(X,Y) <= status(X,'ContractActive')          (existential head)
//	status(X,'Barred') <= contract(A,X), flag(A,'blocked')   (constant, length 2)
//
// and others hold by chance only: prepaid contracts take any status, and
// numbers are unique values that no rule may name.
func plantedCorpus(n int, seed uint64) []*kg.Graph {
	rng := rand.New(rand.NewPCG(seed, 1))
	statuses := []string{"ContractActive", "ContractSuspended", "ContractTerminated"}
	var graphs []*kg.Graph
	for i := range n {
		c := fmt.Sprintf("c%d", i)
		b := newGraph(c)
		acc := c + "-acc"
		b.entity(acc, "account")
		b.edge(c, "account", acc)
		b.edge(c, "payer", acc)
		blocked := rng.IntN(4) == 0
		if blocked {
			b.cat(c, "flag", "blocked")
		} else {
			b.cat(c, "flag", "fine")
		}
		b.cat(c, "odd", "it's, odd (x) \\ <= y") // a constant that needs quoting
		for k := range 1 + rng.IntN(3) {
			id := fmt.Sprintf("%s-k%d", c, k)
			b.entity(id, "contract")
			b.edge(c, "contract", id)
			b.edge(id, "holder", c)
			b.edge(id, "billedTo", acc)
			b.val(id, "number", fmt.Sprintf("55119%07d", rng.IntN(10_000_000)))
			status := statuses[rng.IntN(len(statuses))]
			switch {
			case blocked:
				b.cat(id, "paymentType", "Prepaid")
				status = "Barred"
			case rng.IntN(2) == 0:
				b.cat(id, "paymentType", "Postpaid")
				status = "ContractActive"
			default:
				b.cat(id, "paymentType", "Prepaid")
			}
			b.cat(id, "status", status)
			if status == "ContractActive" {
				r := id + "-r"
				b.entity(r, "resource")
				b.edge(id, "resource", r)
			}
		}
		graphs = append(graphs, b.g)
	}
	return graphs
}

func minePlanted(t *testing.T, cfg Config) *Result {
	t.Helper()
	m := New(cfg)
	for _, g := range plantedCorpus(200, 3) {
		m.Add(g)
	}
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	return res
}

func TestMinerFindsPlantedRules(t *testing.T) {
	t.Parallel()
	res := minePlanted(t, Config{Seed: 1, MinConfidence: 0.99})
	got := map[string]Rule{}
	for _, r := range res.Rules {
		got[r.Pattern()] = r
	}
	tests := []struct {
		name, pattern string
	}{
		{"cyclic, length 1", "holder(X,Y) <= contract(Y,X)"},
		{"cyclic, length 2", "payer(X,Y) <= contract(X,A), billedTo(A,Y)"},
		{"constant", "status(X,'ContractActive') <= paymentType(X,'Postpaid')"},
		{"existential head", "resource(X,Y) <= status(X,'ContractActive')"},
		{"constant, length 2", "status(X,'Barred') <= contract(A,X), flag(A,'blocked')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, ok := got[tt.pattern]
			require.True(t, ok, "%s not mined; got:\n%s", tt.pattern, tsv(t, res))
			require.Equal(t, 1.0, r.Confidence)
			require.Equal(t, r.Predictions, r.Correct)
			require.GreaterOrEqual(t, r.Correct, 20)
		})
	}
	for _, r := range res.Rules {
		require.GreaterOrEqual(t, r.Confidence, 0.99)
		require.NotContains(t, r.Pattern(), "5511", "values are no constants")
	}
}

func tsv(t *testing.T, res *Result) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, res.WriteTSV(&b))
	return b.String()
}

func TestMinerIsDeterministicForASeed(t *testing.T) {
	t.Parallel()
	a := tsv(t, minePlanted(t, Config{Seed: 7, Samples: 3000, Batch: 100}))
	b := tsv(t, minePlanted(t, Config{Seed: 7, Samples: 3000, Batch: 100, Workers: 1}))
	require.Equal(t, a, b)
	require.NotEmpty(t, a)
}

func TestMinedRulesLoadAsARuleSet(t *testing.T) {
	t.Parallel()
	res := minePlanted(t, Config{Seed: 2, MinConfidence: 0.5, MinSupport: 5})
	text := tsv(t, res)
	parsed, diags := rules.ParseTSV("mined.tsv", []byte(text), "")
	require.Empty(t, diags, diags.String())
	require.Len(t, parsed, len(res.Rules))
	require.Contains(t, text, `'it\'s, odd (x) \\ <= y'`, "a constant that needs quoting")
	set, err := rules.Compile(parsed)
	require.NoError(t, err)
	require.Equal(t, len(res.Rules), set.Len(), "no two mined rules are the same rule")
	for i, r := range parsed {
		require.Equal(t, res.Rules[i].Pattern(), r.Pattern(), "the pattern parses back to itself")
		require.InDelta(t, res.Rules[i].Confidence, r.Confidence, 1e-12)
	}
	viaSet, err := res.RuleSet("")
	require.NoError(t, err)
	require.Equal(t, parsed, viaSet)
}

// TestConfidenceMatchesTheRuleEngine holds the miner to app/rules: for every
// mined rule, the distinct bindings the engine reports as violations over
// the corpus are the predictions the miner counted as wrong.
func TestConfidenceMatchesTheRuleEngine(t *testing.T) {
	t.Parallel()
	t.Run("planted", func(t *testing.T) {
		t.Parallel()
		matchesEngine(t, plantedCorpus(60, 5), Config{Seed: 3, MinConfidence: 0.01, MinSupport: 1, MaxRules: -1})
	})
	t.Run("generated", func(t *testing.T) {
		t.Parallel()
		g, err := gen.New(gen.Config{N: 12, Seed: 4, FaultRate: 0.5})
		require.NoError(t, err)
		var graphs []*kg.Graph
		for r, ok := g.Next(); ok; r, ok = g.Next() {
			graphs = append(graphs, graphOf(t, r.Doc))
		}
		matchesEngine(t, graphs, Config{Seed: 3, MinConfidence: 0.2, MinSupport: 2, MaxRules: -1, Samples: 300})
	})
}

func matchesEngine(t *testing.T, graphs []*kg.Graph, cfg Config) {
	t.Helper()
	m := New(cfg)
	for _, g := range graphs {
		m.Add(g)
	}
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	rs, err := res.RuleSet("")
	require.NoError(t, err)
	set, err := rules.Compile(rs)
	require.NoError(t, err)
	wrong := map[string]map[string]bool{} // pattern → distinct violating bindings
	for gi, g := range graphs {
		for _, v := range set.Evaluate(g).Violations {
			if wrong[v.Pattern] == nil {
				wrong[v.Pattern] = map[string]bool{}
			}
			wrong[v.Pattern][fmt.Sprint(gi, v.Bindings)] = true
		}
	}
	imperfect := 0
	for _, r := range res.Rules {
		require.Equal(t, r.Predictions-r.Correct, len(wrong[r.Pattern()]), r.Pattern())
		if r.Correct < r.Predictions {
			imperfect++
		}
	}
	require.Greater(t, imperfect, 10, "the comparison covers rules with violations")
	t.Logf("%d rules compared, %d with violations", len(res.Rules), imperfect)
}

func TestMineCancelled(t *testing.T) {
	t.Parallel()
	m := New(Config{})
	for _, g := range plantedCorpus(50, 1) {
		m.Add(g)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Mine(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestMineTimeBudget(t *testing.T) {
	t.Parallel()
	m := New(Config{MaxDuration: time.Nanosecond, Samples: 1_000_000, Batch: 10})
	for _, g := range plantedCorpus(50, 1) {
		m.Add(g)
	}
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	require.Equal(t, StopTime, res.Stats.Stop)
}

func TestMineSaturates(t *testing.T) {
	t.Parallel()
	res := minePlanted(t, Config{Samples: 1_000_000, Batch: 2000})
	require.Equal(t, StopSaturated, res.Stats.Stop)
	require.Less(t, res.Stats.Samples, 1_000_000)
}

func TestMineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		add  bool
		err  string
	}{
		{"empty corpus", Config{}, false, "no facts"},
		{"confidence", Config{MinConfidence: 1.5}, true, "min confidence"},
		{"body length", Config{MaxBodyLength: 3}, true, "max body length"},
		{"negative", Config{Samples: -1}, true, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := New(tt.cfg)
			if tt.add {
				m.Add(plantedCorpus(1, 1)[0])
			}
			_, err := m.Mine(context.Background())
			require.ErrorContains(t, err, tt.err)
		})
	}
}

func TestMaxFactsKeepsASample(t *testing.T) {
	t.Parallel()
	graphs := plantedCorpus(400, 9)
	m := New(Config{MaxFacts: 2000})
	for _, g := range graphs {
		m.Add(g)
	}
	require.Less(t, m.Records(), 400)
	require.Equal(t, 400, m.Offered())
	require.Less(t, m.Facts(), 2500)
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	require.Equal(t, m.Records(), res.Stats.Records)
	require.Equal(t, 400, res.Stats.Offered)
}

func TestMaxBodyLengthOne(t *testing.T) {
	t.Parallel()
	res := minePlanted(t, Config{MaxBodyLength: 1})
	require.NotEmpty(t, res.Rules)
	for _, r := range res.Rules {
		require.Len(t, r.Body, 1, r.Pattern())
	}
}

func TestMaxRules(t *testing.T) {
	t.Parallel()
	all := minePlanted(t, Config{Seed: 4})
	top := minePlanted(t, Config{Seed: 4, MaxRules: 3})
	require.Len(t, top.Rules, 3)
	require.Equal(t, all.Rules[:3], top.Rules)
	require.Greater(t, top.Stats.Kept, 3)
	require.True(t, strings.HasPrefix(tsv(t, all), tsv(t, top)))
}

func TestWideNodesAreThinned(t *testing.T) {
	t.Parallel()
	m := New(Config{MinSupport: 2, Samples: 50, Workers: 1})
	for i := range 3 {
		c := fmt.Sprint("c", i)
		b := newGraph(c)
		for j := range 3 * maxFanout {
			k := fmt.Sprint(c, "-k", j)
			b.entity(k, "contract")
			b.edge(c, "contract", k)
			b.cat(k, "status", "ContractActive")
		}
		m.Add(b.g)
	}
	var progress []Stats
	m.cfg.Progress = func(s Stats) { progress = append(progress, s) }
	res, err := m.Mine(context.Background())
	require.NoError(t, err)
	require.Contains(t, tsv(t, res), "status(X,'ContractActive') <= type(X,'contract')")
	require.NotEmpty(t, progress)
	require.Equal(t, res.Stats.Samples, progress[len(progress)-1].Samples)
}

func TestTallyNumbersHeads(t *testing.T) {
	t.Parallel()
	heads := []headKey{
		{p: 0, kind: headSome}, {p: 6, kind: headSomeSubject}, {p: 6, kind: headCycle},
		{p: 3, kind: headCycleBack}, {p: 0, kind: headConst, c: 0}, {p: 6, kind: headConst, c: 4},
	}
	for _, tt := range []struct {
		name          string
		preds, consts int
	}{{"dense", 7, 5}, {"sparse", 7, maxDense}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ty := newTally(tt.preds, tt.consts)
			for round := range 2 {
				ty.reset()
				for i, h := range heads {
					ty.add(h, i+1)
					ty.add(h, round)
				}
				got := map[headKey]int{}
				ty.each(func(h headKey, n int) { got[h] = n })
				require.Len(t, got, len(heads))
				require.Equal(t, len(heads), ty.len())
				for i, h := range heads {
					require.Equal(t, i+1+round, got[h], "%+v", h)
				}
			}
		})
	}
}
