package validation

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/checks"
	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
)

var judgedAt = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

// record is a postpaid customer with one active line: its plan, an MSISDN,
// and a billing account.
const record = `{
  "id": "A4C123B1612DD272D1371C17149D4395",
  "account": [{"id": "16FDAEEB975729FAE923D5A4FD12AABF"}],
  "contract": [{
    "id": "928B5B7A767C76FB008F86BEBB2737F6",
    "paymentContext": "Postpaid",
    "status": [{"status": "ContractActive", "validFor": {"startDateTime": "2025-05-29T13:05:56.037-03:00"}}],
    "product": [{"id": "ED46725A2A7B860DCD6C8A1F8B46287C", "productOfferingExternalId": "FRANQUIA_PLANO",
                 "status": [{"status": "ProductActive", "validFor": {"startDateTime": "2025-05-29T13:05:56.037-03:00"}}]}],
    "resource": [{"id": "199BFCA8B6F3A6A9421CC1C93016F1C4", "resourceNumber": "5579584924337",
                  "resourceSpecificationExternalId": "LrsExtId_MSISDN", "status": [{"status": "ResourceActive"}]}]
  }]
}`

func defaultValidator(t testing.TB, cfg Config) *Validator {
	t.Helper()
	rs, cs, err := Defaults()
	require.NoError(t, err)
	cfg.Rules, cfg.Checks = rs, cs
	cfg.Now = func() time.Time { return judgedAt }
	v, err := New(cfg)
	require.NoError(t, err)
	return v
}

func TestValidateClean(t *testing.T) {
	t.Parallel()
	v := defaultValidator(t, Config{})
	r, err := v.Validate(context.Background(), []byte(record))
	require.NoError(t, err)
	require.Equal(t, "A4C123B1612DD272D1371C17149D4395", r.Record)
	require.Equal(t, Accept, r.Decision)
	require.Equal(t, 1.0, r.Score)
	require.Empty(t, r.Violations)
	require.Equal(t, 12, r.Satisfied+r.NotApplicable)
	require.Equal(t, judgedAt, r.JudgedAt)
	require.Regexp(t, `^ACCEPT: score 1\.000 is at least 0\.90; nothing found wrong \(\d+ rules and checks held, \d+ did not apply\)\.$`, r.Explanation)
	require.Len(t, r.Versions.Rules, 12)
	require.Len(t, r.Versions.Checks, 12)
	require.Empty(t, r.Versions.Schema)
	require.Empty(t, r.Versions.Model)
}

// faulty is record with an extra plan, no account and a padded product id.
func faulty(t *testing.T) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(record), &doc))
	delete(doc, "account")
	contract := doc["contract"].([]any)[0].(map[string]any)
	plan := contract["product"].([]any)[0].(map[string]any)
	second := map[string]any{}
	for k, v := range plan {
		second[k] = v
	}
	second["id"] = " 0EC19515C6007DF2E05A0591A8BF8A5B"
	contract["product"] = append(contract["product"].([]any), second)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	return b
}

func TestValidateFaulty(t *testing.T) {
	t.Parallel()
	v := defaultValidator(t, Config{})
	r, err := v.Validate(context.Background(), faulty(t))
	require.NoError(t, err)
	require.Equal(t, Reject, r.Decision)
	// 0.99 (no account) × 0.95 (two plans) × 0.99 (malformed id)
	require.InDelta(t, 0.01*0.05*0.01, r.Score, 1e-6)
	require.Len(t, r.Violations, 3)

	byCategory := map[string]Violation{}
	for _, x := range r.Violations {
		byCategory[x.Category] = x
	}
	require.Equal(t, Violation{
		Source: SourceRule, ID: "postpaid-customer-has-billing-account", Category: "postpaid_without_billing_account",
		Confidence: 0.99, Description: "A customer with a postpaid contract has a billing account.",
		Rule:     "account(X,B) <= contract(X,C), paymentContext(C,'Postpaid')",
		Bindings: Bindings{{Var: "X", Value: "A4C123B1612DD272D1371C17149D4395"}, {Var: "C", Value: "928B5B7A767C76FB008F86BEBB2737F6"}},
		Pointers: []string{"/contract/0", "/contract/0/paymentContext"},
	}, byCategory["postpaid_without_billing_account"])
	require.Equal(t, []string{"/contract/0"}, byCategory["plan_product_count"].Pointers)
	require.Equal(t, SourceCheck, byCategory["plan_product_count"].Source)
	require.Equal(t, []string{"/contract/0/product/1"}, byCategory["malformed_id"].Pointers)

	require.Equal(t, "REJECT: score 5e-06 is below 0.10; 3 findings: "+
		"postpaid_without_billing_account (rule postpaid-customer-has-billing-account, 0.99) at /contract/0; "+
		"malformed_id (check entity-id-well-formed, 0.99) at /contract/0/product/1; "+
		"plan_product_count (check one-active-plan-per-active-contract, 0.95) at /contract/0.", r.Explanation)

	text := r.Text()
	require.Contains(t, text, "record A4C123B1612DD272D1371C17149D4395: REJECT, score 5e-06\n")
	require.Contains(t, text, "  0.99  postpaid_without_billing_account  rule postpaid-customer-has-billing-account\n"+
		"        A customer with a postpaid contract has a billing account.\n"+
		"        where X=A4C123B1612DD272D1371C17149D4395 C=928B5B7A767C76FB008F86BEBB2737F6\n"+
		"        at /contract/0, /contract/0/paymentContext\n")
	require.Contains(t, text, "schema none, rules "+r.Versions.Rules)

	var back Report
	b, err := json.Marshal(r)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, *r, back)
}

