package executions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/store"
)

// TestFlowThroughputAgainstPlainGo measures fix-flow throughput as a ratio
// against a plain Go program that makes the same calls to the same
// simulator with the same concurrency, in the same run: a 6-read flow and a
// 3-read-3-write flow, with the simulator answering at once and after
// 20 ms. Rounds interleave the two, in turn first. It also reports the
// engine's own time per step (a step's time less BSS's and retry waits:
// the journal, expressions, templates) and per line (claim and end).
//
// It runs only when PFF_BENCH_FLOWS is set; scripts/bench-flows.sh runs it
// and records the date, commit and load. PFF_BENCH_LINES (default 300),
// PFF_BENCH_ROUNDS (3) and PFF_BENCH_CONCURRENCY (16) size it.
func TestFlowThroughputAgainstPlainGo(t *testing.T) {
	if os.Getenv("PFF_BENCH_FLOWS") == "" {
		t.Skip("a benchmark: PFF_BENCH_FLOWS=1 (scripts/bench-flows.sh) runs it")
	}
	n := envInt(t, "PFF_BENCH_LINES", 300)
	rounds := envInt(t, "PFF_BENCH_ROUNDS", 3)
	concurrency := envInt(t, "PFF_BENCH_CONCURRENCY", 16)

	timings := &stepTimings{}
	b := newBench(t, benchConfig{workers: concurrency, engine: func(c *executions.EngineConfig) { c.Observe = timings.add }})
	b.uploadFile("fix", "testdata/fix-flows.yaml")
	plain := &plainProgram{base: b.servers.URLs[0], concurrency: concurrency,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}}}

	type config struct {
		flow    string
		latency time.Duration
	}
	configs := []config{{"Six_Reads", 0}, {"Six_Reads", 20 * time.Millisecond},
		{"Three_Reads_Three_Writes", 0}, {"Three_Reads_Three_Writes", 20 * time.Millisecond}}
	type result struct{ pff, plain []float64 }
	results := make([]result, len(configs))
	own := make([]*stepTimings, len(configs))
	next := 0 // synthetic lines are fresh for every run: writes change them
	for round := range rounds {
		for i, c := range configs {
			b.sim.ClearFaults()
			if c.latency > 0 {
				_, err := b.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultLatency, Latency: c.latency})
				require.NoError(t, err)
			}
			runPFF := func() {
				lines := addSynthLines(t, b.sim, next, n)
				next += n
				timings.reset()
				start := time.Now()
				e := b.start(executions.StartRequest{Flow: c.flow, Lines: synthInputs(lines)})
				if e.State == store.ExecAwaitingApproval {
					_, err := b.svc.Approve(context.Background(), e.ID, "user:bob")
					require.NoError(t, err)
				}
				e = b.wait(e.ID, 10*time.Minute)
				took := time.Since(start)
				require.Equal(t, store.ExecSucceeded, e.State)
				results[i].pff = append(results[i].pff, float64(n)/took.Seconds())
				t.Log(lineDurations(b.lines(e.ID), start, took, concurrency))
				if own[i] == nil {
					own[i] = &stepTimings{}
				}
				own[i].merge(timings)
			}
			runPlain := func() {
				lines := addSynthLines(t, b.sim, next, n)
				next += n
				took := plain.run(t, c.flow, lines)
				results[i].plain = append(results[i].plain, float64(n)/took.Seconds())
			}
			if (round+i)%2 == 0 {
				runPFF()
				runPlain()
			} else {
				runPlain()
				runPFF()
			}
			t.Logf("round %d %s %v: PFF %.0f lines/s, plain %.0f lines/s (load %s)", round+1, c.flow, c.latency,
				results[i].pff[round], results[i].plain[round], loadAverage())
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "\n%d lines a run, %d rounds, concurrency %d (PFF job workers, plain goroutines)\n\n", n, rounds, concurrency)
	out.WriteString("| flow | BSS latency | PFF lines/s | plain Go lines/s | PFF / plain | engine's own time per step, p50 / p99 | per line: claim; end, p50 / p99 |\n")
	out.WriteString("|---|---|---|---|---|---|---|\n")
	for i, c := range configs {
		ratios := make([]float64, rounds)
		for r := range rounds {
			ratios[r] = results[i].pff[r] / results[i].plain[r]
		}
		fmt.Fprintf(&out, "| %s | %v | %s | %s | %s | %s | %s; %s |\n", c.flow, c.latency,
			spread(results[i].pff, "%.0f"), spread(results[i].plain, "%.0f"), spread(ratios, "%.2f"),
			own[i].percentiles("step"), own[i].percentiles("claim"), own[i].percentiles("finish"))
	}
	t.Log(out.String())
}

