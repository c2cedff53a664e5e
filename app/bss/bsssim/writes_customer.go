package bsssim

import (
	"net/http"
	"strings"

	"github.com/pff/pff/app/bss"
)

// createClient (BIAS) creates a customer from a client document.
func (s *Sim) createClient(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("ERICSSON.External-User-Id") == "" {
		invalid("header ERICSSON.External-User-Id is required").write(w)
		return
	}
	var raw any
	if !decodeBody(w, r, &raw) {
		return
	}
	doc, _ := raw.(map[string]any)
	ext, _ := doc["externalId"].(string)
	if doc == nil || ext == "" {
		invalid("the client document must be an object with an externalId").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.customerByAnyID(ext) != nil {
		already("customer %s already exists", ext).write(w)
		return
	}
	if id, _ := doc["id"].(string); id == "" || s.customers[id] != nil {
		doc["id"] = s.newID()
	}
	if _, ok := doc["status"]; !ok {
		s.setStatus(doc, "status", "CustomerActive", "")
	}
	setDefault(doc, "contract", []any{})
	s.putCustomer(doc)
	s.record(callOf(r), r.Method, r.URL.Path, "customer.create",
		map[string]string{"customer_id": doc["id"].(string)}, "externalId "+ext)
	writeJSON(w, http.StatusCreated, map[string]any{"id": doc["id"], "externalId": ext})
}

// updateParty (CPM) sets a party's status.
func (s *Sim) updateParty(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Resource struct {
			Statuses statusList `json:"statuses"`
		} `json:"resource"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	st, reason, ok := body.Resource.Statuses.one()
	if !ok || (st != "PartyTerminated" && st != "PartyActive") {
		invalid("resource.statuses: give one of PartyActive, PartyTerminated").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("party")
	party, found := s.parties[id]
	if !found {
		notFound("no party %s", id).write(w)
		return
	}
	from := bss.CurrentStatus(party)
	if from == st {
		already("party %s already has status %s", id, st).write(w)
		return
	}
	s.setStatus(party, "status", st, reason)
	detail := from + " -> " + st
	if strings.EqualFold(r.Header.Get("ERICSSON.Cascade-Termination"), "true") {
		detail += " (cascade)"
	}
	s.record(callOf(r), r.Method, r.URL.Path, "party.status", map[string]string{"party_id": id}, detail)
	writeJSON(w, http.StatusOK, party)
}
