package bsssim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const enquiryPath = "/bias/bssfsdCustomerEnquiry/v1/customer"

func TestEnquiry(t *testing.T) {
	t.Parallel()
	_, sv := newTestSim(t, Config{}, 1)
	base := sv.URLs[0]
	byNumber := func(m string) string {
		return base + enquiryPath + "?includeTerminatedContracts=true&includeContracts=true&communicationIdType=E.164&communicationId=" + m
	}
	tests := []struct {
		name, url string
		status    int
		customer  string // "" for an empty list
	}{
		{"by E.164 number", byNumber("55" + singleMSISDN), 200, singleCustomer},
		{"a family line", byNumber("55" + familyDependentLine), 200, familyCustomer},
		{"unknown number: empty list", byNumber("5511999999999"), 200, ""},
		{"national number is not E.164", byNumber(singleMSISDN), 400, ""},
		{"by customer id", base + enquiryPath + "?customerId=" + singleCustomer, 200, singleCustomer},
		{"by customer external id", base + enquiryPath + "?customerId=" + familyCustExt, 200, familyCustomer},
		{"unknown customer: 404", base + enquiryPath + "?customerId=nope", 404, ""},
		{"neither: 400", base + enquiryPath, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := send(t, "GET", tt.url, nil)
			require.Equal(t, tt.status, a.status, "%s", a.body)
			if tt.status != 200 {
				return
			}
			if tt.customer == "" {
				require.Equal(t, []any{}, a.json(t))
				return
			}
			doc := a.json(t).(map[string]any)
			require.Equal(t, tt.customer, doc["id"])
			require.NotEmpty(t, doc["contract"])
		})
	}

}

func TestEnquiryWithoutTerminatedContracts(t *testing.T) {
	t.Parallel()
	s, sv := newTestSim(t, Config{}, 1)
	base := sv.URLs[0]
	a := send(t, "PATCH", base+"/bae/bssfSubscriptionManagement/v1/customer/"+familyCustomer+"/contract/"+familyDependent,
		map[string]any{"status": []any{map[string]any{"status": "ContractTerminated"}}})
	require.Equal(t, 200, a.status, "%s", a.body)
	url := base + enquiryPath + "?includeTerminatedContracts=false&communicationIdType=E.164&communicationId=55" + familyDependentLine
	require.Equal(t, []any{}, send(t, "GET", url, nil).json(t))
	url = base + enquiryPath + "?customerId=" + familyCustomer + "&includeTerminatedContracts=false"
	doc := send(t, "GET", url, nil).json(t).(map[string]any)
	require.Len(t, doc["contract"], 4, "the terminated contract is left out")
	full, _ := s.Document(familyCustomer)
	require.Len(t, full["contract"], 5)
}

func TestReadContractAndParty(t *testing.T) {
	t.Parallel()
	_, sv := newTestSim(t, Config{}, 1)
	base := sv.URLs[0]
	a := send(t, "GET", base+"/cpm/business/v1/readContract/customer/"+singleCustomer+"/contract/"+singleContract+"?validAt=*", nil)
	require.Equal(t, 200, a.status)
	require.Equal(t, singleContractEx, a.json(t).(map[string]any)["externalId"])
	a = send(t, "GET", base+"/cpm/business/v1/readContract/customer/"+singleCustomer+"/contract/nope?validAt=*", nil)
	require.Equal(t, 404, a.status)

	a = send(t, "GET", base+"/bae/bssfIndividualPartyEnquiry/v1/individualParty/?externalId=userPartyExternalId_"+singleContractEx, nil)
	require.Equal(t, 200, a.status, "%s", a.body)
	party := a.json(t).(map[string]any)
	require.Equal(t, singleParty, party["id"])
	require.Equal(t, []string{"PartyActive"}, statuses(party))
	a = send(t, "GET", base+"/bae/bssfIndividualPartyEnquiry/v1/individualParty/?externalId=nope", nil)
	require.Equal(t, 404, a.status)
}

