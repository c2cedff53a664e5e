package constraints_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
)

func TestShape(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		"":                                     constraints.ShapeEmpty,
		"A4C123B1612DD272D1371C17149D4395":     constraints.ShapeHex32,
		"A4C123B1612DD272D1371C17149D439":      constraints.ShapeHex,
		"05b4d756-7b1f-4c6a-9675-9ecb99edd4d1": constraints.ShapeUUID,
		"1073741824":                           constraints.ShapeDigits,
		"-1.5":                                 constraints.ShapeNumber,
		"2024-01-02T10:00:00.000-03:00":        constraints.ShapeDateTime,
		"2024-01-02":                           constraints.ShapeDate,
		"2024-01-02T10:00:00.000-03:00/..":     constraints.ShapeInterval,
		"2024-01-02T10:00:00.000-03:00/2023-01-02T10:00:00.000-03:00": constraints.ShapeReversed,
		"ContractActive":                    constraints.ShapeWord,
		"America/Sao_Paulo":                 constraints.ShapeWord,
		"10GB":                              constraints.ShapeText,
		" A4C123B1612DD272D1371C1714":       constraints.ShapeText,
		"12 345 678":                        constraints.ShapeText,
		"A4C123B1-612DD272D1371C17149D4395": constraints.ShapeWord,
	} {
		require.Equal(t, want, constraints.Shape(value), value)
	}
}

const record = `{"id": "A4C123B1612DD272D1371C17149D4395",
  "contract": [
    {"id": "11111111111111111111111111111111", "status": [{"status": "ContractActive"}],
     "product": [{"id": "22222222222222222222222222222222", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductActive"}]},
                 {"id": "33333333333333333333333333333333", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductActive"}]}],
     "resource": [{"id": "44444444444444444444444444444444", "resourceSpecificationExternalId": "LrsExtId_IMSI", "resourceNumber": "724100000000001"}]},
    {"id": "55555555555555555555555555555555", "status": [{"status": "ContractActiv"}],
     "resource": [{"id": "6666666666666666666666666666666", "resourceSpecificationExternalId": "LrsExtId_MSISDN", "resourceNumber": "724100000000001"}]}
  ]}`

func TestEvaluateEachKind(t *testing.T) {
	t.Parallel()
	g, err := kg.Builder{Now: gen.DefaultNow()}.Build([]byte(record))
	require.NoError(t, err)
	one := 1
	set, err := constraints.Compile([]constraints.Constraint{
		{ID: "p", Kind: constraints.Presence, Type: "contract", When: constraints.Conditions{"status": "ContractActive"}, Relation: kg.PredMSISDN, Confidence: 0.99},
		{ID: "c", Kind: constraints.Cardinality, Type: "contract", When: constraints.Conditions{"status": "ContractActive"}, Relation: "product",
			Where: constraints.Conditions{"productOfferingExternalId": "FRANQUIA_PLANO", "status": "ProductActive"}, Min: 1, Max: &one, Confidence: 0.99},
		{ID: "u", Kind: constraints.Unique, Type: "resource", Relation: "resourceNumber", Confidence: 0.99},
		{ID: "f", Kind: constraints.Format, Type: "resource", Relation: constraints.IDRelation, Shapes: []string{"hex32"}, Confidence: 0.99},
		{ID: "d", Kind: constraints.Domain, Type: "contract", Relation: "status", Values: []string{"ContractActive", "ContractTerminated"}, Confidence: 0.99},
		{ID: "n", Kind: constraints.Presence, Type: "account", Relation: "status", Confidence: 0.99},
	})
	require.NoError(t, err)
	res := set.Evaluate(g)
	got := map[string][]string{}
	for _, v := range res.Violations {
		got[v.Constraint.ID] = append(got[v.Constraint.ID], strings.Join(v.Pointers, " ")+": "+v.Detail)
	}
	require.Equal(t, map[string][]string{
		"p": {"/contract/0: none"},
		"c": {"/contract/0 /contract/0/product/0 /contract/0/product/1: has 2"},
		"u": {`/contract/0/resource/0/resourceNumber /contract/1/resource/0/resourceNumber: "724100000000001" is held by 2`},
		"f": {`/contract/1/resource/0/id: id "6666666666666666666666666666666" is digits`},
		"d": {`/contract/1/status/0/status: "ContractActiv" is not among them`},
	}, got)
	require.Equal(t, 1, res.NotApplicable, "no account")
	require.Equal(t, 0, res.Satisfied)
}

