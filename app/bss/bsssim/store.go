package bsssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/pff/pff/app/bss"
)

// AddDocument adds a customer-enquiry document (or replaces the one with
// the same id, as re-ingesting a corrected record does), with a party for
// each contract's current user. The document is copied.
func (s *Sim) AddDocument(doc map[string]any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("bsssim: document: %w", err)
	}
	return s.AddJSON(b)
}

// AddJSON adds one customer-enquiry document given as a JSON object.
func (s *Sim) AddJSON(data []byte) error {
	doc, err := decodeObject(data)
	if err != nil {
		return fmt.Errorf("bsssim: document: %w", err)
	}
	id, _ := doc["id"].(string)
	if id == "" {
		return errors.New(`bsssim: document: no "id" (the customer id)`)
	}
	if _, ok := doc["contract"]; ok {
		if _, isList := doc["contract"].([]any); !isList {
			return fmt.Errorf("bsssim: document %s: contract is not a list", id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putCustomer(doc)
	return nil
}

// decodeObject decodes a JSON object, keeping numbers as written.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errors.New("not a JSON object")
	}
	return doc, nil
}

// putCustomer stores a document and indexes it; the caller holds mu.
func (s *Sim) putCustomer(doc map[string]any) {
	id := doc["id"].(string)
	if old, ok := s.customers[id]; ok {
		if ext, _ := old["externalId"].(string); ext != "" && s.byExternal[ext] == id {
			delete(s.byExternal, ext)
		}
	} else {
		s.order = append(s.order, id)
	}
	s.customers[id] = doc
	if ext, _ := doc["externalId"].(string); ext != "" {
		s.byExternal[ext] = id
	}
	for _, c := range objects(doc["contract"]) {
		for _, r := range objects(c["resource"]) {
			if r["resourceSpecificationExternalId"] != bss.MSISDNSpec {
				continue
			}
			num, _ := r["resourceNumber"].(string)
			if n, err := bss.NationalMSISDN(num); err == nil && !slices.Contains(s.byMSISDN[n], id) {
				s.byMSISDN[n] = append(s.byMSISDN[n], id)
			}
		}
		s.seedParty(c)
	}
}

// seedParty makes the party of a contract's current user, which flows find
// as "userPartyExternalId_" + the contract's externalId.
func (s *Sim) seedParty(contract map[string]any) {
	ext, _ := contract["externalId"].(string)
	if ext == "" {
		return
	}
	for _, role := range objects(contract["relatedPartyInteractionRole"]) {
		id, _ := role["partyRoleId"].(string)
		if role["interactionRole"] != "ContractUser" || id == "" || !currentRole(role) {
			continue
		}
		if _, ok := s.parties[id]; ok {
			return
		}
		start, _ := mapAt(role, "validFor")["startDateTime"].(string)
		party := map[string]any{
			"id":         id,
			"externalId": "userPartyExternalId_" + ext,
			"status":     []any{map[string]any{"status": "PartyActive", "validFor": map[string]any{"startDateTime": start}}},
		}
		s.parties[id] = party
		s.partyByExt[party["externalId"].(string)] = id
		return
	}
}

// currentRole: a role whose validity has no end, or ends far ahead.
func currentRole(role map[string]any) bool {
	end, _ := mapAt(role, "validFor")["endDateTime"].(string)
	return end == "" || end >= "9999"
}

// AddParty adds (or replaces) a party: an object with "id" and
// "externalId".
func (s *Sim) AddParty(party map[string]any) error {
	b, err := json.Marshal(party)
	if err != nil {
		return fmt.Errorf("bsssim: party: %w", err)
	}
	p, err := decodeObject(b)
	if err != nil {
		return fmt.Errorf("bsssim: party: %w", err)
	}
	id, _ := p["id"].(string)
	ext, _ := p["externalId"].(string)
	if id == "" || ext == "" {
		return errors.New(`bsssim: party: needs "id" and "externalId"`)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parties[id] = p
	s.partyByExt[ext] = id
	return nil
}

// Document returns a copy of a customer's current document.
func (s *Sim) Document(customerID string) (map[string]any, bool) {
	b, ok := s.DocumentJSON(customerID)
	if !ok {
		return nil, false
	}
	doc, err := decodeObject(b)
	return doc, err == nil
}

// DocumentJSON returns a customer's current document as JSON, ready to be
// ingested again.
func (s *Sim) DocumentJSON(customerID string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := s.customerByAnyID(customerID)
	if doc == nil {
		return nil, false
	}
	b, err := json.Marshal(doc)
	return b, err == nil
}

// Party returns a copy of a party.
func (s *Sim) Party(id string) (map[string]any, bool) {
	s.mu.Lock()
	p, ok := s.parties[id]
	var b []byte
	if ok {
		b, _ = json.Marshal(p)
	}
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	out, err := decodeObject(b)
	return out, err == nil
}

// CustomerIDs returns the customers' ids in the order they were added.
func (s *Sim) CustomerIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// RemoveDocument drops a customer; false if unknown.
func (s *Sim) RemoveDocument(customerID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.customers[customerID]
	if !ok {
		return false
	}
	delete(s.customers, customerID)
	s.order = slices.DeleteFunc(s.order, func(id string) bool { return id == customerID })
	if ext, _ := doc["externalId"].(string); s.byExternal[ext] == customerID {
		delete(s.byExternal, ext)
	}
	return true
}

// customerByAnyID finds a customer by id or externalId; the caller holds mu.
func (s *Sim) customerByAnyID(id string) map[string]any {
	if doc, ok := s.customers[id]; ok {
		return doc
	}
	if real, ok := s.byExternal[id]; ok {
		return s.customers[real]
	}
	return nil
}

// line finds the customer and contract of an MSISDN; the caller holds mu.
func (s *Sim) line(msisdn string) (customer, contract map[string]any, ok bool) {
	n, err := bss.NationalMSISDN(msisdn)
	if err != nil {
		return nil, nil, false
	}
	var docs []any
	for _, id := range s.byMSISDN[n] {
		if doc, ok := s.customers[id]; ok {
			docs = append(docs, doc)
		}
	}
	hit, ok := bss.FindLine(docs, n)
	if !ok {
		return nil, nil, false
	}
	contract = hit["contract"].(map[string]any)
	id, _ := hit["customer_id"].(string)
	return s.customers[id], contract, true
}

// contractOf finds a contract of a customer by id.
func contractOf(customer map[string]any, id string) map[string]any {
	for _, c := range objects(customer["contract"]) {
		if c["id"] == id {
			return c
		}
	}
	return nil
}

// setStatus appends a status to an object's history: the current entry
// gets an end, the new one starts now and is last.
func (s *Sim) setStatus(obj map[string]any, key, status, reason string) {
	now := s.stamp()
	history, _ := obj[key].([]any)
	if n := len(history); n > 0 {
		if last, ok := history[n-1].(map[string]any); ok {
			vf := mapAt(last, "validFor")
			if vf == nil {
				vf = map[string]any{}
				last["validFor"] = vf
			}
			vf["endDateTime"] = now
		}
	}
	entry := map[string]any{"status": status, "validFor": map[string]any{"startDateTime": now}}
	if reason != "" {
		entry["reason"] = reason
	}
	obj[key] = append(history, entry)
}

// mapAt returns the object under key, or nil.
func mapAt(o map[string]any, key string) map[string]any {
	m, _ := o[key].(map[string]any)
	return m
}

// objects returns the objects in a list, skipping anything else.
func objects(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if o, ok := e.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// findBy returns the object of a list whose key is value.
func findBy(list any, key, value string) map[string]any {
	for _, o := range objects(list) {
		if o[key] == value {
			return o
		}
	}
	return nil
}

// anyList returns a list, or nil.
func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// setDefault sets key unless it is set or v is nil.
func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok && v != nil {
		m[key] = v
	}
}
