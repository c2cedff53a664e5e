package schema_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/internal/testkit"
)

// TestInferredFromGeneratedRecordsAcceptsProduction: a schema inferred from
// 1,000 generated records accepts both production examples, so a corpus
// that is a sample does not make the rest of production invalid.
func TestInferredFromGeneratedRecordsAcceptsProduction(t *testing.T) {
	t.Parallel()
	recs, err := gen.Generate(gen.Config{N: 1000, Seed: 3, Compact: true})
	require.NoError(t, err)
	in := schema.NewInferrer(schema.InferOptions{})
	for _, r := range recs {
		var v any
		require.NoError(t, json.Unmarshal(r.Doc, &v))
		in.Add(v)
	}
	data, err := in.JSON()
	require.NoError(t, err)
	s, err := schema.Compile("inferred.json", data)
	require.NoError(t, err)
	for _, r := range testkit.RealRecords() {
		var v any
		require.NoError(t, json.Unmarshal(r.Doc, &v))
		require.Empty(t, s.Validate(v), r.Name)
	}
	// It still says something: statuses are a closed vocabulary.
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	contract := doc["properties"].(map[string]any)["contract"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	status := contract["status"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)["status"].(map[string]any)
	require.ElementsMatch(t, []any{"ContractActive", "ContractInactive", "ContractTerminated"}, status["enum"])
	reason := contract["status"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)["reason"].(map[string]any)
	require.NotContains(t, reason, "enum", "reasons are free text")
}

// TestEnumsNeedEvidence: identifiers, free text, quantities and
// vocabularies with rare values get no enum; a vocabulary seen often does.
func TestEnumsNeedEvidence(t *testing.T) {
	t.Parallel()
	in := schema.NewInferrer(schema.InferOptions{})
	for i := range 200 {
		rare := "common"
		if i == 7 {
			rare = "seen-once"
		}
		in.Add(map[string]any{
			"status": []string{"Active", "Inactive"}[i%2],
			"reason": []string{"A pedido do cliente", "CTM"}[i%2],
			"quota":  []string{"1073741824", "2147483648"}[i%2],
			"specId": []string{"a", "b"}[i%2],
			"code":   rare,
			"cycle":  fmt.Sprint(1 + i%3),
		})
	}
	props := in.Schema()["properties"].(map[string]any)
	enum := func(name string) any { return props[name].(map[string]any)["enum"] }
	require.Equal(t, []string{"Active", "Inactive"}, enum("status"))
	require.Equal(t, []string{"1", "2", "3"}, enum("cycle"), "short codes are a vocabulary")
	for _, name := range []string{"reason", "quota", "specId", "code"} {
		require.Nil(t, enum(name), name)
	}
}
