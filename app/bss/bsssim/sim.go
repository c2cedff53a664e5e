package bsssim

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config configures a Sim. A zero field means its default.
type Config struct {
	// Seed makes fault injection and generated ids reproducible (for
	// requests that arrive in the same order).
	Seed uint64
	// Now is the clock of status histories and the ledger; nil is time.Now.
	Now func() time.Time
	// Zone is the zone dates are written in; nil is BSS's -03:00.
	Zone *time.Location
	// HonourIdempotencyKeys makes a write whose Idempotency-Key was applied
	// before answer as it did then, without applying it again. Off by
	// default, so that tests can count duplicates in the ledger.
	HonourIdempotencyKeys bool
	// MaxHang bounds how long a timeout fault holds a request (default
	// 30s); it ends sooner when the client goes away.
	MaxHang time.Duration
	// BasicUser and BasicPassword, when set, are required on BSS routes.
	BasicUser, BasicPassword string
	// BearerToken, when set, is required on BSS routes.
	BearerToken string
	// MaxRequestLog bounds the request log (default 100,000; the oldest
	// entries go first).
	MaxRequestLog int
	// Logger is for the servers' errors; nil discards them.
	Logger *slog.Logger
}

// Sim is an in-memory BSS. Its state is shared by every cluster it
// serves. Safe for concurrent use.
type Sim struct {
	cfg   Config
	now   func() time.Time
	zone  *time.Location
	log   *slog.Logger
	bss   *http.ServeMux
	admin *http.ServeMux

	mu         sync.Mutex
	customers  map[string]map[string]any // by id
	order      []string                  // customer ids in the order added
	byExternal map[string]string         // customer externalId → id
	byMSISDN   map[string][]string       // national MSISDN → customer ids
	parties    map[string]map[string]any // by id
	partyByExt map[string]string
	deleted    map[string]bool // customerID/contractID of deleted contracts
	ledger     []LedgerEntry
	ledgerSeq  int64
	requests   []RequestRecord
	idem       map[string]captured
	faults     []*faultState
	faultSeq   int
	faultRand  *rand.Rand
	idRand     *rand.Rand
	servers    map[*Servers]bool
}

// New returns an empty simulator.
func New(cfg Config) *Sim {
	cfg.MaxHang = cmp.Or(cfg.MaxHang, 30*time.Second)
	cfg.MaxRequestLog = cmp.Or(cfg.MaxRequestLog, 100_000)
	s := &Sim{
		cfg:        cfg,
		now:        cfg.Now,
		zone:       cfg.Zone,
		log:        cfg.Logger,
		customers:  map[string]map[string]any{},
		byExternal: map[string]string{},
		byMSISDN:   map[string][]string{},
		parties:    map[string]map[string]any{},
		partyByExt: map[string]string{},
		deleted:    map[string]bool{},
		idem:       map[string]captured{},
		faultRand:  rand.New(rand.NewPCG(cfg.Seed, 0x5eed_fa17)), // #nosec G404 -- seeded on purpose: the same seed gives the same faults
		idRand:     rand.New(rand.NewPCG(cfg.Seed, 0x1d5)),       // #nosec G404 -- seeded on purpose: the same seed gives the same ids
		servers:    map[*Servers]bool{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.zone == nil {
		s.zone = time.FixedZone("-03:00", -3*60*60)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.bss = s.bssRoutes()
	s.admin = s.adminRoutes()
	return s
}

// Handler serves the simulator as cluster 0: every BSS route, and the
// admin endpoints under /_sim/.
func (s *Sim) Handler() http.Handler { return s.handlerFor(0) }

// callKey carries the cluster and the request's call state to the routes.
type callKey struct{}

// call is one request's context in the simulator.
type call struct {
	cluster int
	key     string // Idempotency-Key
	route   string // the matched pattern
}

func (s *Sim) handlerFor(cluster int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_sim/") {
			s.admin.ServeHTTP(w, r)
			return
		}
		s.serveBSS(w, r, cluster)
	})
}

// serveBSS answers a BSS route through the fault injector.
func (s *Sim) serveBSS(w http.ResponseWriter, r *http.Request, cluster int) {
	c := &call{cluster: cluster, key: r.Header.Get("Idempotency-Key")}
	_, c.route = s.bss.Handler(r)
	plan := s.plan(r, cluster)
	s.logRequest(r, c, plan)
	if !s.authorised(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="bss"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "credentials missing or wrong")
		return
	}
	if plan.latency > 0 && !sleep(r.Context(), plan.latency) {
		return
	}
	if plan.answer != nil && !plan.afterApply {
		plan.answer(w)
		return
	}
	out := s.apply(r.WithContext(context.WithValue(r.Context(), callKey{}, c)), c)
	switch {
	case plan.answer != nil:
		plan.answer(w)
	case plan.hang:
		s.hang(r.Context(), plan.hangFor)
		out.writeTo(w)
	case plan.reset:
		reset(w)
	default:
		out.writeTo(w)
	}
}

// apply runs the route, replaying a stored answer when idempotency keys
// are honoured.
func (s *Sim) apply(r *http.Request, c *call) captured {
	write := r.Method != http.MethodGet && r.Method != http.MethodHead
	if write && s.cfg.HonourIdempotencyKeys && c.key != "" {
		s.mu.Lock()
		prev, seen := s.idem[c.key]
		s.mu.Unlock()
		if seen {
			prev.header = prev.header.Clone()
			prev.header.Set("Idempotent-Replayed", "true")
			return prev
		}
	}
	rec := newCapture()
	s.bss.ServeHTTP(rec, r)
	out := rec.captured()
	if write && s.cfg.HonourIdempotencyKeys && c.key != "" && out.status < 300 {
		s.mu.Lock()
		s.idem[c.key] = out
		s.mu.Unlock()
	}
	return out
}

func (s *Sim) authorised(r *http.Request) bool {
	if s.cfg.BasicUser != "" || s.cfg.BasicPassword != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.cfg.BasicUser || p != s.cfg.BasicPassword {
			return false
		}
	}
	if s.cfg.BearerToken != "" && r.Header.Get("Authorization") != "Bearer "+s.cfg.BearerToken {
		return false
	}
	return true
}

// hang holds a request whose write was applied until the client gives up,
// d passes (if set) or MaxHang does.
func (s *Sim) hang(ctx context.Context, d time.Duration) {
	if d <= 0 || d > s.cfg.MaxHang {
		d = s.cfg.MaxHang
	}
	sleep(ctx, d)
}

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// stamp formats a time as BSS writes validFor dates.
func (s *Sim) stamp() string {
	return s.now().In(s.zone).Format("2006-01-02T15:04:05.000-07:00")
}

// newID returns a BSS-style id: 32 upper-case hex digits. The caller holds mu.
func (s *Sim) newID() string {
	const hex = "0123456789ABCDEF"
	b := make([]byte, 32)
	for i := range b {
		b[i] = hex[s.idRand.IntN(16)]
	}
	return string(b)
}
