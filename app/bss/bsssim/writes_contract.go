package bsssim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/pff/pff/app/bss"
)

// patchContract (BAE) sets a contract's status and/or its products'.
func (s *Sim) patchContract(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Status  statusList `json:"status"`
		Product []struct {
			ID     string     `json:"id"`
			Status statusList `json:"status"`
		} `json:"product"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Status == nil && body.Product == nil {
		invalid("nothing to change: give status or product").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cust := s.customerByAnyID(r.PathValue("customer"))
	if cust == nil {
		notFound("no customer %s", r.PathValue("customer")).write(w)
		return
	}
	contract := contractOf(cust, r.PathValue("contract"))
	if contract == nil {
		notFound("no contract %s of customer %s", r.PathValue("contract"), r.PathValue("customer")).write(w)
		return
	}
	// Check everything before changing anything: a refused PATCH changes
	// nothing.
	type change struct {
		obj            map[string]any
		status, reason string
		productID      string
	}
	var changes []change
	var lastAlready *refusal
	if body.Status != nil {
		st, reason, ok := body.Status.one()
		if !ok {
			invalid("status: give exactly one status").write(w)
			return
		}
		switch ref := checkContractStatus(contract, st); {
		case ref != nil && ref.code == "ALREADY_IN_STATE":
			lastAlready = ref
		case ref != nil:
			ref.write(w)
			return
		default:
			changes = append(changes, change{obj: contract, status: st, reason: reason})
		}
	}
	for _, p := range body.Product {
		st, reason, ok := p.Status.one()
		if !ok || p.ID == "" {
			invalid("product: give an id and exactly one status").write(w)
			return
		}
		product := findBy(contract["product"], "id", p.ID)
		switch {
		case product == nil:
			notFound("no product %s in contract %v", p.ID, contract["id"]).write(w)
			return
		case !knownProductStatus(st):
			invalid("unknown product status %q", st).write(w)
			return
		case bss.CurrentStatus(product) == st:
			lastAlready = already("product %s already has status %s", p.ID, st)
		case bss.CurrentStatus(product) == "ProductTerminated":
			badTransition("product %s is terminated", p.ID).write(w)
			return
		default:
			changes = append(changes, change{obj: product, status: st, reason: reason, productID: p.ID})
		}
	}
	if len(changes) == 0 {
		lastAlready.write(w)
		return
	}
	c := callOf(r)
	for _, ch := range changes {
		from := bss.CurrentStatus(ch.obj)
		s.setStatus(ch.obj, "status", ch.status, ch.reason)
		targets := contractTargets(cust, contract)
		action := "contract.status"
		if ch.productID != "" {
			targets["product_id"] = ch.productID
			action = "product.status"
		}
		s.record(c, r.Method, r.URL.Path, action, targets, from+" -> "+ch.status)
	}
	writeJSON(w, http.StatusOK, contract)
}

// updateStatus (BIAS) sets the status of a line's contract.
func (s *Sim) updateStatus(w http.ResponseWriter, r *http.Request) {
	var body struct {
		CommunicationID     string     `json:"communicationId"`
		CommunicationIDType string     `json:"communicationIdType"`
		Status              statusList `json:"status"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	st, reason, ok := body.Status.one()
	switch {
	case body.CommunicationIDType != "E.164":
		invalid("communicationIdType %q: only E.164 is known", body.CommunicationIDType).write(w)
		return
	case !ok:
		invalid("status: give exactly one status").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cust, contract, found := s.line(body.CommunicationID)
	if !found {
		notFound("no line %s", body.CommunicationID).write(w)
		return
	}
	if ref := checkContractStatus(contract, st); ref != nil {
		ref.write(w)
		return
	}
	from := bss.CurrentStatus(contract)
	s.setStatus(contract, "status", st, reason)
	s.record(callOf(r), r.Method, r.URL.Path, "contract.status", contractTargets(cust, contract), from+" -> "+st)
	w.WriteHeader(http.StatusNoContent)
}

// deactivateContract (BIAS) soft-cancels a postpaid line.
func (s *Sim) deactivateContract(w http.ResponseWriter, r *http.Request) {
	if t := r.PathValue("type"); t != "E.164" {
		invalid("communicationIdType %q: only E.164 is known", t).write(w)
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if strings.TrimSpace(body.Reason) == "" {
		invalid("reason is required").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cust, contract, found := s.line(r.PathValue("msisdn"))
	if !found {
		notFound("no line %s", r.PathValue("msisdn")).write(w)
		return
	}
	if isControl(contract) {
		badTransition("contract %v is %v, not postpaid", contract["id"], contract["paymentContext"]).write(w)
		return
	}
	if ref := checkContractStatus(contract, statusDeactivated); ref != nil {
		ref.write(w)
		return
	}
	from := bss.CurrentStatus(contract)
	s.setStatus(contract, "status", statusDeactivated, body.Reason)
	s.record(callOf(r), r.Method, r.URL.Path, "contract.status", contractTargets(cust, contract), from+" -> "+statusDeactivated)
	w.WriteHeader(http.StatusNoContent)
}

// deleteContract (BAE) removes a contract from its customer.
func (s *Sim) deleteContract(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cust := s.customerByAnyID(r.PathValue("customer"))
	if cust == nil {
		notFound("no customer %s", r.PathValue("customer")).write(w)
		return
	}
	id, contractID := cust["id"].(string), r.PathValue("contract")
	if s.deleted[id+"/"+contractID] {
		already("contract %s is already deleted", contractID).write(w)
		return
	}
	contract := contractOf(cust, contractID)
	if contract == nil {
		notFound("no contract %s of customer %s", contractID, id).write(w)
		return
	}
	cust["contract"] = slices.DeleteFunc(anyList(cust["contract"]), func(e any) bool {
		o, _ := e.(map[string]any)
		return o["id"] == contractID
	})
	s.deleted[id+"/"+contractID] = true
	s.record(callOf(r), r.Method, r.URL.Path, "contract.delete", contractTargets(cust, contract), "deleted")
	w.WriteHeader(http.StatusNoContent)
}