// write is one write the simulator must apply once, then refuse as
// already done.
type write struct {
	name    string
	method  string
	path    string
	body    any
	headers []string
	status  int    // the first time
	action  string // in the ledger
	check   func(t *testing.T, s *Sim)
}

func writes() []write {
	patchPath := "/bae/bssfSubscriptionManagement/v1/customer/" + singleCustomer + "/contract/" + singleContract
	return []write{
		{
			name: "contract status (BAE)", method: "PATCH", path: patchPath,
			body:   map[string]any{"status": []any{map[string]any{"status": "ContractSuspended"}}},
			status: 200, action: "contract.status",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, singleCustomer), singleContract)
				prev, cur := lastTwo(t, c)
				require.Equal(t, "ContractActive", prev["status"])
				require.Equal(t, fixedStamp, prev["validFor"].(map[string]any)["endDateTime"])
				require.Equal(t, map[string]any{"status": "ContractSuspended", "validFor": map[string]any{"startDateTime": fixedStamp}}, cur)
			},
		},
		{
			name: "product terminated (BAE)", method: "PATCH", path: patchPath,
			body:   map[string]any{"product": []any{map[string]any{"id": singleProduct, "status": []any{map[string]any{"status": "ProductTerminated"}}}}},
			status: 200, action: "product.status",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, singleCustomer), singleContract)
				p := findBy(c["product"], "id", singleProduct)
				require.Equal(t, []string{"ProductActive", "ProductTerminated"}, statuses(p))
			},
		},
		{
			name: "contract status (BIAS by number)", method: "POST", path: "/bias/vivoUpdateContractStatus/v1/updateStatus",
			body:   map[string]any{"communicationId": singleMSISDN, "communicationIdType": "E.164", "status": []any{map[string]any{"status": "ContractInactive"}}},
			status: 204, action: "contract.status",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, singleCustomer), singleContract)
				require.Equal(t, []string{"ContractActive", "ContractInactive"}, statuses(c))
			},
		},
		{
			name: "product activated again", method: "POST",
			path:   "/bias/vivoActivateProduct/v1/communicationId/" + familyDependentLine + "/communicationIdType/E.164",
			body:   map[string]any{"product": []any{map[string]any{"productOfferingExternalId": "CONSUMER_MV", "externalId": familyTerminatedExt, "status": []any{map[string]any{"status": "ProductActive"}}}}},
			status: 200, action: "product.status",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, familyCustomer), familyDependent)
				p := findBy(c["product"], "externalId", familyTerminatedExt)
				require.Equal(t, []string{"ProductActive", "ProductInactive", "ProductTerminated", "ProductActive"}, statuses(p))
			},
		},
		{
			name: "product created by activation", method: "POST",
			path:   "/bias/vivoActivateProduct/v1/communicationId/" + singleMSISDN + "/communicationIdType/E.164",
			body:   map[string]any{"product": []any{map[string]any{"productOfferingExternalId": "BONUS", "externalId": "NEWBONUS1", "status": []any{map[string]any{"status": "ProductActive"}}}}},
			status: 200, action: "product.create",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, singleCustomer), singleContract)
				p := findBy(c["product"], "externalId", "NEWBONUS1")
				require.NotNil(t, p)
				require.Len(t, p["id"], 32)
				require.Equal(t, []string{"ProductActive"}, statuses(p))
			},
		},
		{
			name: "postpaid deactivated", method: "POST",
			path:   "/bias/vivoDeactivateContract/v1/communicationId/" + familyMSISDN + "/communicationIdType/E.164",
			body:   map[string]any{"reason": "Migração"},
			status: 204, action: "contract.status",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, familyCustomer), familyContract)
				_, cur := lastTwo(t, c)
				require.Equal(t, "ContractSuspended", cur["status"])
				require.Equal(t, "Migração", cur["reason"])
			},
		},
		{
			name: "consumer added", method: "POST", path: "/bias/bssfsdSubscriptionManagement/v1/rmil-manage-consumer-list/",
			headers: []string{"ERICSSON.External-User-Id", "BKO"},
			body: map[string]any{"providerCustomerExternalId": familyCustExt, "providerContractExternalId": familyContractExt,
				"providerProductExternalId": familyProviderExt,
				"consumer":                  []any{map[string]any{"consumerContractExternalId": familyDependentExt}}},
			status: 200, action: "consumer_list.add",
			check: func(t *testing.T, s *Sim) {
				c := contractIn(t, mustDoc(t, s, familyCustomer), familyContract)
				p := findBy(c["product"], "externalId", familyProviderExt)
				list := objects(mapAt(p, "sharingProvider")["consumerList"])
				last := list[len(list)-1]
				require.Equal(t, familyDependentExt, last["consumerContractExternalId"])
				require.Equal(t, familyDependent, last["consumerContractId"], "resolved within the customer")
			},
		},
		{
			name: "client created", method: "POST", path: "/bias/vivoCreateClient/v1/customer",
			headers: []string{"ERICSSON.External-User-Id", "BKO"},
			body:    map[string]any{"externalId": "555000111", "name": "Nova"},
			status:  201, action: "customer.create",
			check: func(t *testing.T, s *Sim) {
				doc := mustDoc(t, s, "555000111")
				require.Equal(t, "Nova", doc["name"])
				require.Equal(t, []string{"CustomerActive"}, statuses(doc))
			},
		},
		{
			name: "contract deleted", method: "DELETE",
			path:   "/bae/bssfSubscriptionManagement/v1/customer/" + familyCustomer + "/contract/" + familyDependent,
			status: 204, action: "contract.delete",
			check: func(t *testing.T, s *Sim) {
				require.Nil(t, contractOf(mustDoc(t, s, familyCustomer), familyDependent))
			},
		},
		{
			name: "party terminated", method: "POST", path: "/cpm/business/v1/updateParty/party/" + singleParty,
			headers: []string{"ERICSSON.Cascade-Termination", "true"},
			body:    map[string]any{"resource": map[string]any{"statuses": []any{map[string]any{"status": "PartyTerminated"}}}},
			status:  200, action: "party.status",
			check: func(t *testing.T, s *Sim) {
				p, ok := s.Party(singleParty)
				require.True(t, ok)
				require.Equal(t, []string{"PartyActive", "PartyTerminated"}, statuses(p))
			},
		},
	}
}