func TestValidateWithSchema(t *testing.T) {
	t.Parallel()
	s, err := schema.Compile("s.json", []byte(`{"type": "object", "required": ["id", "name"],
		"properties": {"contract": {"items": {"properties": {"id": {"pattern": "^[0-9A-F]{32}$"}, "status": {"minItems": 2}}}}}}`))
	require.NoError(t, err)
	v := defaultValidator(t, Config{Schema: s, SchemaConfidence: 0.5, Thresholds: Thresholds{Accept: 0.95, Reject: 0.2}})
	r, err := v.Validate(context.Background(), []byte(record))
	require.NoError(t, err)
	require.Equal(t, []schema.Error{
		{Pointer: "", Keyword: "/required", Message: "missing property 'name'"},
		{Pointer: "/contract/0/status", Keyword: "/properties/contract/items/properties/status/minItems", Message: "minItems: got 1, want 2"},
	}, r.SchemaErrors)
	require.Equal(t, 0.25, r.Score, "two failing keywords at 0.5 each")
	require.Equal(t, Review, r.Decision)
	require.Equal(t, s.Version(), r.Versions.Schema)
	require.Contains(t, r.Text(), "\nschema errors\n  the record: missing property 'name'\n")
}

// doubter is a plausibility model for tests: it doubts every status fact
// with its confidence (0.1 by default).
type doubter struct {
	err        error
	confidence float64
}

func (doubter) Version() string { return "doubter-1" }

func (d doubter) Assess(_ context.Context, g *kg.Graph) (Assessment, error) {
	var a Assessment
	for _, t := range g.Triples {
		a.Scored++
		if t.Predicate == kg.PredStatus {
			a.Findings = append(a.Findings, Finding{Pointer: t.Pointer, Description: "implausible " + t.Object, Confidence: cmp.Or(d.confidence, 0.1),
				Alternatives: []Alternative{{Value: "Other", Probability: 0.8}}})
		}
	}
	return a, d.err
}

func TestValidateWithPlausibility(t *testing.T) {
	t.Parallel()
	v := defaultValidator(t, Config{Plausibility: doubter{}})
	r, err := v.Validate(context.Background(), []byte(record))
	require.NoError(t, err)
	require.Len(t, r.Violations, 3, "one per status fact: contract, product, resource")
	require.Equal(t, SourceModel, r.Violations[0].Source)
	require.Equal(t, "doubter-1", r.Versions.Model)
	require.Equal(t, "doubter-1", r.Learned.Model)
	require.Equal(t, 3, r.Learned.Doubted)
	require.Greater(t, r.Learned.Scored, 3, "the doubter scores every fact")
	require.Equal(t, []Alternative{{Value: "Other", Probability: 0.8}}, r.Violations[0].Alternatives)
	require.Contains(t, r.Text(), "likelier: Other p=0.80")
	require.InDelta(t, 0.9*0.9*0.9, r.Score, 1e-6, "each doubted fact counts")
	require.Equal(t, Review, r.Decision)

	v = defaultValidator(t, Config{Plausibility: doubter{err: errors.New("model down")}})
	_, err = v.Validate(context.Background(), []byte(record))
	require.ErrorContains(t, err, "validation: plausibility of A4C123B1612DD272D1371C17149D4395: model down")
}

