package kg_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
)

func records(t testing.TB, cfg gen.Config) []gen.Record {
	t.Helper()
	g, err := gen.New(cfg)
	require.NoError(t, err)
	var recs []gen.Record
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		recs = append(recs, rec)
	}
	return recs
}

var builder = kg.Builder{Now: gen.DefaultNow()}

func TestGeneratedRecords(t *testing.T) {
	t.Parallel()
	for i, rec := range records(t, gen.Config{N: 120, Seed: 31, FaultRate: 0.5}) {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			g, err := builder.Build(rec.Doc)
			require.NoError(t, err)
			again, err := builder.Build(rec.Doc)
			require.NoError(t, err)
			require.Equal(t, g, again, "the same record yields the same graph")

			doc := decodeStd(t, rec.Doc)
			for id, e := range g.Entities {
				v, ok := resolve(doc, e.Pointer)
				require.True(t, ok, "entity %s at %q", id, e.Pointer)
				require.Equal(t, id, v.(map[string]any)["id"])
			}
			for _, tr := range g.Triples {
				checkPointer(t, doc, tr)
			}
			checkStatuses(t, g)
			checkDangling(t, g, rec)
		})
	}
}

// checkPointer checks that a triple's pointer leads to what the triple says.
func checkPointer(t *testing.T, doc any, tr kg.Triple) {
	t.Helper()
	v, ok := resolve(doc, tr.Pointer)
	require.True(t, ok, "%+v: pointer does not resolve", tr)
	switch v := v.(type) {
	case string:
		require.Equal(t, v, tr.Object, "%+v", tr)
	case json.Number, bool:
		require.Equal(t, fmt.Sprint(v), tr.Object, "%+v", tr)
	case map[string]any:
		switch {
		case tr.Predicate == kg.PredType:
			require.Equal(t, tr.Subject, v["id"], "%+v", tr)
		case tr.ObjectKind == kg.Entity:
			require.Equal(t, tr.Object, v["id"], "%+v", tr)
		case strings.HasSuffix(tr.Predicate, "characteristic") || strings.HasSuffix(tr.Predicate, "comprisedOf"):
			name := v["charSpecExternalId"]
			if name == nil {
				name = v["charSpecId"]
			}
			require.NotNil(t, name, "%+v", tr)
		default: // a validFor
			start, _ := v["startDateTime"].(string)
			end, _ := v["endDateTime"].(string)
			require.True(t, strings.HasPrefix(tr.Object, start) || strings.HasSuffix(tr.Object, end), "%+v", tr)
			require.Contains(t, tr.Object, "/", "%+v", tr)
		}
	default:
		t.Fatalf("%+v: pointer leads to %T", tr, v)
	}
}

// checkStatuses checks that every entity with a status history has one
// current status, taken from its history.
func checkStatuses(t *testing.T, g *kg.Graph) {
	t.Helper()
	history, current := map[string][]string{}, map[string][]string{}
	for _, tr := range g.Triples {
		switch tr.Predicate {
		case "status.status":
			history[tr.Subject] = append(history[tr.Subject], tr.Object)
		case kg.PredStatus:
			current[tr.Subject] = append(current[tr.Subject], tr.Object)
		}
	}
	require.Equal(t, len(history), len(current))
	for e, statuses := range history {
		require.Len(t, current[e], 1, e)
		require.Contains(t, statuses, current[e][0])
	}
}

// checkDangling checks that the only dangling references are contract
// users' party roles, which enquiries never carry, the consumer-list entries
// of terminated sharing products, and the sharing links a dangling fault
// broke.
func checkDangling(t *testing.T, g *kg.Graph, rec gen.Record) {
	t.Helper()
	want := map[string]bool{}
	for _, l := range rec.Faults {
		switch l.Kind {
		case gen.DanglingSharingContract, gen.DanglingSharingProduct:
			want[l.Pointer] = true
		case gen.PostpaidWithoutBillingAccount:
			return // every reference to the account dangles
		}
	}
	got := map[string]bool{}
	for _, tr := range g.Triples {
		if tr.Predicate != kg.PredDangling {
			continue
		}
		if strings.HasSuffix(tr.Pointer, "/partyRoleId") {
			require.NotEqual(t, g.Root, tr.Object)
			continue
		}
		if strings.HasSuffix(tr.Pointer, "/sharingConsumer/consumerListEntryId") {
			continue // a terminated sharing product's list is gone, as in production
		}
		got[tr.Pointer] = true
	}
	require.Equal(t, want, got)
}

func TestSentinelDatesNeverReachTheGraph(t *testing.T) {
	t.Parallel()
	for _, rec := range records(t, gen.Config{N: 30, Seed: 37}) {
		g, err := builder.Build(rec.Doc)
		require.NoError(t, err)
		for _, tr := range g.Triples {
			require.NotContains(t, tr.Object, "1970-01-01", "%+v", tr)
			require.NotContains(t, tr.Object, "9999-12-31", "%+v", tr)
		}
	}
}

func decodeStd(t *testing.T, doc []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v))
	return v
}

// resolve returns the value at an RFC 6901 pointer.
func resolve(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	for _, token := range strings.Split(pointer, "/")[1:] {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		switch v := doc.(type) {
		case map[string]any:
			e, ok := v[token]
			if !ok {
				return nil, false
			}
			doc = e
		case []any:
			i, err := strconv.Atoi(token)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}