// lineDurations says where a PFF run's time went: the lines' own time
// (claim to end), the wait for the first line to start, and how busy the
// workers were.
func lineDurations(lines []store.Line, start time.Time, took time.Duration, workers int) string {
	var busy time.Duration
	var ds []time.Duration
	first := start.Add(took)
	for _, l := range lines {
		if l.StartedAt == nil || l.FinishedAt == nil {
			continue
		}
		d := l.FinishedAt.Sub(*l.StartedAt)
		ds = append(ds, d)
		busy += d
		if l.StartedAt.Before(first) {
			first = *l.StartedAt
		}
	}
	if len(ds) == 0 {
		return "no line ran"
	}
	slices.Sort(ds)
	return fmt.Sprintf("PFF lines took p50 %v, p99 %v from claim to end; the first started %v after the start; workers busy %.0f%%",
		ds[len(ds)/2].Round(time.Millisecond), ds[len(ds)*99/100].Round(time.Millisecond), first.Sub(start).Round(time.Millisecond),
		100*busy.Seconds()/(took.Seconds()*float64(workers)))
}

// loadAverage is the 1-minute load average, or "?".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return "?"
	}
	return fields[0]
}

// spread writes the median of xs and their range.
func spread(xs []float64, format string) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	return fmt.Sprintf(format+" ("+format+"–"+format+")", s[len(s)/2], s[0], s[len(s)-1])
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, name)
	return n
}

// stepTimings collects the engine's own time: per step, and per line its
// claim and its end.
type stepTimings struct {
	mu  sync.Mutex
	own map[string][]time.Duration // "step", "claim", "finish"
}

func (s *stepTimings) add(t executions.StepTiming) {
	key := t.Kind
	if t.Kind == "line" {
		key = t.Method
	}
	s.addOwn(key, t.Own())
}

func (s *stepTimings) addOwn(key string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.own == nil {
		s.own = map[string][]time.Duration{}
	}
	s.own[key] = append(s.own[key], d)
}

func (s *stepTimings) reset() {
	s.mu.Lock()
	s.own = nil
	s.mu.Unlock()
}

func (s *stepTimings) merge(o *stepTimings) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for key, ds := range o.own {
		for _, d := range ds {
			s.addOwn(key, d)
		}
	}
}

// percentiles writes the p50 and p99 of a key.
func (s *stepTimings) percentiles(key string) string {
	s.mu.Lock()
	ds := slices.Clone(s.own[key])
	s.mu.Unlock()
	if len(ds) == 0 {
		return "–"
	}
	slices.Sort(ds)
	round := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	return fmt.Sprintf("%v / %v", round(ds[len(ds)/2]), round(ds[len(ds)*99/100]))
}

// plainProgram makes a flow's calls with net/http, as a program written
// for the one job would: no journal, no retries, keep-alive connections.
type plainProgram struct {
	base        string
	concurrency int
	http        *http.Client
}