// TestTheModelAloneNeverRejects: findings of the model that would reject a
// record send it to REVIEW under the default policy, and reject it when
// the policy lets them score; with a rule violated too, it is rejected.
func TestTheModelAloneNeverRejects(t *testing.T) {
	t.Parallel()
	sure := doubter{confidence: 0.99}
	for _, tt := range []struct {
		policy ModelPolicy
		want   Decision
	}{{"", Review}, {ModelReviews, Review}, {ModelScores, Reject}} {
		v, err := New(Config{Plausibility: sure, ModelPolicy: tt.policy})
		require.NoError(t, err)
		r, err := v.Validate(context.Background(), []byte(record))
		require.NoError(t, err)
		require.Less(t, r.Score, 0.1)
		require.Equal(t, tt.want, r.Decision, tt.policy)
		if tt.want == Review {
			require.Contains(t, r.Explanation, "only for the model's findings")
			require.Equal(t, ModelReviews, r.Learned.Policy)
		}
	}
	rs, err := rules.Compile([]rules.Rule{{ID: "r", Category: "k", Confidence: 0.95,
		Head: rules.Atom{Predicate: "status", Subject: rules.Var("X"), Object: rules.Const("Nothing")},
		Body: []rules.Atom{{Predicate: "type", Subject: rules.Var("X"), Object: rules.Const("contract")}}}})
	require.NoError(t, err)
	v, err := New(Config{Plausibility: sure, Rules: rs})
	require.NoError(t, err)
	r, err := v.Validate(context.Background(), []byte(record))
	require.NoError(t, err)
	require.Equal(t, Reject, r.Decision, "a rule rejects; the model only adds to it")
}

// TestValidateWithConstraints: a broken constraint is a finding with its
// confidence, named in the report's versions.
func TestValidateWithConstraints(t *testing.T) {
	t.Parallel()
	cs, err := constraints.Compile([]constraints.Constraint{
		{ID: "plans", Kind: constraints.Cardinality, Type: "contract", Relation: "product", Min: 2, Confidence: 0.999},
		{ID: "unused", Kind: constraints.Presence, Type: "billCycle", Relation: "status", Confidence: 0.999},
	})
	require.NoError(t, err)
	v, err := New(Config{Constraints: cs})
	require.NoError(t, err)
	r, err := v.Validate(context.Background(), []byte(record))
	require.NoError(t, err)
	require.Len(t, r.Violations, 1, "no bill cycle to bind")
	require.Equal(t, SourceConstraint, r.Violations[0].Source)
	require.Equal(t, "constraint_cardinality", r.Violations[0].Category)
	require.Equal(t, []string{"/contract/0", "/contract/0/product/0"}, r.Violations[0].Pointers)
	require.Equal(t, Reject, r.Decision)
	require.Equal(t, cs.Version(), r.Versions.Constraints)
	require.Equal(t, 1, r.NotApplicable)
}

func TestValidateEvalErrorsNeedReview(t *testing.T) {
	t.Parallel()
	cs, err := checks.Compile([]checks.Check{{ID: "broken", Category: "k", Confidence: 0.5, Target: "contract", Expr: "all(this.nothing, # > 0)"}})
	require.NoError(t, err)
	v, err := New(Config{Checks: cs})
	require.NoError(t, err)
	r, err := v.Validate(context.Background(), []byte(record))
	require.NoError(t, err)
	require.Equal(t, 1.0, r.Score)
	require.Equal(t, Review, r.Decision)
	require.Len(t, r.EvalErrors, 1)
	require.Equal(t, "REVIEW: 1 check evaluation failed, so the record is not fully verified; nothing found wrong (0 rules and checks held, 0 did not apply).", r.Explanation)
}

func TestValidateInput(t *testing.T) {
	t.Parallel()
	v := defaultValidator(t, Config{})
	for _, in := range []string{`{`, `[1]`, `{"contract": []}`} {
		_, err := v.Validate(context.Background(), []byte(in))
		require.Error(t, err, in)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := v.Validate(ctx, []byte(record))
	require.ErrorIs(t, err, context.Canceled)
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{SchemaConfidence: 1.5},
		{Thresholds: Thresholds{Accept: 0.5, Reject: 0.6}},
		{Thresholds: Thresholds{Accept: 1.5}},
		{Thresholds: Thresholds{Accept: 0.5, Reject: -1}},
		{ModelPolicy: "veto"},
	} {
		_, err := New(cfg)
		require.Error(t, err, "%+v", cfg)
	}
}

func TestDecisionThresholds(t *testing.T) {
	t.Parallel()
	th := Thresholds{Accept: 0.9, Reject: 0.1}
	for _, tt := range []struct {
		confidence float64
		want       Decision
	}{{0.05, Accept}, {0.1, Accept}, {0.5, Review}, {0.9, Review}, {0.95, Reject}} {
		r := &Report{Violations: []Violation{{Source: SourceCheck, ID: "c", Confidence: tt.confidence, Pointers: []string{"/a"}}, {Source: SourceCheck, ID: "c", Confidence: tt.confidence, Pointers: []string{"/b"}}}}
		r.decide(th, 0.9, ModelReviews)
		require.Equal(t, tt.want, r.Decision, "confidence %v", tt.confidence)
		require.InDelta(t, 1-tt.confidence, r.Score, 1e-9, "a check violated twice counts once")
	}
}