func mustDoc(t testing.TB, s *Sim, id string) map[string]any {
	t.Helper()
	doc, ok := s.Document(id)
	require.True(t, ok, "customer %s", id)
	return doc
}

func TestWritesApplyOnceThenAnswerAlready(t *testing.T) {
	t.Parallel()
	for _, w := range writes() {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			s, sv := newTestSim(t, Config{}, 1)
			headers := append([]string{"Idempotency-Key", "k-1"}, w.headers...)
			a := send(t, w.method, sv.URLs[0]+w.path, w.body, headers...)
			require.Equal(t, w.status, a.status, "%s", a.body)
			w.check(t, s)
			ledger := s.Ledger()
			require.Len(t, ledger, 1)
			require.Equal(t, w.action, ledger[0].Action)
			require.Equal(t, "k-1", ledger[0].IdempotencyKey)
			require.Equal(t, w.method, ledger[0].Method)
			require.Equal(t, w.path, ledger[0].Path)
			require.Equal(t, fixedNow, ledger[0].Time)
			require.NotEmpty(t, ledger[0].Targets)

			// The same write again changes nothing and says so.
			a = send(t, w.method, sv.URLs[0]+w.path, w.body, headers...)
			require.Equal(t, http.StatusConflict, a.status, "%s", a.body)
			body := a.json(t).(map[string]any)
			require.Equal(t, "ALREADY_IN_STATE", body["code"])
			require.Contains(t, body["message"], "already")
			require.Len(t, s.Ledger(), 1, "nothing more applied")
		})
	}
}

