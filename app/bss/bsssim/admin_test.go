package bsssim

import (
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdminEndpoints(t *testing.T) {
	t.Parallel()
	s, sv := newTestSim(t, Config{}, 1)
	base := sv.URLs[0]

	// Faults: add one over HTTP; it hits; list it; remove it.
	a := send(t, "POST", base+"/_sim/faults", map[string]any{
		"kind": "rate_limit", "path": "/bias/**", "retry_after": "3s", "times": 1,
	})
	require.Equal(t, 201, a.status, "%s", a.body)
	fault := a.json(t).(map[string]any)
	require.Equal(t, "3s", fault["retry_after"])
	id := strconv.Itoa(int(fault["id"].(float64)))
	got := send(t, "GET", base+enquiryPath+"?customerId="+singleCustomer, nil)
	require.Equal(t, 429, got.status)
	require.Equal(t, "3", got.header.Get("Retry-After"))
	list := send(t, "GET", base+"/_sim/faults", nil).json(t).([]any)
	require.Len(t, list, 1)
	require.Equal(t, 1.0, list[0].(map[string]any)["hits"])
	require.Equal(t, 204, send(t, "DELETE", base+"/_sim/faults/"+id, nil).status)
	require.Equal(t, 404, send(t, "DELETE", base+"/_sim/faults/"+id, nil).status)
	require.Equal(t, 400, send(t, "POST", base+"/_sim/faults", map[string]any{"kind": "latency"}).status, "a latency needs a latency")
	require.Empty(t, s.Faults())

	// Faults never hit the admin endpoints.
	_, err := s.AddFault(Fault{Kind: FaultOutage})
	require.NoError(t, err)
	require.Equal(t, 200, send(t, "GET", base+"/_sim/health", nil).status)
	require.Equal(t, 204, send(t, "DELETE", base+"/_sim/faults", nil).status)

	// Ledger and request log.
	method, url, body := suspend(base)
	require.Equal(t, 200, send(t, method, url, body, "Idempotency-Key", "k9").status)
	ledger := send(t, "GET", base+"/_sim/ledger?action=contract.status&key=contract_id&value="+singleContract, nil).json(t).([]any)
	require.Len(t, ledger, 1)
	require.Equal(t, "k9", ledger[0].(map[string]any)["idempotency_key"])
	require.Equal(t, []any{}, send(t, "GET", base+"/_sim/ledger?action=contract.delete", nil).json(t))
	require.Equal(t, 204, send(t, "DELETE", base+"/_sim/ledger", nil).status)
	require.Empty(t, s.Ledger())
	require.NotEmpty(t, send(t, "GET", base+"/_sim/requests", nil).json(t))

	// Documents: list, get, delete, load.
	ids := send(t, "GET", base+"/_sim/documents", nil).json(t)
	require.Equal(t, []any{singleCustomer, familyCustomer}, ids)
	doc := send(t, "GET", base+"/_sim/documents/"+singleCustomer, nil).json(t).(map[string]any)
	require.Equal(t, singleCustExt, doc["externalId"])
	require.Equal(t, 204, send(t, "DELETE", base+"/_sim/documents/"+singleCustomer, nil).status)
	require.Equal(t, 404, send(t, "GET", base+"/_sim/documents/"+singleCustomer, nil).status)
	raw, err := os.ReadFile("testdata/customer-enquiry-single.json")
	require.NoError(t, err)
	rep := send(t, "POST", base+"/_sim/documents", raw).json(t).(map[string]any)
	require.Equal(t, 1.0, rep["added"])
	require.Equal(t, 200, send(t, "GET", base+"/_sim/documents/"+singleCustExt, nil).status, "by external id too")
	require.Equal(t, 200, send(t, "GET", base+"/_sim/parties/"+singleParty, nil).status)
}

func TestAuthOnBSSRoutes(t *testing.T) {
	t.Parallel()
	s := New(Config{BearerToken: "tok"})
	require.NoError(t, s.AddDocument(readDoc(t, "customer-enquiry-single.json")))
	h := s.Handler()
	rec := httptestRecorder()
	h.ServeHTTP(rec, newRequest(t, "GET", enquiryPath+"?customerId="+singleCustomer, nil))
	require.Equal(t, 401, rec.Code)
	rec = httptestRecorder()
	h.ServeHTTP(rec, newRequest(t, "GET", enquiryPath+"?customerId="+singleCustomer, nil, "Authorization", "Bearer tok"))
	require.Equal(t, 200, rec.Code)
	rec = httptestRecorder()
	h.ServeHTTP(rec, newRequest(t, "GET", "/_sim/health", nil))
	require.Equal(t, 200, rec.Code, "admin endpoints need no credentials")
}
