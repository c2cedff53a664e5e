// Command loadbench sends PFF's API a fixed rate of mixed traffic for a
// fixed time, with vegeta as a library, and reports throughput, p50, p99
// and errors per kind of request: logins, record reads (a record, a page of
// records), report reads, predictions (a score and a completion) and
// uploads (one new generated record of production size each). Requests go
// round-robin to every API given, as a load balancer in front of replicas
// would send them. scripts/bench-load.sh sets up the database and the
// processes and runs it.
//
//	go run ./scripts/loadbench -api http://127.0.0.1:18380,http://127.0.0.1:18381 \
//	    -user load -password '...' -rate 100 -duration 30s
//
// It exits 1 when a request failed or the reads' p99 is over -read-p99.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/pff/pff/app/gen"
)

// kind is one kind of request of the mix, with its share.
type kind struct {
	name   string
	weight int
	// read says its latency counts towards the reads' p99.
	read bool
	make func(n uint64, base string, t *vegeta.Target) error
}

func main() {
	var (
		apis     = flag.String("api", "http://127.0.0.1:8000", "comma-separated base `URLs` of the API replicas")
		user     = flag.String("user", "", "`username` of an admin to log in as")
		password = flag.String("password", "", "its `password`")
		rate     = flag.Int("rate", 50, "requests per `second`, all kinds together")
		duration = flag.Duration("duration", 30*time.Second, "how long to send them")
		uploads  = flag.Int("uploads", 0, "generated records to upload from (default: as many as the run sends)")
		seed     = flag.Uint64("seed", 77, "seed of the uploaded records (another than the corpus's)")
		readP99  = flag.Duration("read-p99", 100*time.Millisecond, "the reads' p99 to stay under")
		asJSON   = flag.Bool("json", false, "print the metrics as JSON too")
	)
	flag.Parse()
	if err := run(strings.Split(*apis, ","), *user, *password, *rate, *duration, *uploads, *seed, *readP99, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}

func run(apis []string, user, password string, rate int, duration time.Duration, uploads int, seed uint64, readP99 time.Duration, asJSON bool) error {
	login, err := json.Marshal(map[string]string{"username": user, "password": password})
	if err != nil {
		return err
	}
	// Setting up is a few requests; a server that does not answer them
	// in a minute will not sustain a load either.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	token, err := signIn(ctx, apis[0], login)
	if err != nil {
		return err
	}
	auth := http.Header{"Authorization": {"Bearer " + token}}
	ids, fact, err := corpus(ctx, apis[0], auth)
	if err != nil {
		return err
	}

	// The mix: mostly reads, as operators and dashboards make them.
	kinds := []kind{
		{name: "login", weight: 2, make: func(_ uint64, base string, t *vegeta.Target) error {
			t.Method, t.URL, t.Body = http.MethodPost, base+"/api/v1/auth/login", login
			t.Header = http.Header{"Content-Type": {"application/json"}}
			return nil
		}},
		{name: "record read", weight: 40, read: true, make: func(n uint64, base string, t *vegeta.Target) error {
			if n%4 == 0 {
				t.URL = base + "/api/v1/records?limit=20"
			} else {
				t.URL = fmt.Sprintf("%s/api/v1/records/%d", base, ids[n%uint64(len(ids))])
			}
			return nil
		}},
		{name: "report read", weight: 30, read: true, make: func(n uint64, base string, t *vegeta.Target) error {
			t.URL = fmt.Sprintf("%s/api/v1/records/%d/report", base, ids[n%uint64(len(ids))])
			return nil
		}},
		{name: "prediction", weight: 20, make: func(n uint64, base string, t *vegeta.Target) error {
			if n%2 == 0 {
				t.URL = base + "/api/v1/predict/tail?" + url.Values{"head": {fact[0]}, "relation": {fact[1]}, "k": {"5"}}.Encode()
				return nil
			}
			body, err := json.Marshal(map[string]any{"triples": []map[string]string{{"head": fact[0], "relation": fact[1], "tail": fact[2]}}})
			t.Method, t.URL, t.Body = http.MethodPost, base+"/api/v1/predict/score", body
			t.Header.Set("Content-Type", "application/json")
			return err
		}},
	}
	// Uploads: each a new customer, so each stores a record and queues its
	// validation.
	total := rate * int(duration.Seconds())
	weights := 2
	for _, k := range kinds {
		weights += k.weight
	}
	if uploads == 0 {
		uploads = total*2/weights + 1
	}
	docs, err := generate(uploads, seed)
	if err != nil {
		return err
	}
	var next atomic.Uint64
	kinds = append(kinds, kind{name: "upload", weight: 2, make: func(_ uint64, base string, t *vegeta.Target) error {
		i := next.Add(1) - 1
		t.Method, t.URL, t.Body = http.MethodPost, base+"/api/v1/records?name=load.ndjson", docs[i%uint64(len(docs))]
		t.Header.Set("Content-Type", "application/x-ndjson")
		return nil
	}})

	// A fixed, interleaved order of kinds by weight (smooth weighted
	// round-robin), the n-th request of a kind numbered n.
	order := schedule(kinds)
	counts := make([]atomic.Uint64, len(kinds))
	var seq atomic.Uint64
	targeter := func(t *vegeta.Target) error {
		s := seq.Add(1) - 1
		k := order[s%uint64(len(order))]
		n := counts[k].Add(1) - 1
		*t = vegeta.Target{Method: http.MethodGet, Header: auth.Clone()}
		return kinds[k].make(n, apis[s%uint64(len(apis))], t)
	}

	attacker := vegeta.NewAttacker(vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true), vegeta.Workers(16),
		vegeta.MaxBody(1<<20))
	metrics := make(map[string]*vegeta.Metrics)
	all, reads := &vegeta.Metrics{}, &vegeta.Metrics{}
	isRead := map[string]bool{}
	for _, k := range kinds {
		metrics[k.name] = &vegeta.Metrics{}
		isRead[k.name] = k.read
	}
	started := time.Now()
	load := loadavg()
	for res := range attacker.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, duration, "pff") {
		name := classify(res)
		metrics[name].Add(res)
		all.Add(res)
		if isRead[name] {
			reads.Add(res)
		}
	}
	for _, m := range metrics {
		m.Close()
	}
	all.Close()
	reads.Close()

	fmt.Printf("%d req/s for %v against %d API(s), %s; load average %s before, %s after\n",
		rate, duration, len(apis), started.UTC().Format("2006-01-02 15:04 UTC"), load, loadavg())
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\tthroughput/s\tp50 ms\tp99 ms\tmax ms\terrors\t")
	line := func(name string, m *vegeta.Metrics) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t\n", name, m.Requests, m.Throughput, ms(m.Latencies.P50), ms(m.Latencies.P99),
			ms(m.Latencies.Max), m.Requests-uint64(float64(m.Requests)*m.Success+0.5))
	}
	for _, k := range kinds {
		line(k.name, metrics[k.name])
	}
	line("reads (records, reports)", reads)
	line("all", all)
	_ = tw.Flush()
	failed := all.Requests - uint64(float64(all.Requests)*all.Success+0.5)
	if failed > 0 {
		codes := make([]string, 0, len(all.StatusCodes))
		for code, n := range all.StatusCodes {
			codes = append(codes, fmt.Sprintf("%s: %d", code, n))
		}
		slices.Sort(codes)
		fmt.Printf("status codes: %s; errors: %s\n", strings.Join(codes, ", "), strings.Join(all.Errors, "; "))
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		_ = enc.Encode(map[string]any{"rate": rate, "apis": len(apis), "all": all, "reads": reads, "kinds": metrics})
	}
	switch {
	case failed > 0:
		return fmt.Errorf("%d of %d requests failed", failed, all.Requests)
	case reads.Latencies.P99 > readP99:
		return fmt.Errorf("the reads' p99 %.1f ms is over %v", ms(reads.Latencies.P99), readP99)
	}
	return nil
}

