package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/kg"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// The fault kind a fix flow of app/executions/testdata/repair-flows.yaml
// repairs, and that flow.
const (
	repairable  = gen.ActiveProductInTerminatedContract
	repairFlow  = "Terminate_Orphan_Products"
	repairFlows = "../app/executions/testdata/repair-flows.yaml"
)

// TestTheWholeMission runs what PFF is for, through the API of one `pff
// serve` with its job workers, as operators would: generated records of
// production size with faults go in as one ZIP and are validated; the graph
// is built, a (tiny) model trained, activated and asked for predictions; a
// fix flow repairs the rejected customers' lines in the simulated BSS; the
// corrected documents are ingested again, and exactly the repaired records
// change from REJECT to accepted.
func TestTheWholeMission(t *testing.T) {
	t.Parallel()

	// 24 customers, a quarter with a fault of some kind, and two clean ones
	// given the fault a flow repairs.
	recs, err := gen.Generate(gen.Config{N: 24, Seed: 14, FaultRate: 0.25})
	require.NoError(t, err)
	injected := 0
	for i := range recs {
		if injected == 2 || len(recs[i].Faults) > 0 {
			continue
		}
		doc, label, err := gen.Inject(recs[i].Doc, repairable, 1, time.Now())
		if err != nil {
			continue // a customer without a terminated contract to spoil
		}
		recs[i].Doc, recs[i].Faults = doc, []gen.Label{label}
		injected++
	}
	require.Equal(t, 2, injected)
	byCustomer := map[string]gen.Record{}
	for _, r := range recs {
		byCustomer[r.CustomerID] = r
	}

	// The BSS holds the same customers.
	sim := bsssim.New(bsssim.Config{Seed: 1})
	for _, r := range recs {
		require.NoError(t, sim.AddJSON(r.Doc))
	}
	servers, err := sim.Start(bsssim.StartOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = servers.Close() })

	addr := testkit.FreeAddr(t)
	p := start(t, addr, serveEnv(storetest.NewDatabase(t), addr, servers), "serve")
	ops := login(t, p.url, adminName, adminPassword)

	// 1. Upload one ZIP; every record is stored and validated.
	code, body := ops.do(http.MethodPost, "/api/v1/records?name=enquiries.zip", "application/zip", bytes.NewReader(zipOf(t, recs)))
	require.Equal(t, http.StatusOK, code, string(body))
	var uploaded records.Result
	require.NoError(t, json.Unmarshal(body, &uploaded))
	require.Equal(t, len(recs), uploaded.Inserted, string(body))
	require.Empty(t, uploaded.Rejected)
	stats := ops.waitValidated(int64(len(recs)), 2*time.Minute)
	t.Logf("validated %d records: %v", stats.Records, stats.Decisions)

	// Clean records are accepted; the repairable fault is rejected.
	rejected := map[string]store.Record{}
	for _, r := range ops.records("") {
		want := byCustomer[r.CustomerID]
		require.NotNil(t, r.Decision)
		switch {
		case len(want.Faults) == 0:
			require.Equal(t, string(validation.Accept), *r.Decision, "clean record %s", r.CustomerID)
		case want.Faults[0].Kind == repairable:
			require.Equal(t, string(validation.Reject), *r.Decision, "record %s with %s", r.CustomerID, repairable)
		}
		if *r.Decision == string(validation.Reject) {
			rejected[r.CustomerID] = r
		}
	}

	// 2. Build the graph, train a tiny model, activate it.
	var queued learn.Queued
	ops.json(http.MethodPost, "/api/v1/kg/build", nil, http.StatusAccepted, &queued)
	ops.waitJob(queued.JobID, 2*time.Minute)
	var kgStats store.KGStats
	ops.get("/api/v1/kg/stats", &kgStats)
	require.Equal(t, len(recs), kgStats.Build.Records)

	ops.json(http.MethodPost, "/api/v1/models", map[string]any{"dim": 16, "epochs": 5, "eval_every": -1, "seed": 1}, http.StatusAccepted, &queued)
	ops.waitJob(queued.JobID, 3*time.Minute)
	var models []store.Model
	ops.get("/api/v1/models", &models)
	require.Len(t, models, 1)
	version := models[0].Version
	require.Equal(t, store.ModelReady, models[0].State)

	// The quality gate measures the model on held-out records; a model of
	// five epochs on 24 records may fail it, and an admin then forces it
	// (audited), which is what this test does.
	var act learn.Activation
	code, body = ops.do(http.MethodPost, "/api/v1/models/"+version+"/activate", "", nil)
	if code == http.StatusConflict {
		require.Contains(t, string(body), "quality_gate")
		t.Logf("the tiny model failed its quality gate (%s); activated with force, as an admin would", body)
		ops.json(http.MethodPost, "/api/v1/models/"+version+"/activate", map[string]bool{"force": true}, http.StatusOK, &act)
		require.True(t, act.Forced)
	} else {
		require.Equal(t, http.StatusOK, code, string(body))
		require.NoError(t, json.Unmarshal(body, &act))
	}
	require.Equal(t, store.ModelActive, act.Model.State)

	// 3. Predict: a stored fact is scored, and completed by other values.
	var triples struct {
		Triples []kg.Triple `json:"triples"`
	}
	someone := ops.records("decision=ACCEPT")[0]
	ops.get(fmt.Sprintf("/api/v1/records/%d/triples", someone.ID), &triples)
	i := slices.IndexFunc(triples.Triples, func(t kg.Triple) bool { return t.Predicate == kg.PredStatus })
	require.GreaterOrEqual(t, i, 0)
	fact := triples.Triples[i]
	var scored learn.ScoreResult
	ops.json(http.MethodPost, "/api/v1/predict/score", map[string]any{"triples": []map[string]string{
		{"head": fact.Subject, "relation": fact.Predicate, "tail": fact.Object}}}, http.StatusOK, &scored)
	require.Equal(t, version, scored.Model)
	require.Len(t, scored.Triples, 1)
	require.InDelta(t, 0.5, scored.Triples[0].Probability, 0.5)
	var tails learn.Completion
	ops.get("/api/v1/predict/tail?"+url.Values{"head": {fact.Subject}, "relation": {fact.Predicate}, "k": {"3"}}.Encode(), &tails)
	require.NotEmpty(t, tails.Candidates)

	// 4. Repair: the flow file is uploaded and activated, and the flow runs
	// on the line of every rejected customer's terminated contract that
	// still has active products, against the simulated BSS.
	flowFile, err := os.ReadFile(repairFlows)
	require.NoError(t, err)
	var created knowledge.Created
	ops.json(http.MethodPost, "/api/v1/flows", knowledge.CreateRequest{Name: "repairs", Content: string(flowFile)}, http.StatusCreated, &created)
	ops.json(http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/activate", created.ID), nil, http.StatusOK, nil)

	var lines []map[string]string
	toRepair := map[string]bool{}
	for customer, r := range rejected {
		var rep store.Report
		ops.get(fmt.Sprintf("/api/v1/records/%d/report", r.ID), &rep)
		var report validation.Report
		require.NoError(t, json.Unmarshal(rep.Report, &report))
		for _, v := range report.Violations {
			if v.Category != string(repairable) {
				continue
			}
			msisdn := contractMSISDN(t, byCustomer[customer].Doc, v.Pointers[0])
			require.NotEmpty(t, msisdn, "the terminated contract at %s of %s has an MSISDN", v.Pointers[0], customer)
			lines = append(lines, map[string]string{"msisdn": msisdn})
			toRepair[customer] = true
		}
	}
	require.GreaterOrEqual(t, len(toRepair), 2, "the two injected faults at least")
	var exec store.Execution
	ops.json(http.MethodPost, "/api/v1/executions", map[string]any{"flow": repairFlow, "lines": lines}, http.StatusCreated, &exec)
	deadline := time.Now().Add(2 * time.Minute)
	for !exec.Final() {
		require.True(t, time.Now().Before(deadline), "execution %d still %s", exec.ID, exec.State)
		time.Sleep(100 * time.Millisecond)
		ops.get(fmt.Sprintf("/api/v1/executions/%d", exec.ID), &exec)
	}
	require.Equal(t, store.ExecSucceeded, exec.State)
	var done page[store.Line]
	ops.get(fmt.Sprintf("/api/v1/executions/%d/lines?limit=200", exec.ID), &done)
	require.Len(t, done.Items, len(lines))
	for _, l := range done.Items {
		require.Equal(t, store.LineSucceeded, l.State, "line %s: %s %s", l.MSISDN, l.ErrorCode, l.ErrorMessage)
		require.Positive(t, l.Writes, "line %s: %s", l.MSISDN, l.Observations)
	}

	// 5. The BSS's documents of the rejected customers, repaired or not,
	// are ingested again.
	var ndjson bytes.Buffer
	for customer := range rejected {
		doc, ok := sim.DocumentJSON(customer)
		require.True(t, ok)
		require.NoError(t, json.Compact(&ndjson, doc))
		ndjson.WriteByte('\n')
	}
	code, body = ops.do(http.MethodPost, "/api/v1/records?name=corrected.ndjson", "application/x-ndjson", &ndjson)
	require.Equal(t, http.StatusOK, code, string(body))
	var again records.Result
	require.NoError(t, json.Unmarshal(body, &again))
	require.GreaterOrEqual(t, again.Updated, len(toRepair), string(body))
	require.Zero(t, again.Inserted)
	ops.waitValidated(int64(len(recs)), 2*time.Minute)

	// Exactly the repaired records are no longer rejected: accepted, or
	// held for review by nothing but the model's doubts (it never rejects
	// on its own); the others are still rejected, for their other faults.
	for customer, before := range rejected {
		now := ops.records("customer_id=" + url.QueryEscape(customer))
		require.Len(t, now, 1)
		r := now[0]
		if !toRepair[customer] {
			require.Equal(t, string(validation.Reject), *r.Decision, "%s was not repaired", customer)
			continue
		}
		require.NotEqual(t, before.ID, r.ID, "a new version of %s", customer)
		var rep store.Report
		ops.get(fmt.Sprintf("/api/v1/records/%d/report", r.ID), &rep)
		var report validation.Report
		require.NoError(t, json.Unmarshal(rep.Report, &report))
		require.NotEqual(t, validation.Reject, report.Decision, "%s repaired: %s", customer, report.Text())
		for _, v := range report.Violations {
			require.Equal(t, validation.SourceModel, v.Source, "%s repaired, only the model may doubt: %s", customer, report.Text())
		}
		require.Equal(t, version, report.Versions.Model, "judged with the active model")
	}
	var after store.RecordStats
	ops.get("/api/v1/stats", &after)
	require.Equal(t, stats.Decisions[string(validation.Reject)]-int64(len(toRepair)), after.Decisions[string(validation.Reject)])
	t.Logf("after the repair: %v (repaired %d of %d rejected)", after.Decisions, len(toRepair), len(rejected))
}

// contractMSISDN is the national MSISDN of the contract a JSON pointer into
// a customer document lies in (/contract/N/...).
func contractMSISDN(t *testing.T, doc []byte, pointer string) string {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	require.GreaterOrEqual(t, len(parts), 2, pointer)
	require.Equal(t, "contract", parts[0], pointer)
	n, err := strconv.Atoi(parts[1])
	require.NoError(t, err)
	var root struct {
		Contract []struct {
			Resource []map[string]any `json:"resource"`
		} `json:"contract"`
	}
	require.NoError(t, json.Unmarshal(doc, &root))
	require.Less(t, n, len(root.Contract))
	for _, res := range root.Contract[n].Resource {
		if res["resourceSpecificationExternalId"] == bss.MSISDNSpec {
			num, _ := res["resourceNumber"].(string)
			if msisdn, err := bss.NationalMSISDN(num); err == nil {
				return msisdn
			}
		}
	}
	return ""
}
