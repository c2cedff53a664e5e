package bsssim

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what a fault does to the requests it matches.
type FaultKind string

// The fault kinds.
const (
	// FaultError answers Status (default 503) instead of the route; with
	// AfterApply, after the route applied the write (a 500 that lies).
	FaultError FaultKind = "error"
	// FaultLatency delays the answer by Latency.
	FaultLatency FaultKind = "latency"
	// FaultTimeoutAfterApply applies the write, then holds the answer until
	// the client gives up (or Latency, or Config.MaxHang, passes).
	FaultTimeoutAfterApply FaultKind = "timeout_after_apply"
	// FaultResetAfterApply applies the write, then breaks the connection.
	FaultResetAfterApply FaultKind = "reset_after_apply"
	// FaultRateLimit answers 429 with Retry-After.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultOutage answers Status (default 503) to everything it matches or,
	// with Refuse, closes the matched clusters' listeners so connections
	// are refused (only for clusters served by Start).
	FaultOutage FaultKind = "outage"
)

// Fault is an injected misbehaviour of the routes it matches.
type Fault struct {
	// ID is assigned by AddFault.
	ID   int       `json:"id"`
	Kind FaultKind `json:"kind"`
	// Method matches the HTTP method; "" matches any.
	Method string `json:"method,omitempty"`
	// Path is a pattern over the request path: "*" matches within one
	// segment, "**" any number of segments; "" matches any path. E.g.
	// "/bae/bssfSubscriptionManagement/v1/customer/*/contract/*" or "/bias/**".
	Path string `json:"path,omitempty"`
	// Clusters limits the fault to these clusters (by index); empty is all.
	Clusters []int `json:"clusters,omitempty"`
	// Rate is the probability that a matching request is hit, drawn from
	// the simulator's seeded source; 0 means always.
	Rate float64 `json:"rate,omitempty"`
	// Times limits how many requests the fault hits; 0 is no limit.
	Times int `json:"times,omitempty"`
	// Status is the answer of error and outage faults (default 503).
	Status int `json:"status,omitempty"`
	// AfterApply makes an error fault apply the write first.
	AfterApply bool `json:"after_apply,omitempty"`
	// Latency is the delay of a latency fault, and the hold of a timeout
	// fault.
	Latency time.Duration `json:"latency,omitempty"`
	// RetryAfter is sent with rate_limit (default 1s) and error faults.
	RetryAfter time.Duration `json:"retry_after,omitempty"`
	// Refuse makes an outage refuse connections instead of answering.
	Refuse bool `json:"refuse,omitempty"`
	// Hits counts the requests the fault has hit.
	Hits int `json:"hits"`
}

type faultState struct{ Fault }

// AddFault starts injecting f and returns its id.
func (s *Sim) AddFault(f Fault) (int, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.faultSeq++
	f.ID, f.Hits = s.faultSeq, 0
	f.Clusters = slices.Clone(f.Clusters)
	s.faults = append(s.faults, &faultState{f})
	s.mu.Unlock()
	s.syncServers()
	return f.ID, nil
}

// RemoveFault stops a fault; false if there is none with that id.
func (s *Sim) RemoveFault(id int) bool {
	s.mu.Lock()
	i := slices.IndexFunc(s.faults, func(f *faultState) bool { return f.ID == id })
	if i >= 0 {
		s.faults = slices.Delete(s.faults, i, i+1)
	}
	s.mu.Unlock()
	s.syncServers()
	return i >= 0
}

// ClearFaults stops every fault.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
	s.syncServers()
}

// Faults returns the faults in force, with their hit counts.
func (s *Sim) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, len(s.faults))
	for i, f := range s.faults {
		out[i] = f.Fault
		out[i].Clusters = slices.Clone(f.Clusters)
	}
	return out
}

func (f Fault) validate() error {
	switch f.Kind {
	case FaultError, FaultLatency, FaultTimeoutAfterApply, FaultResetAfterApply, FaultRateLimit, FaultOutage:
	default:
		return fmt.Errorf("bsssim: fault kind %q: want error, latency, timeout_after_apply, reset_after_apply, rate_limit or outage", f.Kind)
	}
	switch {
	case math.IsNaN(f.Rate) || f.Rate < 0 || f.Rate > 1:
		return fmt.Errorf("bsssim: fault rate %v: want 0 to 1", f.Rate)
	case f.Status != 0 && (f.Status < 100 || f.Status > 599):
		return fmt.Errorf("bsssim: fault status %d: want an HTTP status", f.Status)
	case f.Times < 0 || f.Latency < 0 || f.RetryAfter < 0:
		return fmt.Errorf("bsssim: fault times, latency and retry_after cannot be negative")
	case f.Kind == FaultLatency && f.Latency == 0:
		return fmt.Errorf("bsssim: a latency fault needs a latency")
	case f.Refuse && f.Kind != FaultOutage:
		return fmt.Errorf("bsssim: only an outage refuses connections")
	}
	return nil
}