// classify names the kind of request a result was.
func classify(res *vegeta.Result) string {
	u := res.URL
	switch {
	case strings.HasSuffix(u, "/auth/login"):
		return "login"
	case strings.Contains(u, "/predict/"):
		return "prediction"
	case strings.HasSuffix(u, "/report"):
		return "report read"
	case res.Method == http.MethodPost:
		return "upload"
	default:
		return "record read"
	}
}

// schedule spreads the kinds by weight over one cycle, so that every kind
// is sent all along the run rather than in bursts.
func schedule(kinds []kind) []int {
	var order []int
	current := make([]int, len(kinds))
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	for range total {
		best := 0
		for i, k := range kinds {
			current[i] += k.weight
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		order = append(order, best)
	}
	return order
}

func signIn(ctx context.Context, base string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close() //nolint:errcheck // read to the end by decode; nothing to do if closing fails
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := decode(res, &tok); err != nil {
		return "", fmt.Errorf("log in: %w", err)
	}
	return tok.AccessToken, nil
}

// corpus returns the ids of stored records to read, and a status fact of
// one of them to predict on.
func corpus(ctx context.Context, base string, auth http.Header) ([]int64, [3]string, error) {
	var fact [3]string
	get := func(path string, out any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		req.Header = auth.Clone()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close() //nolint:errcheck // read to the end by decode; nothing to do if closing fails
		return decode(res, out)
	}
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	if err := get("/api/v1/records?limit=200", &page); err != nil {
		return nil, fact, err
	}
	if len(page.Items) == 0 {
		return nil, fact, fmt.Errorf("no stored records to read: ingest some first")
	}
	ids := make([]int64, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	var graph struct {
		Triples []struct {
			Subject   string `json:"subject"`
			Predicate string `json:"predicate"`
			Object    string `json:"object"`
		} `json:"triples"`
	}
	if err := get(fmt.Sprintf("/api/v1/records/%d/triples", ids[0]), &graph); err != nil {
		return nil, fact, err
	}
	for _, t := range graph.Triples {
		if t.Predicate == "status" {
			return ids, [3]string{t.Subject, t.Predicate, t.Object}, nil
		}
	}
	return nil, fact, fmt.Errorf("record %d has no status fact", ids[0])
}

// generate makes n new records of production size, one NDJSON line each.
func generate(n int, seed uint64) ([][]byte, error) {
	recs, err := gen.Generate(gen.Config{N: n, Seed: seed, FaultRate: 0.1, Compact: true})
	if err != nil {
		return nil, err
	}
	docs := make([][]byte, len(recs))
	for i, r := range recs {
		docs[i] = append(r.Doc, '\n')
	}
	return docs, nil
}

func decode(res *http.Response, out any) error {
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", res.Status, data)
	}
	return json.Unmarshal(data, out)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
