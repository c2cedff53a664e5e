package kg

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzBuild checks that any input yields a graph or a clean error, never a
// panic, and that a graph is consistent: the same each time, typed entities,
// edges to entities, dangling references to ids the record lacks.
func FuzzBuild(f *testing.F) {
	for _, seed := range []string{
		`{"id":"C","contract":[{"id":"K","status":[{"status":"ContractActive","validFor":{"startDateTime":"2025-01-01T00:00:00Z"}}],
			"product":[{"id":"P","sharingConsumer":{"providerContractId":"K","providerProductId":"X"}}]}]}`,
		`{"id":"C","characteristic":[{"charSpecId":"s","charSpecExternalId":"type","value":[{"value":"1970-01-01"}],"comprisedOf":[{"charSpecId":"s"}]}]}`,
		`{"id":"C","a/b~":{"id":"C","validFor":{"startDateTime":"9999-12-31T00:00:00Z"}}}`,
		`{"id":"C","status":["x",{"status":"y","validFor":{"endDateTime":"bad"}}]}`,
		`[]`, `{"id":1}`, `{"id":"\u0000"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		g, err := Builder{Now: testNow}.Build(doc)
		if err != nil {
			require.Nil(t, g)
			require.True(t, strings.HasPrefix(err.Error(), "kg: "), err.Error())
			return
		}
		again, err := Builder{Now: testNow}.Build(doc)
		require.NoError(t, err)
		require.Equal(t, g, again)
		require.Equal(t, "customer", g.Entities[g.Root].Type)
		for _, tr := range g.Triples {
			_, defined := g.Entities[tr.Object]
			switch tr.Class {
			case ClassEdge:
				require.True(t, defined, "%+v", tr)
			case ClassDangling:
				require.False(t, defined, "%+v", tr)
			}
			if tr.Predicate == PredType {
				require.Contains(t, g.Entities, tr.Subject)
			}
			require.True(t, tr.Pointer == "" || tr.Pointer[0] == '/', "%+v", tr)
		}
	})
}
