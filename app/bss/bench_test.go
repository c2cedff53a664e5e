package bss_test

import (
	"testing"

	"github.com/pff/pff/app/bss"
)

// BenchmarkClient times a read (the enquiry, 13 KB) and a write (the line's
// contract status by MSISDN, applied each time, 204) through the client
// against the simulator on loopback: the client's own cost plus the
// simulator's. Each write dials its own connection, as in production.
func BenchmarkClient(b *testing.B) {
	f := newFixture(b, fixtureOptions{system: func(c *bss.SystemConfig) { c.Rate, c.Burst = 1_000_000, 1000 }})
	b.Run("read", func(b *testing.B) {
		req, err := f.cat.Resolve("line.get_customer_enquiry", map[string]any{"msisdn": singleMSISDN})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if r := f.client.Do(b.Context(), req); r.Outcome != bss.Success {
				b.Fatalf("%s: %v", r.Outcome, r.Err)
			}
		}
	})
	b.Run("write", func(b *testing.B) {
		var reqs [2]bss.Request
		for i, st := range []string{"ContractSuspended", "ContractActive"} {
			r, err := f.cat.Resolve("line.set_contract_status", map[string]any{"msisdn": singleMSISDN, "status": st})
			if err != nil {
				b.Fatal(err)
			}
			reqs[i] = r
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if r := f.client.Do(b.Context(), reqs[i%2]); r.Outcome != bss.Success {
				b.Fatalf("%s: %v", r.Outcome, r.Err)
			}
			i++
		}
	})
	b.Run("resolve", func(b *testing.B) {
		args := map[string]any{"msisdn": singleMSISDN, "activate": true, "product_offering_external_id": "BONUS", "product_external_id": "X"}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.cat.Resolve("line.set_product_status", args); err != nil {
				b.Fatal(err)
			}
		}
	})
}