// plan is what the faults do to one request.
type plan struct {
	latency    time.Duration
	answer     func(http.ResponseWriter) // instead of (or after) the route
	afterApply bool
	hang       bool
	hangFor    time.Duration
	reset      bool
	hits       []int // the ids of the faults that hit
}

// plan draws, in the order faults were added, which faults hit r.
func (s *Sim) plan(r *http.Request, cluster int) plan {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p plan
	for _, f := range s.faults {
		if f.Refuse || !f.matches(r.Method, r.URL.Path, cluster) {
			continue
		}
		if f.Times > 0 && f.Hits >= f.Times {
			continue
		}
		if f.Rate > 0 && f.Rate < 1 && s.faultRand.Float64() >= f.Rate {
			continue
		}
		f.Hits++
		p.hits = append(p.hits, f.ID)
		switch f.Kind {
		case FaultLatency:
			p.latency += f.Latency
		case FaultTimeoutAfterApply:
			p.hang, p.hangFor = true, f.Latency
		case FaultResetAfterApply:
			p.reset = true
		case FaultRateLimit:
			p.answer = statusAnswer(http.StatusTooManyRequests, "RATE_LIMITED", cmp.Or(f.RetryAfter, time.Second))
		case FaultError, FaultOutage:
			p.answer = statusAnswer(cmp.Or(f.Status, http.StatusServiceUnavailable), "INJECTED_FAULT", f.RetryAfter)
			p.afterApply = f.Kind == FaultError && f.AfterApply
		}
		if p.answer != nil && !p.afterApply {
			break // the first answering fault decides
		}
	}
	return p
}

func statusAnswer(status int, code string, retryAfter time.Duration) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
		}
		writeError(w, status, code, "injected by the simulator: "+http.StatusText(status))
	}
}

func (f *faultState) matches(method, path string, cluster int) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if len(f.Clusters) > 0 && !slices.Contains(f.Clusters, cluster) {
		return false
	}
	return f.Path == "" || matchPath(f.Path, path)
}

// refusing reports whether an outage with Refuse covers a cluster.
func (s *Sim) refusing(cluster int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Refuse && (len(f.Clusters) == 0 || slices.Contains(f.Clusters, cluster)) {
			return true
		}
	}
	return false
}

// matchPath matches a path against a pattern of segments, where "*" (and
// any glob within a segment) matches one segment and "**" any number.
func matchPath(pattern, path string) bool {
	return matchSegments(strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/"))
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 || !matchSegment(pat[0], segs[0]) {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// matchSegment matches one segment, "*" standing for any run of characters.
func matchSegment(pat, seg string) bool {
	star := strings.IndexByte(pat, '*')
	if star < 0 {
		return pat == seg
	}
	if !strings.HasPrefix(seg, pat[:star]) {
		return false
	}
	rest := pat[star+1:]
	for i := star; i <= len(seg); i++ {
		if matchSegment(rest, seg[i:]) {
			return true
		}
	}
	return false
}

// RequestRecord is one request the simulator received.
type RequestRecord struct {
	Time           time.Time `json:"time"`
	Cluster        int       `json:"cluster"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	Query          string    `json:"query,omitempty"`
	Route          string    `json:"route,omitempty"`
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	// Faults are the ids of the faults that hit it.
	Faults []int `json:"faults,omitempty"`
}

func (s *Sim) logRequest(r *http.Request, c *call, p plan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= s.cfg.MaxRequestLog {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)/2+1)
	}
	s.requests = append(s.requests, RequestRecord{
		Time: s.now(), Cluster: c.cluster, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Route: c.route, IdempotencyKey: c.key, Faults: p.hits,
	})
}

// Requests returns the requests received on BSS routes, oldest first.
func (s *Sim) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ClearRequests empties the request log.
func (s *Sim) ClearRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}
