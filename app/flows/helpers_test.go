package flows

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// legacyCatalog lists the methods of the BSS operations document.
func legacyCatalog() Methods {
	m := Methods{}
	add := func(name string, effect Effect, params ...string) {
		m[name] = MethodInfo{Name: name, Params: params, Effect: effect}
	}
	add("line.get_customer_enquiry", EffectRead, "msisdn", "customer_id")
	add("line.get_individual_party", EffectRead, "external_id")
	add("line.get_contract", EffectRead, "search")
	add("line.get_product", EffectRead, "search")
	add("line.read_contract", EffectRead, "customer_id", "contract_id")
	add("line.set_contract_status", EffectWrite, "customer_id", "contract_id", "msisdn", "status")
	add("line.set_product_status", EffectWrite, "msisdn", "activate", "product_offering_external_id",
		"product_external_id", "product_id", "customer_id", "contract_id")
	add("line.set_soft_cancel_control", EffectWrite, "msisdn")
	add("line.set_soft_cancel_postpaid", EffectWrite, "msisdn", "reason")
	add("line.set_create_client", EffectWrite, "data")
	add("line.delete_contract", EffectDestructive, "customer_id", "contract_id")
	add("line.set_party_terminated", EffectDestructive, "party_id")
	add("line.save_object", EffectLocal, "obj", "var_name")
	add("line.set_observation", EffectLocal, "note")
	return m
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	return data
}

// mustParse parses a file that must have no errors.
func mustParse(t testing.TB, name string, data []byte) *File {
	t.Helper()
	f, diags := Parse(name, data)
	require.False(t, diags.HasErrors(), diags.String())
	return f
}

func legacyFile(t testing.TB) *File {
	t.Helper()
	return mustParse(t, "legacy-sample.yaml", readFile(t, "testdata/legacy-sample.yaml"))
}

// seen is a call the fake runtime saw.
type seen struct {
	Key    string
	Method string
	Args   map[string]any
}

// fakeRuntime answers calls from a function and records what it saw.
type fakeRuntime struct {
	answer     func(ref StepRef, c Call) (any, error)
	approve    func(ref StepRef, msg string) error
	boundary   func(ref StepRef) error
	calls      []seen
	boundaries []string
	approvals  []string
}

func (rt *fakeRuntime) Boundary(_ context.Context, ref StepRef) error {
	rt.boundaries = append(rt.boundaries, ref.Key)
	if rt.boundary != nil {
		return rt.boundary(ref)
	}
	return nil
}

func (rt *fakeRuntime) Call(_ context.Context, ref StepRef, c Call) (any, error) {
	rt.calls = append(rt.calls, seen{Key: ref.Key, Method: c.Method, Args: c.Args})
	if rt.answer == nil {
		return nil, nil
	}
	return rt.answer(ref, c)
}

func (rt *fakeRuntime) Approve(_ context.Context, ref StepRef, msg string) error {
	rt.approvals = append(rt.approvals, ref.Key+": "+msg)
	if rt.approve == nil {
		return ErrAwaitingApproval
	}
	return rt.approve(ref, msg)
}

// byMethod answers each method with a fixed value (nil for the others).
func byMethod(answers map[string]any) func(StepRef, Call) (any, error) {
	return func(_ StepRef, c Call) (any, error) {
		if err, ok := answers[c.Method].(error); ok {
			return nil, err
		}
		return answers[c.Method], nil
	}
}

// writeResult is a write's result as the engine returns it: truthy when
// applied.
type writeResult struct {
	Applied bool   `json:"applied"`
	Outcome string `json:"outcome"`
}

func (w writeResult) Truthy() bool { return w.Applied }

// run runs a flow with a fake runtime and requires no Go error.
func run(t testing.TB, f *File, flow string, in Input, rt *fakeRuntime) Result {
	t.Helper()
	res, err := Run(context.Background(), f, flow, in, rt)
	require.NoError(t, err)
	return res
}

func methods(calls []seen) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Method
	}
	return out
}