func TestParseSaysWhere(t *testing.T) {
	t.Parallel()
	doc := `{"constraints": [
  {"id": "a", "kind": "presence", "type": "contract", "relation": "msisdn", "confidence": 0.9},
  {"id": "a", "kind": "presence", "type": "contract", "relation": "status", "confidence": 0.9},
  {"id": "b", "kind": "shape", "type": "contract", "relation": "status"},
  {"id": "c", "kind": "format", "type": "contract", "relation": "status", "shapes": ["word"], "whn": {}},
  {"id": "d", "kind": "cardinality", "type": "contract", "relation": "product", "min": 2, "max": 1}
]}`
	parsed, diags := constraints.Parse("set.json", []byte(doc))
	require.Len(t, parsed.Constraints, 1)
	var lines []string
	for _, d := range diags {
		lines = append(lines, d.String())
	}
	require.Equal(t, []string{
		`set.json:3:3: error: id "a" is used on line 2 too`,
		`set.json:4:3: error: constraint "b": unknown kind "shape" (want one of [presence cardinality unique format domain])`,
		`set.json:5:3: error: unknown field "whn"`,
		`set.json:6:3: error: constraint "d": a cardinality needs 0 <= min <= max`,
	}, lines)
	require.Equal(t, "set.json:1:1: error: no constraints", constraints.Lint("set.json", []byte(`{"constraints": []}`)).String()[:len("set.json:1:1: error: no constraints")])
	require.NotEmpty(t, constraints.Lint("set.json", []byte(`{"constraint": []}`)))
}

// TestLearnFromGeneratedRecords learns from a small corpus: the contract's
// MSISDN and its one active plan come out as constraints, a set survives
// writing and reading, and a record missing its MSISDN breaks it.
func TestLearnFromGeneratedRecords(t *testing.T) {
	t.Parallel()
	recs, err := gen.Generate(gen.Config{N: 400, Seed: 5})
	require.NoError(t, err)
	b := kg.Builder{Now: gen.DefaultNow()}
	var gs []*kg.Graph
	for _, r := range recs {
		g, err := b.Build(r.Doc)
		require.NoError(t, err)
		gs = append(gs, g)
	}
	passes := 0
	doc, err := constraints.Learn(context.Background(), constraints.Config{Seed: 1}, func(yield func(*kg.Graph) error) error {
		passes++
		for _, g := range gs {
			if err := yield(g); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, 2, passes)
	require.Equal(t, 400, doc.Learned.Records+doc.Learned.HeldOut)
	kinds := map[constraints.Kind]int{}
	texts := map[string]bool{}
	for _, c := range doc.Constraints {
		kinds[c.Kind]++
		texts[c.Text()] = true
		require.Positive(t, c.HeldOut, c.Text())
		require.Greater(t, c.Confidence, 0.98, c.Text())
	}
	for _, k := range constraints.Kinds() {
		require.Positive(t, kinds[k], k)
	}
	require.True(t, texts["every contract has msisdn"] || texts["every contract with status=ContractActive has msisdn"], "%v", msisdnTexts(texts))

	data, err := doc.Marshal()
	require.NoError(t, err)
	set, err := constraints.Load("learned.json", data)
	require.NoError(t, err)
	again, err := constraints.Compile(doc.Constraints)
	require.NoError(t, err)
	require.Equal(t, again.Version(), set.Version())

	faulty, err := gen.Generate(gen.Config{N: 22, Seed: 99, FaultRate: 1})
	require.NoError(t, err)
	for _, r := range faulty {
		if r.Faults[0].Kind != gen.ActiveContractWithoutMSISDN {
			continue
		}
		g, err := b.Build(r.Doc)
		require.NoError(t, err)
		var pointers []string
		for _, v := range set.Evaluate(g).Violations {
			pointers = append(pointers, v.Pointers[0])
		}
		require.Contains(t, pointers, r.Faults[0].Pointer)
	}
}

func msisdnTexts(texts map[string]bool) []string {
	var out []string
	for t := range texts {
		if strings.Contains(t, "msisdn") {
			out = append(out, t)
		}
	}
	return out
}
