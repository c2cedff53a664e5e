package bsssim

import (
	"net/http"
	"slices"
	"strings"

	"github.com/pff/pff/app/bss"
)

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
