package bsssim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pff/pff/app/bss"
)

// refusal is a write BSS refuses, with the answer it gives.
type refusal struct {
	status    int
	code, msg string
}

func (f *refusal) write(w http.ResponseWriter) { writeError(w, f.status, f.code, f.msg) }

func already(format string, args ...any) *refusal {
	return &refusal{http.StatusConflict, "ALREADY_IN_STATE", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *refusal {
	return &refusal{http.StatusNotFound, "NOT_FOUND", fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *refusal {
	return &refusal{http.StatusBadRequest, "INVALID_REQUEST", fmt.Sprintf(format, args...)}
}

func badTransition(format string, args ...any) *refusal {
	return &refusal{http.StatusUnprocessableEntity, "INVALID_TRANSITION", fmt.Sprintf(format, args...)}
}

func knownContractStatus(s string) bool {
	switch s {
	case "ContractActive", "ContractInactive", "ContractSuspended", "ContractTerminated", "CtrlCancelado":
		return true
	}
	return false
}

func knownProductStatus(s string) bool {
	switch s {
	case "ProductActive", "ProductInactive", "ProductSuspended", "ProductTerminated":
		return true
	}
	return false
}

// Statuses the simulator's transitions set.
const (
	statusCtrlCancelado = "CtrlCancelado"
	// statusDeactivated is what vivoDeactivateContract leaves a postpaid
	// line in.
	statusDeactivated = "ContractSuspended"
)

// checkContractStatus says whether contract may move to status; the caller
// holds mu.
func checkContractStatus(contract map[string]any, status string) *refusal {
	id := contract["id"]
	current := bss.CurrentStatus(contract)
	switch {
	case !knownContractStatus(status):
		return invalid("unknown contract status %q", status)
	case current == status:
		return already("contract %v already has status %s", id, status)
	case current == bss.StatusTerminated:
		return badTransition("contract %v is terminated", id)
	case status == statusCtrlCancelado && !isControl(contract):
		return badTransition("contract %v is %v, not a Control or Prepaid line", id, contract["paymentContext"])
	}
	return nil
}

func isControl(contract map[string]any) bool {
	pc := contract["paymentContext"]
	return pc == "Control" || pc == "Prepaid"
}

// lineMSISDN is a contract's national MSISDN, for the ledger.
func lineMSISDN(contract map[string]any) string {
	for _, r := range objects(contract["resource"]) {
		if r["resourceSpecificationExternalId"] == bss.MSISDNSpec {
			num, _ := r["resourceNumber"].(string)
			if n, err := bss.NationalMSISDN(num); err == nil {
				return n
			}
		}
	}
	return ""
}

func contractTargets(customer, contract map[string]any) map[string]string {
	t := map[string]string{}
	if id, ok := customer["id"].(string); ok {
		t["customer_id"] = id
	}
	if id, ok := contract["id"].(string); ok {
		t["contract_id"] = id
	}
	if m := lineMSISDN(contract); m != "" {
		t["msisdn"] = m
	}
	return t
}

func callOf(r *http.Request) *call {
	if c, ok := r.Context().Value(callKey{}).(*call); ok {
		return c
	}
	return &call{}
}

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

// findBy returns the object of a list whose key is value.
func findBy(list any, key, value string) map[string]any {
	for _, o := range objects(list) {
		if o[key] == value {
			return o
		}
	}
	return nil
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

// activateProduct (BIAS) activates a line's product by external ids,
// creating it when the line does not have it.
func (s *Sim) activateProduct(w http.ResponseWriter, r *http.Request) {
	if t := r.PathValue("type"); t != "E.164" {
		invalid("communicationIdType %q: only E.164 is known", t).write(w)
		return
	}
	var body struct {
		Product []struct {
			OfferingExternalID string     `json:"productOfferingExternalId"`
			ExternalID         string     `json:"externalId"`
			Status             statusList `json:"status"`
		} `json:"product"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body.Product) == 0 {
		invalid("product: nothing to activate").write(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cust, contract, found := s.line(r.PathValue("msisdn"))
	if !found {
		notFound("no line %s", r.PathValue("msisdn")).write(w)
		return
	}
	if bss.CurrentStatus(contract) == bss.StatusTerminated {
		badTransition("contract %v is terminated", contract["id"]).write(w)
		return
	}
	for _, p := range body.Product {
		if st, _, ok := p.Status.one(); !ok || st != "ProductActive" || p.ExternalID == "" || p.OfferingExternalID == "" {
			invalid("product: give productOfferingExternalId, externalId and status ProductActive").write(w)
			return
		}
	}
	c := callOf(r)
	var touched []any
	var lastAlready *refusal
	for _, p := range body.Product {
		product := findBy(contract["product"], "externalId", p.ExternalID)
		targets := contractTargets(cust, contract)
		switch {
		case product == nil:
			product = map[string]any{
				"productOfferingExternalId": p.OfferingExternalID,
				"id":                        s.newID(),
				"externalId":                p.ExternalID,
			}
			s.setStatus(product, "status", "ProductActive", "")
			contract["product"] = append(anyList(contract["product"]), product)
			targets["product_id"] = product["id"].(string)
			s.record(c, r.Method, r.URL.Path, "product.create", targets, "new "+p.OfferingExternalID+" "+p.ExternalID)
		case bss.CurrentStatus(product) == "ProductActive":
			lastAlready = already("product %s is already active", p.ExternalID)
			continue
		default:
			from := bss.CurrentStatus(product)
			s.setStatus(product, "status", "ProductActive", "")
			targets["product_id"], _ = product["id"].(string)
			s.record(c, r.Method, r.URL.Path, "product.status", targets, from+" -> ProductActive")
		}
		touched = append(touched, product)
	}
	if len(touched) == 0 {
		lastAlready.write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"product": touched})
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
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

// manageConsumerList (BIAS) adds consumers to a sharing provider product.
func (s *Sim) manageConsumerList(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("ERICSSON.External-User-Id") == "" {
		invalid("header ERICSSON.External-User-Id is required").write(w)
		return
	}
	var body struct {
		Customer string           `json:"providerCustomerExternalId"`
		Contract string           `json:"providerContractExternalId"`
		Product  string           `json:"providerProductExternalId"`
		Consumer []map[string]any `json:"consumer"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Customer == "" || body.Contract == "" || body.Product == "" || len(body.Consumer) == 0 {
		invalid("give providerCustomerExternalId, providerContractExternalId, providerProductExternalId and consumer").write(w)
		return
	}
	for _, c := range body.Consumer {
		if ext, _ := c["consumerContractExternalId"].(string); ext == "" {
			invalid("every consumer needs consumerContractExternalId").write(w)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cust := s.customerByAnyID(body.Customer)
	if cust == nil {
		notFound("no customer %s", body.Customer).write(w)
		return
	}
	contract := findBy(cust["contract"], "externalId", body.Contract)
	if contract == nil {
		notFound("no contract %s of customer %s", body.Contract, body.Customer).write(w)
		return
	}
	product := findBy(contract["product"], "externalId", body.Product)
	if product == nil {
		notFound("no product %s in contract %s", body.Product, body.Contract).write(w)
		return
	}
	provider := mapAt(product, "sharingProvider")
	if provider == nil {
		provider = map[string]any{}
		product["sharingProvider"] = provider
	}
	list := anyList(provider["consumerList"])
	var added []string
	for _, consumer := range body.Consumer {
		if slices.ContainsFunc(list, func(e any) bool { return bss.DeepMatch(e, consumer) }) {
			continue
		}
		list = append(list, s.consumerEntry(cust, body.Product, consumer))
		added = append(added, consumer["consumerContractExternalId"].(string))
	}
	if len(added) == 0 {
		already("every consumer is already in the list of %s", body.Product).write(w)
		return
	}
	provider["consumerList"] = list
	targets := contractTargets(cust, contract)
	targets["product_id"], _ = product["id"].(string)
	s.record(callOf(r), r.Method, r.URL.Path, "consumer_list.add", targets, "add "+strings.Join(added, ", "))
	writeJSON(w, http.StatusOK, map[string]any{"consumerList": list})
}

// consumerEntry completes a consumer as BSS stores it; the caller holds mu.
func (s *Sim) consumerEntry(cust map[string]any, productExt string, consumer map[string]any) map[string]any {
	e := make(map[string]any, len(consumer)+6)
	for k, v := range consumer {
		e[k] = v
	}
	ext := consumer["consumerContractExternalId"].(string)
	setDefault(e, "id", s.newID())
	setDefault(e, "externalId", "Consumer_List_"+ext+"_"+productExt)
	if c := findBy(cust["contract"], "externalId", ext); c != nil {
		setDefault(e, "consumerContractId", c["id"])
		setDefault(e, "consumerCustomerId", cust["id"])
		setDefault(e, "consumerCustomerExternalId", cust["externalId"])
	}
	setDefault(e, "validFor", map[string]any{"startDateTime": s.stamp()})
	return e
}

func setDefault(m map[string]any, key string, v any) {
	if _, ok := m[key]; !ok && v != nil {
		m[key] = v
	}
}

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
