package bsssim

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/pff/pff/app/bss"
)

// The routes, as the catalogue's paths.
const (
	routeEnquiry       = "GET /bias/bssfsdCustomerEnquiry/v1/customer"
	routeParty         = "GET /bae/bssfIndividualPartyEnquiry/v1/individualParty/{$}"
	routeReadContract  = "GET /cpm/business/v1/readContract/customer/{customer}/contract/{contract}"
	routePatchContract = "PATCH /bae/bssfSubscriptionManagement/v1/customer/{customer}/contract/{contract}"
	routeDelete        = "DELETE /bae/bssfSubscriptionManagement/v1/customer/{customer}/contract/{contract}"
	routeUpdateStatus  = "POST /bias/vivoUpdateContractStatus/v1/updateStatus"
	routeActivate      = "POST /bias/vivoActivateProduct/v1/communicationId/{msisdn}/communicationIdType/{type}"
	routeDeactivate    = "POST /bias/vivoDeactivateContract/v1/communicationId/{msisdn}/communicationIdType/{type}"
	routeConsumerList  = "POST /bias/bssfsdSubscriptionManagement/v1/rmil-manage-consumer-list/{$}"
	routeCreateClient  = "POST /bias/vivoCreateClient/v1/customer"
	routeUpdateParty   = "POST /cpm/business/v1/updateParty/party/{party}"
)

func (s *Sim) bssRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc(routeEnquiry, s.getEnquiry)
	mux.HandleFunc(routeParty, s.getParty)
	mux.HandleFunc(routeReadContract, s.readContract)
	mux.HandleFunc(routePatchContract, s.patchContract)
	mux.HandleFunc(routeDelete, s.deleteContract)
	mux.HandleFunc(routeUpdateStatus, s.updateStatus)
	mux.HandleFunc(routeActivate, s.activateProduct)
	mux.HandleFunc(routeDeactivate, s.deactivateContract)
	mux.HandleFunc(routeConsumerList, s.manageConsumerList)
	mux.HandleFunc(routeCreateClient, s.createClient)
	mux.HandleFunc(routeUpdateParty, s.updateParty)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NO_ROUTE", "no such operation: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// getEnquiry answers the customer enquiry, by customerId (id or
// externalId) or by the line's E.164 number. An unknown customer is a 404;
// an unknown number an empty list, as BIAS answers searches.
func (s *Sim) getEnquiry(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	includeContracts := q.Get("includeContracts") != "false"
	includeTerminated := q.Get("includeTerminatedContracts") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	var doc map[string]any
	switch {
	case q.Get("customerId") != "":
		if doc = s.customerByAnyID(q.Get("customerId")); doc == nil {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "no customer "+q.Get("customerId"))
			return
		}
	case q.Get("communicationId") != "":
		if t := q.Get("communicationIdType"); t != "E.164" {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "communicationIdType "+t+": only E.164 is known")
			return
		}
		num := q.Get("communicationId")
		if !strings.HasPrefix(num, "55") || len(num) < 12 {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "communicationId "+num+" is not E.164 (55 + the national number)")
			return
		}
		cust, contract, ok := s.line(num)
		if !ok || (!includeTerminated && bss.CurrentStatus(contract) == bss.StatusTerminated) {
			writeJSON(w, http.StatusOK, []any{})
			return
		}
		doc = cust
	default:
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "give customerId or communicationId")
		return
	}
	writeJSON(w, http.StatusOK, enquiryView(doc, includeContracts, includeTerminated))
}

// enquiryView is a customer as the enquiry shows it: without contracts, or
// without the terminated ones, when asked.
func enquiryView(doc map[string]any, contracts, terminated bool) map[string]any {
	if contracts && terminated {
		return doc
	}
	view := make(map[string]any, len(doc))
	for k, v := range doc {
		view[k] = v
	}
	if !contracts {
		delete(view, "contract")
		return view
	}
	var kept []any
	for _, c := range objects(doc["contract"]) {
		if bss.CurrentStatus(c) != bss.StatusTerminated {
			kept = append(kept, c)
		}
	}
	view["contract"] = kept
	return view
}

func (s *Sim) getParty(w http.ResponseWriter, r *http.Request) {
	ext := r.URL.Query().Get("externalId")
	if ext == "" {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "externalId is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.parties[s.partyByExt[ext]]
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no individual party "+ext)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Sim) readContract(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cust := s.customerByAnyID(r.PathValue("customer"))
	var contract map[string]any
	if cust != nil {
		contract = contractOf(cust, r.PathValue("contract"))
	}
	if contract == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no contract "+r.PathValue("contract")+" of customer "+r.PathValue("customer"))
		return
	}
	writeJSON(w, http.StatusOK, contract)
}

// decodeBody decodes a JSON request body into v, answering 400 when it
// cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "body: "+err.Error())
		return false
	}
	return true
}

// statusList reads [{"status": S}] bodies.
type statusList []struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// one returns the single status asked for.
func (l statusList) one() (string, string, bool) {
	if len(l) != 1 || l[0].Status == "" {
		return "", "", false
	}
	return l[0].Status, l[0].Reason, true
}
