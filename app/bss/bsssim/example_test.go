package bsssim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/gen"
)

// A simulator with generated customers on two clusters, the first refusing
// connections, and a client writing through it.
func Example() {
	sim := bsssim.New(bsssim.Config{Seed: 1})
	lines, err := sim.AddGenerated(gen.Config{N: 3, Seed: 1, Compact: true})
	if err != nil {
		panic(err)
	}
	servers, err := sim.Start(bsssim.StartOptions{Clusters: 2})
	if err != nil {
		panic(err)
	}
	defer servers.Close()
	if _, err := sim.AddFault(bsssim.Fault{Kind: bsssim.FaultOutage, Refuse: true, Clusters: []int{0}}); err != nil {
		panic(err)
	}

	cat, err := bss.LoadCatalogue()
	if err != nil {
		panic(err)
	}
	sys := bss.SystemConfig{Clusters: servers.URLs}
	client, err := bss.NewClient(cat, bss.Config{
		Systems: map[string]bss.SystemConfig{"bias": sys, "bae": sys, "cpm": sys},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	ctx := context.Background()
	enquiry, _ := client.Call(ctx, "line.get_customer_enquiry", map[string]any{"msisdn": lines[0].MSISDN}, "")
	line, _ := bss.FindLine(enquiry.Value, lines[0].MSISDN)
	contract := line["contract"].(map[string]any)
	fmt.Println("enquiry:", enquiry.Outcome, "status", bss.CurrentStatus(contract))

	args := map[string]any{"customer_id": line["customer_id"], "contract_id": contract["id"], "status": "ContractSuspended"}
	res, _ := client.Call(ctx, "line.set_contract_status", args, "run-1/step-1")
	fmt.Println("write:", res.Outcome, "after", res.Attempts, "attempts")
	again, _ := client.Call(ctx, "line.set_contract_status", args, "run-1/step-1")
	fmt.Println("again:", again.Outcome)

	for _, e := range sim.Ledger() {
		fmt.Println("ledger:", e.Action, e.Detail, "on cluster", e.Cluster, "key", e.IdempotencyKey)
	}
	// Output:
	// enquiry: success status ContractActive
	// write: success after 2 attempts
	// again: already_done
	// ledger: contract.status ContractActive -> ContractSuspended on cluster 1 key run-1/step-1
}