func TestReadSources(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	js := write("r.json", `{"C": [{"id": "a", "confidence": 0.5, "pattern": "p(A,B) <= q(A,B)"}]}`)
	tsv := write("r.tsv", "5\t4\t0.8\tp(X,Y) <= r(X,Y)\n1\t1\t1\tbad\n")
	yml := write("c.yml", "checks:\n  - {id: c, category: k, confidence: 0.5, target: contract, expr: 'true'}\n")
	s, diags, err := ReadSources(js, tsv, yml)
	require.NoError(t, err)
	require.Len(t, diags, 1)
	require.Equal(t, rules.Position{File: tsv, Line: 2, Col: 10}, diags[0].Pos)
	require.Len(t, s.Rules, 2)
	require.Len(t, s.Checks, 1)

	defaults, err := DefaultSources()
	require.NoError(t, err)
	all := defaults.Add(s)
	rs, cs, err := all.Compile()
	require.NoError(t, err)
	require.Equal(t, len(defaults.Rules)+2, rs.Len())
	require.Equal(t, len(defaults.Checks)+1, cs.Len())

	_, _, err = ReadSources(filepath.Join(dir, "missing.json"))
	require.ErrorContains(t, err, "validation: read rules")

	require.Empty(t, LintFile(yml, []byte("checks:\n  - {id: c, category: k, confidence: 0.5, target: contract, expr: 'true'}\n")))
	require.ErrorContains(t, LintFile("c.yaml", []byte("checks:\n  - {id: c, category: k, confidence: 0.5, target: contract, expr: '1'}\n")).Err(),
		"c.yaml:2:68: error: check \"c\": expected bool, but got int")
	require.NotEmpty(t, LintFile("r.json", []byte(`{"C": 1}`)))

	schemaFile := write("s.json", `{"type": "object"}`)
	sch, err := ReadSchema(schemaFile)
	require.NoError(t, err)
	require.Empty(t, sch.Validate(map[string]any{}))
}

// TestInferredSchemaAcceptsItsCorpus infers a schema from generated clean
// records and validates them and other clean records with it.
func TestInferredSchemaAcceptsItsCorpus(t *testing.T) {
	t.Parallel()
	in := schema.NewInferrer(schema.InferOptions{})
	g, err := gen.New(gen.Config{N: 120, Seed: 5})
	require.NoError(t, err)
	var docs []any
	for r, ok := g.Next(); ok; r, ok = g.Next() {
		var doc any
		require.NoError(t, json.Unmarshal(r.Doc, &doc))
		in.Add(doc)
		docs = append(docs, doc)
	}
	source, err := in.JSON()
	require.NoError(t, err)
	s, err := schema.Compile("inferred.json", source)
	require.NoError(t, err)
	for i, doc := range docs {
		require.Empty(t, s.Validate(doc), "record %d", i)
	}
}

// TestFamilyDependentsSharePlans follows production: a family dependent
// line may hold no plan and draw on its titular's, but one that held a plan
// and lost it, or holds two, is wrong.
func TestFamilyDependentsSharePlans(t *testing.T) {
	t.Parallel()
	v := defaultValidator(t, Config{})
	dependent := func(products string) []byte {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(record), &doc))
		contract := doc["contract"].([]any)[0].(map[string]any)
		contract["characteristic"] = []any{map[string]any{"charSpecExternalId": "sharingClassification", "value": []any{map[string]any{"value": "Dependente"}}}}
		var ps []any
		require.NoError(t, json.Unmarshal([]byte(products), &ps))
		contract["product"] = ps
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		return b
	}
	for _, tt := range []struct {
		name, products string
		faulty         bool
	}{
		{"no plan", `[{"id": "0EC19515C6007DF2E05A0591A8BF8A5B", "productOfferingExternalId": "CONSUMER_MV", "status": [{"status": "ProductActive"}]}]`, false},
		{"its own plan", `[{"id": "0EC19515C6007DF2E05A0591A8BF8A5B", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductActive"}]}]`, false},
		{"a terminated plan", `[{"id": "0EC19515C6007DF2E05A0591A8BF8A5B", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductTerminated"}]}]`, true},
		{"two plans", `[{"id": "0EC19515C6007DF2E05A0591A8BF8A5B", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductActive"}]},
		                {"id": "0EC19515C6007DF2E05A0591A8BF8A5C", "productOfferingExternalId": "FRANQUIA_PLANO", "status": [{"status": "ProductActive"}]}]`, true},
	} {
		r, err := v.Validate(context.Background(), dependent(tt.products))
		require.NoError(t, err)
		found := slices.ContainsFunc(r.Violations, func(x Violation) bool { return x.Category == "plan_product_count" })
		require.Equal(t, tt.faulty, found, tt.name)
		require.Len(t, r.Violations, map[bool]int{false: 0, true: 1}[tt.faulty], tt.name)
	}
}