func TestWritesRefused(t *testing.T) {
	t.Parallel()
	_, sv := newTestSim(t, Config{}, 1)
	base := sv.URLs[0]
	tests := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		code               string
	}{
		{"soft cancel of a postpaid line", "POST", "/bias/vivoUpdateContractStatus/v1/updateStatus",
			map[string]any{"communicationId": singleMSISDN, "communicationIdType": "E.164", "status": []any{map[string]any{"status": "CtrlCancelado"}}},
			nil, 422, "INVALID_TRANSITION"},
		{"unknown line", "POST", "/bias/vivoUpdateContractStatus/v1/updateStatus",
			map[string]any{"communicationId": "11999999999", "communicationIdType": "E.164", "status": []any{map[string]any{"status": "ContractActive"}}},
			nil, 404, "NOT_FOUND"},
		{"unknown status", "PATCH", "/bae/bssfSubscriptionManagement/v1/customer/" + singleCustomer + "/contract/" + singleContract,
			map[string]any{"status": []any{map[string]any{"status": "Whatever"}}}, nil, 400, "INVALID_REQUEST"},
		{"unknown product", "PATCH", "/bae/bssfSubscriptionManagement/v1/customer/" + singleCustomer + "/contract/" + singleContract,
			map[string]any{"product": []any{map[string]any{"id": "nope", "status": []any{map[string]any{"status": "ProductTerminated"}}}}}, nil, 404, "NOT_FOUND"},
		{"not JSON", "PATCH", "/bae/bssfSubscriptionManagement/v1/customer/" + singleCustomer + "/contract/" + singleContract,
			[]byte("{"), nil, 400, "INVALID_REQUEST"},
		{"create client from a bare MSISDN (the legacy flow's data)", "POST", "/bias/vivoCreateClient/v1/customer",
			singleMSISDN, []string{"ERICSSON.External-User-Id", "BKO"}, 400, "INVALID_REQUEST"},
		{"consumer list without its header", "POST", "/bias/bssfsdSubscriptionManagement/v1/rmil-manage-consumer-list/",
			map[string]any{}, nil, 400, "INVALID_REQUEST"},
		{"delete an unknown contract", "DELETE", "/bae/bssfSubscriptionManagement/v1/customer/" + singleCustomer + "/contract/nope",
			nil, nil, 404, "NOT_FOUND"},
		{"no such route", "GET", "/bias/nothing", nil, nil, 404, "NO_ROUTE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := send(t, tt.method, base+tt.path, tt.body, tt.headers...)
			require.Equal(t, tt.status, a.status, "%s", a.body)
			require.Equal(t, tt.code, a.json(t).(map[string]any)["code"])
		})
	}
}

func TestSoftCancelControlLine(t *testing.T) {
	t.Parallel()
	s := New(Config{Now: func() time.Time { return fixedNow }})
	doc := readDoc(t, "customer-enquiry-single.json")
	contractOf(doc, singleContract)["paymentContext"] = "Control"
	require.NoError(t, s.AddDocument(doc))
	h := s.Handler()
	body := `{"communicationId":"` + singleMSISDN + `","communicationIdType":"E.164","status":[{"status":"CtrlCancelado"}]}`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/bias/vivoUpdateContractStatus/v1/updateStatus", strings.NewReader(body)))
	require.Equal(t, 204, rec.Code, rec.Body.String())
	c := contractIn(t, mustDoc(t, s, singleCustomer), singleContract)
	require.Equal(t, []string{"ContractActive", "CtrlCancelado"}, statuses(c))

	// A deleted contract's line is gone from the enquiry, and deleting it
	// again answers already.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("DELETE", "/bae/bssfSubscriptionManagement/v1/customer/"+singleCustomer+"/contract/"+singleContract, nil))
	require.Equal(t, 204, rec.Code)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", enquiryPath+"?communicationIdType=E.164&communicationId=55"+singleMSISDN, nil))
	require.JSONEq(t, `[]`, rec.Body.String())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/cpm/business/v1/readContract/customer/"+singleCustomer+"/contract/"+singleContract, nil))
	require.Equal(t, 404, rec.Code)
}
