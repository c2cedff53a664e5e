package flows_test

import (
	"context"
	"fmt"

	"github.com/pff/pff/app/flows"
)

// printer is a runtime that prints each call and answers the soft cancel
// with a rejected write.
type printer struct{}

func (printer) Boundary(context.Context, flows.StepRef) error { return nil }

func (printer) Call(_ context.Context, ref flows.StepRef, c flows.Call) (any, error) {
	fmt.Println(ref.Key, c.Method, c.Args)
	if c.Method == "line.set_soft_cancel_control" {
		return rejected{}, nil
	}
	return nil, nil
}

func (printer) Approve(context.Context, flows.StepRef, string) error {
	return flows.ErrAwaitingApproval
}

// rejected is a write BSS refused: falsy.
type rejected struct{}

func (rejected) Truthy() bool { return false }

func ExampleRun() {
	src := `
Soft_Cancel_Control:
  - method: line.set_soft_cancel_control
    args: { msisdn: "{{msisdn}}" }
    save_as: soft_ok
  - when: not soft_ok
    approve: "Delete the contract of {{ msisdn }}?"
  - method: line.delete_contract
    args: { msisdn: "{{ msisdn }}" }
`
	f, diags := flows.Parse("cancel.yaml", []byte(src))
	if diags.HasErrors() {
		fmt.Print(diags)
		return
	}
	res, err := flows.Run(context.Background(), f, "Soft_Cancel_Control", flows.Input{MSISDN: "15471723980"}, printer{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status, res.At.Key, res.Message)
	// Output:
	// Soft_Cancel_Control[0] line.set_soft_cancel_control map[msisdn:15471723980]
	// awaiting_approval Soft_Cancel_Control[1] Delete the contract of 15471723980?
}