func (p *plainProgram) run(t *testing.T, flow string, lines []synthLine) time.Duration {
	t.Helper()
	work := make(chan synthLine)
	errs := make(chan error, p.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for range p.concurrency {
		wg.Go(func() {
			for l := range work {
				var err error
				if flow == "Six_Reads" {
					err = p.sixReads(l)
				} else {
					err = p.threeReadsThreeWrites(l)
				}
				if err != nil {
					errs <- err
					for range work {
					}
					return
				}
			}
		})
	}
	for _, l := range lines {
		work <- l
	}
	close(work)
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	return took
}

func (p *plainProgram) enquiry(l synthLine) (map[string]any, error) {
	q := url.Values{"includeTerminatedContracts": {"true"}, "includeContracts": {"true"},
		"communicationIdType": {"E.164"}, "communicationId": {"55" + l.MSISDN}}
	var doc map[string]any
	err := p.call(http.MethodGet, "/bias/bssfsdCustomerEnquiry/v1/customer?"+q.Encode(), nil, &doc)
	return doc, err
}

// ids are what the flows read from the enquiry to make their next calls.
func ids(doc map[string]any) (customer, contract, contractExt, product string) {
	customer, _ = doc["id"].(string)
	contracts, _ := doc["contract"].([]any)
	c, _ := contracts[0].(map[string]any)
	contract, _ = c["id"].(string)
	contractExt, _ = c["externalId"].(string)
	products, _ := c["product"].([]any)
	pr, _ := products[0].(map[string]any)
	product, _ = pr["id"].(string)
	return customer, contract, contractExt, product
}

func (p *plainProgram) sixReads(l synthLine) error {
	doc, err := p.enquiry(l)
	if err != nil {
		return err
	}
	customer, contract, contractExt, _ := ids(doc)
	var v any
	for _, path := range []string{
		"/bias/bssfsdCustomerEnquiry/v1/customer?customerId=" + url.QueryEscape(customer),
		"/cpm/business/v1/readContract/customer/" + customer + "/contract/" + contract + "?validAt=*",
		"/bae/bssfIndividualPartyEnquiry/v1/individualParty/?externalId=" + url.QueryEscape("userPartyExternalId_"+contractExt),
		"/cpm/business/v1/readContract/customer/" + customer + "/contract/" + contract + "?validAt=*",
	} {
		if err := p.call(http.MethodGet, path, nil, &v); err != nil {
			return err
		}
	}
	_, err = p.enquiry(l)
	return err
}

func (p *plainProgram) threeReadsThreeWrites(l synthLine) error {
	doc, err := p.enquiry(l)
	if err != nil {
		return err
	}
	customer, contract, contractExt, product := ids(doc)
	contractPath := "/bae/bssfSubscriptionManagement/v1/customer/" + customer + "/contract/" + contract
	var v any
	steps := []struct {
		method, path string
		body         any
	}{
		{http.MethodPatch, contractPath, map[string]any{"status": []any{map[string]any{"status": "ContractSuspended"}}}},
		{http.MethodGet, "/cpm/business/v1/readContract/customer/" + customer + "/contract/" + contract + "?validAt=*", nil},
		{http.MethodPatch, contractPath, map[string]any{"product": []any{map[string]any{"id": product,
			"status": []any{map[string]any{"status": "ProductTerminated"}}}}}},
		{http.MethodGet, "/bae/bssfIndividualPartyEnquiry/v1/individualParty/?externalId=" + url.QueryEscape("userPartyExternalId_"+contractExt), nil},
		{http.MethodPost, "/bias/vivoActivateProduct/v1/communicationId/" + l.MSISDN + "/communicationIdType/E.164",
			map[string]any{"product": []any{map[string]any{"productOfferingExternalId": "BONUS", "externalId": "BONUS-" + l.MSISDN,
				"status": []any{map[string]any{"status": "ProductActive"}}}}}},
	}
	for _, s := range steps {
		if err := p.call(s.method, s.path, s.body, &v); err != nil {
			return err
		}
	}
	return nil
}

// call makes one request and decodes its JSON answer, as PFF's client does.
func (p *plainProgram) call(method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, p.base+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}
