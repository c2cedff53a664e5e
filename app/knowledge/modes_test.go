package knowledge_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/checks"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

const extraRule = "5\t5\t1\tstatus(X,'ContractActive') <= type(X,'contract')\n"

// TestOneMeaningForActivation: a rule set in mode add validates with the
// embedded defaults and its own rules, exactly as pff validate --rules does
// offline (same versions, so the same hashes); in mode replace with its own
// alone, as --no-defaults does; and a schema has the same version offline
// and stored.
func TestOneMeaningForActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st})
	require.NoError(t, err)
	lib := knowledge.NewLibrary(st.Store, src, nil)

	defaults, err := validation.DefaultSources()
	require.NoError(t, err)
	parsed, diags := rules.Parse("extra.tsv", []byte(extraRule))
	require.NoError(t, diags.Err())
	offlineAdd, _, err := defaults.Add(validation.Sources{Rules: parsed}).Compile()
	require.NoError(t, err)
	offlineReplace, err := rules.Compile(parsed)
	require.NoError(t, err)
	defaultChecks, err := checks.Compile(defaults.Checks)
	require.NoError(t, err)

	for _, tt := range []struct {
		mode string
		want *rules.Set
	}{{"", offlineAdd}, {"add", offlineAdd}, {"replace", offlineReplace}} {
		created, err := lib.Create(ctx, knowledge.KindRules, knowledge.CreateRequest{Name: "extra-" + tt.mode + "x", Content: extraRule, Mode: tt.mode}, "user:test")
		require.NoError(t, err)
		require.Equal(t, store.ContentDigest([]byte(extraRule)), created.SHA256)
		_, err = lib.Activate(ctx, knowledge.KindRules, created.ID, "user:test")
		require.NoError(t, err)
		v, err := src.Validator(ctx)
		require.NoError(t, err)
		require.Equal(t, tt.want.Version(), v.Versions().Rules, "mode %q", tt.mode)
		require.Equal(t, defaultChecks.Version(), v.Versions().Checks)
		active, err := lib.Active(ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]string{"": "add", "add": "add", "replace": "replace"}[tt.mode], active.Rules.Mode)
	}

	const doc = "{\"type\": \"object\"}\n"
	offline, err := schema.Compile("s.json", []byte(doc))
	require.NoError(t, err)
	created, err := lib.Create(ctx, knowledge.KindSchema, knowledge.CreateRequest{Name: "s", Content: doc}, "user:test")
	require.NoError(t, err)
	_, err = lib.Activate(ctx, knowledge.KindSchema, created.ID, "user:test")
	require.NoError(t, err)
	v, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Equal(t, offline.Version(), v.Versions().Schema)
	require.Equal(t, created.SHA256[:len(offline.Version())], offline.Version(), "one digest, shortened in reports")

	_, err = lib.Create(ctx, knowledge.KindSchema, knowledge.CreateRequest{Name: "s", Content: doc, Mode: "replace"}, "user:test")
	require.True(t, problem.Is(err, problem.Invalid), "a schema has no defaults to replace: %v", err)
	_, err = lib.Create(ctx, knowledge.KindRules, knowledge.CreateRequest{Name: "r", Content: extraRule, Mode: "merge"}, "user:test")
	require.True(t, problem.Is(err, problem.Invalid), "%v", err)
}

// TestConstraintSetsAreKnowledge: a constraint set lints with positions,
// activates, and judges records.
func TestConstraintSetsAreKnowledge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	src, err := knowledge.NewSource(knowledge.SourceConfig{Store: st})
	require.NoError(t, err)
	lib := knowledge.NewLibrary(st.Store, src, nil)

	_, err = lib.Create(ctx, knowledge.KindConstraints, knowledge.CreateRequest{Name: "c", Content: "{\"constraints\": [\n  {\"id\": \"x\", \"kind\": \"often\"}\n]}"}, "user:test")
	p, ok := problem.As(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, "lint_failed", p.Code)
	require.Equal(t, 2, p.Details.([]knowledge.Problem)[0].Line)

	set := `{"constraints": [{"id": "plans", "kind": "cardinality", "type": "contract", "relation": "product", "min": 99, "confidence": 0.999}]}`
	created, err := lib.Create(ctx, knowledge.KindConstraints, knowledge.CreateRequest{Name: "c", Content: set}, "user:test")
	require.NoError(t, err)
	_, err = lib.Activate(ctx, knowledge.KindConstraints, created.ID, "user:test")
	require.NoError(t, err)
	current, err := src.Current(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, current.Validator.Versions().Constraints)
	report, err := current.Validator.Validate(ctx, cleanRecord(t))
	require.NoError(t, err)
	require.Equal(t, validation.Reject, report.Decision)
	require.Equal(t, validation.SourceConstraint, report.Violations[0].Source)
	active, err := lib.Active(ctx)
	require.NoError(t, err)
	require.Equal(t, created.ID, active.Constraints.ID)

	require.NoError(t, lib.Deactivate(ctx, knowledge.KindConstraints))
	v, err := src.Validator(ctx)
	require.NoError(t, err)
	require.Empty(t, v.Versions().Constraints)
}
