package bsssim

import (
	"maps"
	"slices"
	"time"
)

// LedgerEntry is one write the simulator applied. Writes that changed
// nothing (already in that state) or failed are not in the ledger.
type LedgerEntry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Cluster int       `json:"cluster"`
	Method  string    `json:"method"`
	Path    string    `json:"path"`
	// Route is the route's pattern, e.g.
	// "PATCH /bae/bssfSubscriptionManagement/v1/customer/{customer}/contract/{contract}".
	Route string `json:"route"`
	// Action names the effect: contract.status, product.status,
	// product.create, consumer_list.add, customer.create, contract.delete,
	// party.status.
	Action string `json:"action"`
	// Targets are the ids the write touched: customer_id, contract_id,
	// product_id, msisdn, party_id.
	Targets map[string]string `json:"targets"`
	// IdempotencyKey is the header the write came with.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Detail says what changed, e.g. "ContractActive -> CtrlCancelado".
	Detail string `json:"detail,omitempty"`
}

// record appends an applied effect; the caller holds mu.
func (s *Sim) record(c *call, method, path, action string, targets map[string]string, detail string) {
	s.ledgerSeq++
	s.ledger = append(s.ledger, LedgerEntry{
		Seq: s.ledgerSeq, Time: s.now(), Cluster: c.cluster, Method: method, Path: path,
		Route: c.route, Action: action, Targets: maps.Clone(targets), IdempotencyKey: c.key, Detail: detail,
	})
}

// Ledger returns every applied write, oldest first.
func (s *Sim) Ledger() []LedgerEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.ledger)
	for i := range out {
		out[i].Targets = maps.Clone(out[i].Targets)
	}
	return out
}

// LedgerFor returns the applied writes of one action ("" for all) that
// touched the target (key, value); an empty key matches any.
func (s *Sim) LedgerFor(action, key, value string) []LedgerEntry {
	var out []LedgerEntry
	for _, e := range s.Ledger() {
		v, has := e.Targets[key]
		if (action == "" || e.Action == action) && (key == "" || (has && v == value)) {
			out = append(out, e)
		}
	}
	return out
}

// ClearLedger empties the ledger.
func (s *Sim) ClearLedger() {
	s.mu.Lock()
	s.ledger = nil
	s.mu.Unlock()
}
