package bsssim

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
)

func TestAddGenerated(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	seeded, err := s.AddGenerated(gen.Config{N: 20, Seed: 3, FaultRate: 0.2, Compact: true})
	require.NoError(t, err)
	require.Len(t, seeded, 20)
	faulty := 0
	sv, err := s.Start(StartOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sv.Close() })
	for _, rec := range seeded {
		faulty += len(rec.Faults)
		require.Len(t, rec.MSISDN, 11, "national form")
		a := send(t, "GET", sv.URLs[0]+enquiryPath+"?communicationIdType=E.164&includeTerminatedContracts=true&communicationId=55"+rec.MSISDN, nil)
		require.Equal(t, 200, a.status)
		doc, isObject := a.json(t).(map[string]any)
		if !isObject {
			// A fault may have broken the line's MSISDN resource itself.
			require.NotEmpty(t, rec.Faults, "a clean record's line is found")
			continue
		}
		require.Equal(t, rec.CustomerID, doc["id"])
	}
	require.Equal(t, 4, faulty)
}

func TestLoadPathsAndReingest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	single, err := os.ReadFile("testdata/customer-enquiry-single.json")
	require.NoError(t, err)
	family, err := os.ReadFile("testdata/customer-enquiry-family.json")
	require.NoError(t, err)

	// A ZIP holding one document and an NDJSON file holding the other.
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	f, err := zw.Create("customer_enquiry_5579584924337.txt")
	require.NoError(t, err)
	_, err = f.Write(single)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.zip"), zbuf.Bytes(), 0o600))
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, family))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.ndjson"), append(compact.Bytes(), []byte("\n{not json}\n")...), 0o600))

	s := New(Config{})
	rep, err := s.LoadPaths(t.Context(), dir)
	require.NoError(t, err)
	require.Equal(t, 2, rep.Added)
	require.Len(t, rep.Rejected, 1, "the bad line is rejected, the rest loads")
	require.ElementsMatch(t, []string{singleCustomer, familyCustomer}, s.CustomerIDs())

	// Change something, then carry the current document to a new simulator
	// as a corrected record would be re-ingested.
	rec := httptestRecorder()
	s.Handler().ServeHTTP(rec, newRequest(t, "PATCH",
		"/bae/bssfSubscriptionManagement/v1/customer/"+singleCustomer+"/contract/"+singleContract,
		map[string]any{"status": []any{map[string]any{"status": "ContractSuspended"}}}))
	require.Equal(t, 200, rec.Code)
	b, ok := s.DocumentJSON(singleCustomer)
	require.True(t, ok)
	again := New(Config{})
	rep, err = again.Load(t.Context(), bytes.NewReader(b), "corrected.json", "")
	require.NoError(t, err)
	require.Equal(t, 1, rep.Added)
	doc := mustDoc(t, again, singleCustomer)
	require.Equal(t, []string{"ContractActive", "ContractSuspended"}, statuses(contractIn(t, doc, singleContract)))
}

func TestAddDocumentRejects(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	require.ErrorContains(t, s.AddJSON([]byte(`{"externalId":"1"}`)), `no "id"`)
	require.ErrorContains(t, s.AddJSON([]byte(`[1]`)), "document")
	require.ErrorContains(t, s.AddJSON([]byte(`{"id":"x","contract":{}}`)), "contract is not a list")
	require.ErrorContains(t, s.AddParty(map[string]any{"id": "p"}), "externalId")
}
