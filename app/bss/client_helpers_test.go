package bss_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

// Ids in testdata/customer-enquiry-single.json and -family.json.
const (
	singleCustomer  = "A4C123B1612DD272D1371C17149D4395"
	singleContract  = "928B5B7A767C76FB008F86BEBB2737F6"
	singleContractX = "4728038528"
	singleMSISDN    = "79584924337"
	singleParty     = "8A981A049D7CCC7E90A88D519448FB2F"
	singleProduct   = "702824C1C099724CAF4941D4072014B3"

	familyCustomer    = "EEE65F53E9421CE50211670EAE679F02"
	familyCustExt     = "746814538"
	familyContract    = "2F29A422EB14AB2F2D0F0CC022238DAC"
	familyContractExt = "9777818804"
	familyMSISDN      = "85626321547"
	familyProviderExt = "PRVMV8315505696395"
	familyDependentX  = "727386610"
	familyDependentL  = "37648176649"
	familyTermProdExt = "SP_4686445525392"
)

// fixture is a simulator on some clusters and a client of it.
type fixture struct {
	sim     *bsssim.Sim
	servers *bsssim.Servers
	client  *bss.Client
	cat     *bss.Catalogue
}

type fixtureOptions struct {
	clusters int
	sim      bsssim.Config
	// system adjusts each system's config; nil keeps the test defaults.
	system func(*bss.SystemConfig)
	config func(*bss.Config)
	// control makes the single customer's line a Control line.
	control bool
	start   bsssim.StartOptions
}

// newFixture serves both example customers and configures bias, bae and
// cpm on the same clusters, with a generous rate so tests are not paced.
func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	sim := bsssim.New(o.sim)
	single := readJSON(t, "customer-enquiry-single.json")
	if o.control {
		for _, c := range single["contract"].([]any) {
			c.(map[string]any)["paymentContext"] = "Control"
		}
	}
	require.NoError(t, sim.AddDocument(single))
	require.NoError(t, sim.AddDocument(readJSON(t, "customer-enquiry-family.json")))
	start := o.start
	start.Clusters = max(o.clusters, 1)
	servers, err := sim.Start(start)
	require.NoError(t, err)
	t.Cleanup(func() { _ = servers.Close() })
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	sc := bss.SystemConfig{Clusters: servers.URLs, Timeout: 2 * time.Second, Rate: 10_000, Burst: 100, MaxInFlight: 32}
	if o.system != nil {
		o.system(&sc)
	}
	cfg := bss.Config{
		Systems: map[string]bss.SystemConfig{"bias": sc, "bae": sc, "cpm": sc},
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if o.config != nil {
		o.config(&cfg)
	}
	client, err := bss.NewClient(cat, cfg)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return &fixture{sim: sim, servers: servers, client: client, cat: cat}
}

func readJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	doc := map[string]any{}
	require.NoError(t, json.Unmarshal(b, &doc))
	return doc
}

// call resolves and does a call, failing the test on resolution errors.
func (f *fixture) call(t testing.TB, method string, args map[string]any) bss.Result {
	t.Helper()
	res, err := f.client.Call(t.Context(), method, args, "key-"+method)
	require.NoError(t, err)
	return res
}

// requestsTo counts the requests a cluster received on BSS routes.
func (f *fixture) requestsTo(cluster int) int {
	n := 0
	for _, r := range f.sim.Requests() {
		if r.Cluster == cluster {
			n++
		}
	}
	return n
}

func suspendArgs() map[string]any {
	return map[string]any{"customer_id": singleCustomer, "contract_id": singleContract, "status": "ContractSuspended"}
}
