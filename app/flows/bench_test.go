package flows

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// nopRuntime answers every call at once, so that a benchmark measures the
// interpreter alone.
type nopRuntime struct{ result any }

func (nopRuntime) Boundary(context.Context, StepRef) error { return nil }

func (r nopRuntime) Call(context.Context, StepRef, Call) (any, error) { return r.result, nil }

func (nopRuntime) Approve(context.Context, StepRef, string) error { return nil }

// BenchmarkRunStep measures the interpreter's own cost per step: the
// boundary, the key, a when, two templated arguments and saving the result.
// The runtime does nothing.
func BenchmarkRunStep(b *testing.B) {
	const steps = 100
	var src strings.Builder
	src.WriteString("F:\n")
	for i := range steps {
		src.WriteString("  - when: info['contract']['paymentContext'] in ['Control', 'Prepaid'] and not done\n")
		src.WriteString("    method: line.set_product_status\n")
		src.WriteString("    args: {msisdn: \"{{ msisdn }}\", contract_id: \"k-{{ info['contract']['id'] }}\"}\n")
		src.WriteString("    save_as: r" + strconv.Itoa(i) + "\n")
	}
	f := mustParse(b, "bench.yaml", []byte(src.String()))
	in := Input{MSISDN: "15471723980", Columns: map[string]any{"done": false, "info": contract("Control")}}
	rt := nopRuntime{result: map[string]any{"ok": true}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(ctx, f, "F", in, rt)
		if err != nil || res.Status != Succeeded {
			b.Fatal(err, res.Err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*steps), "ns/step")
}
