package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Lockout slows down and then stops password guessing, without letting an
// attacker lock a user out.
//
// It counts unsuccessful login attempts at two levels:
//
//   - per (username, client): after FreeFailures, each further attempt
//     must wait twice as long as the one before (BaseDelay, 2×BaseDelay, …
//     up to MaxDelay); after ClientLockAfter, that client is locked out of
//     that username for LockDuration. Other clients are not affected.
//   - per username, over all clients: after UserLockAfter (a distributed
//     attack), the username is locked for LockDuration, except for clients
//     it has logged in from successfully in the last TrustFor. So the real
//     user, at their usual address, gets in even while the attack goes on;
//     from a new address they must wait (or an admin calls Unlock).
//
// Counters are forgotten after Window without attempts. As the window is
// longer than the lock, an attacker who waits out a lock gets one attempt
// per LockDuration, not a fresh allowance.
//
// Attempts are counted when they start, in Attempt, and the count is taken
// back by Succeeded; so concurrent attempts cannot slip past the delays,
// and an attempt that dies half-way counts as a failure.
//
// Clients are counted by ClientKey (IPv6 per /64) and usernames
// case-insensitively. A Lockout keeps its state in memory, bounded by
// MaxTracked entries per level, the stalest dropped first when full: for
// one process. Replicas share theirs through a SharedLockout, which applies
// the same policy to state kept in a LockoutStore (PostgreSQL), so that an
// attempt counts, and an unlock lifts a lock, everywhere.
//
// A Lockout is safe for concurrent use.
type Lockout struct {
	policy LockoutPolicy
	now    func() time.Time

	mu    sync.Mutex
	pairs map[pairKey]*LockoutPair
	users map[string]*LockoutUser
	// opsSinceSweep counts calls since stale entries were removed; see
	// limiterShard.opsSinceSweep.
	opsSinceSweep int
}

// LockoutPolicy sets Lockout's thresholds.
type LockoutPolicy struct {
	FreeFailures      int           // per (username, client) before delays start
	BaseDelay         time.Duration // the first delay, doubled for each further failure
	MaxDelay          time.Duration
	ClientLockAfter   int // failures per (username, client) that lock that pair
	UserLockAfter     int // failures per username that lock it for untrusted clients
	LockDuration      time.Duration
	Window            time.Duration // counts are forgotten after this long without attempts
	TrustFor          time.Duration // how long a successful login keeps its client trusted
	MaxTrustedClients int           // per username; the least recently used is dropped
	MaxTracked        int           // entries per level (pairs, usernames)
}

// DefaultLockoutPolicy: 3 free attempts per client, then waits of 1 s,
// 2 s, … 30 s, a 15-minute lock after 10; a username locked for untrusted
// clients after 25 failures from anywhere; counts kept for an hour; a
// client trusted for 30 days after a successful login. Guessing one
// username thus gets about 25 tries in the first hour and then 4 an hour.
func DefaultLockoutPolicy() LockoutPolicy {
	return LockoutPolicy{
		FreeFailures:      3,
		BaseDelay:         time.Second,
		MaxDelay:          30 * time.Second,
		ClientLockAfter:   10,
		UserLockAfter:     25,
		LockDuration:      15 * time.Minute,
		Window:            time.Hour,
		TrustFor:          30 * 24 * time.Hour,
		MaxTrustedClients: 5,
		MaxTracked:        100_000,
	}
}

// Validate reports whether p is consistent.
func (p LockoutPolicy) Validate() error {
	var errs []error
	positive := func(name string, ok bool) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	positive("FreeFailures", p.FreeFailures > 0)
	positive("BaseDelay", p.BaseDelay > 0)
	positive("ClientLockAfter", p.ClientLockAfter > 0)
	positive("UserLockAfter", p.UserLockAfter > 0)
	positive("LockDuration", p.LockDuration > 0)
	positive("Window", p.Window > 0)
	positive("TrustFor", p.TrustFor > 0)
	positive("MaxTrustedClients", p.MaxTrustedClients > 0)
	positive("MaxTracked", p.MaxTracked > 0)
	if p.MaxDelay < p.BaseDelay {
		errs = append(errs, fmt.Errorf("MaxDelay %v is below BaseDelay %v", p.MaxDelay, p.BaseDelay))
	}
	if p.ClientLockAfter <= p.FreeFailures {
		errs = append(errs, fmt.Errorf("ClientLockAfter %d must exceed FreeFailures %d", p.ClientLockAfter, p.FreeFailures))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("auth: lockout policy: %w", err)
	}
	return nil
}

// LockReason says why a login attempt was refused.
type LockReason uint8

// Reasons for refusing a login attempt.
const (
	NotLocked LockReason = iota
	// SlowedDown: this client failed for this username a few times and
	// must wait before trying again.
	SlowedDown
	// ClientLocked: this client failed for this username too often.
	ClientLocked
	// UserLocked: the username failed too often across clients; only
	// clients it recently logged in from may try.
	UserLocked
)

// String names the reason for logs.
func (r LockReason) String() string {
	switch r {
	case NotLocked:
		return "not locked"
	case SlowedDown:
		return "slowed down"
	case ClientLocked:
		return "client locked"
	case UserLocked:
		return "username locked"
	}
	return fmt.Sprintf("LockReason(%d)", uint8(r))
}

// LoginVerdict is Lockout's answer to a login attempt.
type LoginVerdict struct {
	Allowed    bool
	Reason     LockReason    // why not, when not Allowed
	RetryAfter time.Duration // when not Allowed, how long until an attempt could be; for Retry-After
}

type pairKey struct{ username, client string }

// LockoutPair counts unsuccessful attempts at one level: of one client for
// one username, and (in LockoutUser) of a username from anywhere. Its zero
// value is a level nothing is known of.
type LockoutPair struct {
	Failures     int
	Last         time.Time // of the latest counted attempt
	BlockedUntil time.Time
}

// LockoutUser is a username's count over all clients and the clients it
// logged in from lately.
type LockoutUser struct {
	LockoutPair
	Trusted map[string]time.Time // client key → latest successful login
}

// NewLockout returns an empty Lockout; now is its clock, nil meaning
// time.Now.
func NewLockout(policy LockoutPolicy, now func() time.Time) (*Lockout, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Lockout{
		policy: policy,
		now:    now,
		pairs:  make(map[pairKey]*LockoutPair),
		users:  make(map[string]*LockoutUser),
	}, nil
}

// Attempt is called before checking a password. If the verdict is not
// Allowed, refuse the login without checking the password (so that a
// locked-out guesser learns nothing) and send RetryAfter as Retry-After. If
// it is, the attempt counts as a failure until Succeeded is called.
func (l *Lockout) Attempt(username string, client netip.Addr) LoginVerdict {
	now := l.now()
	key := pairKey{normalizeUsername(username), ClientKey(client)}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeSweep(now)

	pair, user := l.pairs[key], l.users[key.username]
	if pair == nil {
		makeRoom(l.pairs, l.policy.MaxTracked, func(a *LockoutPair) time.Time { return a.Last })
		pair = &LockoutPair{}
		l.pairs[key] = pair
	}
	if user == nil {
		user = l.newUser(key.username)
	}
	return l.policy.attempt(pair, user, key.client, now)
}

// attempt decides an attempt of client given the states of its pair and
// of the username, and counts it in them when it is allowed.
func (p LockoutPolicy) attempt(pair *LockoutPair, user *LockoutUser, client string, now time.Time) LoginVerdict {
	verdict := LoginVerdict{Allowed: true}
	if now.Before(pair.BlockedUntil) {
		verdict = LoginVerdict{Reason: SlowedDown, RetryAfter: pair.BlockedUntil.Sub(now)}
		if pair.Failures >= p.ClientLockAfter {
			verdict.Reason = ClientLocked
		}
	}
	userLocked := now.Before(user.BlockedUntil)
	if userLocked && !user.trusts(client, now, p.TrustFor) {
		if wait := user.BlockedUntil.Sub(now); wait > verdict.RetryAfter {
			verdict = LoginVerdict{Reason: UserLocked, RetryAfter: wait}
		}
	}
	if !verdict.Allowed {
		return verdict
	}

	pair.add(now, p.Window)
	switch {
	case pair.Failures >= p.ClientLockAfter:
		pair.BlockedUntil = now.Add(p.LockDuration)
	case pair.Failures >= p.FreeFailures:
		pair.BlockedUntil = now.Add(p.delay(pair.Failures))
	}

	if userLocked {
		return verdict // a trusted client; its attempts must not prolong the lock
	}
	user.add(now, p.Window)
	if user.Failures >= p.UserLockAfter {
		user.BlockedUntil = now.Add(p.LockDuration)
	}
	return verdict
}

// Succeeded records that the attempt just allowed for username from
// client had the right password: it clears that client's count, takes the
// attempt back from the username's count and trusts the client for
// TrustFor.
func (l *Lockout) Succeeded(username string, client netip.Addr) {
	now := l.now()
	key := pairKey{normalizeUsername(username), ClientKey(client)}

	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs, key)
	user := l.users[key.username]
	if user == nil {
		user = l.newUser(key.username)
	}
	l.policy.succeeded(&LockoutPair{}, user, key.client, now)
}

// succeeded clears the pair's count (its zero value is nothing known),
// takes the attempt back from the username's and trusts the client.
func (p LockoutPolicy) succeeded(pair *LockoutPair, user *LockoutUser, client string, now time.Time) {
	*pair = LockoutPair{}
	user.Failures = max(0, user.Failures-1)
	user.trust(client, now, p.TrustFor, p.MaxTrustedClients)
}

// Unlock clears every count and lock for username, keeping its trusted
// clients: for an admin helping a user who is locked out.
func (l *Lockout) Unlock(username string) {
	username = normalizeUsername(username)
	l.mu.Lock()
	defer l.mu.Unlock()
	if user := l.users[username]; user != nil {
		user.LockoutPair = LockoutPair{}
	}
	for key := range l.pairs {
		if key.username == username {
			delete(l.pairs, key)
		}
	}
}

func (l *Lockout) newUser(username string) *LockoutUser {
	makeRoom(l.users, l.policy.MaxTracked, (*LockoutUser).lastActivity)
	u := &LockoutUser{}
	l.users[username] = u
	return u
}

// delay is how long to wait after the count-th failure from one client.
func (p LockoutPolicy) delay(count int) time.Duration {
	d := p.BaseDelay
	for i := p.FreeFailures; i < count && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

func (a *LockoutPair) add(now time.Time, window time.Duration) {
	if now.Sub(a.Last) >= window {
		a.Failures = 0
	}
	a.Failures++
	a.Last = now
}

// stale reports whether a holds nothing that still matters.
func (a *LockoutPair) stale(now time.Time, window time.Duration) bool {
	return a.Failures == 0 || (now.Sub(a.Last) >= window && !now.Before(a.BlockedUntil))
}

// lastActivity is the latest attempt or successful login.
func (u *LockoutUser) lastActivity() time.Time {
	latest := u.Last
	for _, at := range u.Trusted {
		if at.After(latest) {
			latest = at
		}
	}
	return latest
}

func (u *LockoutUser) trusts(client string, now time.Time, trustFor time.Duration) bool {
	at, ok := u.Trusted[client]
	return ok && now.Sub(at) < trustFor
}

func (u *LockoutUser) trust(client string, now time.Time, trustFor time.Duration, maxClients int) {
	if u.Trusted == nil {
		u.Trusted = make(map[string]time.Time)
	}
	u.Trusted[client] = now
	u.forgetUntrusted(now, trustFor)
	for len(u.Trusted) > maxClients {
		var oldest string
		for c, at := range u.Trusted {
			if oldest == "" || at.Before(u.Trusted[oldest]) {
				oldest = c
			}
		}
		delete(u.Trusted, oldest)
	}
}

func (u *LockoutUser) forgetUntrusted(now time.Time, trustFor time.Duration) {
	for c, at := range u.Trusted {
		if now.Sub(at) >= trustFor {
			delete(u.Trusted, c)
		}
	}
}

// maybeSweep removes stale entries once there have been as many calls as
// half the entries, which keeps its cost constant per call.
func (l *Lockout) maybeSweep(now time.Time) {
	l.opsSinceSweep++
	if 2*l.opsSinceSweep < len(l.pairs)+len(l.users) {
		return
	}
	l.opsSinceSweep = 0
	for key, a := range l.pairs {
		if a.stale(now, l.policy.Window) {
			delete(l.pairs, key)
		}
	}
	for name, u := range l.users {
		u.forgetUntrusted(now, l.policy.TrustFor)
		if u.stale(now, l.policy.Window) && len(u.Trusted) == 0 {
			delete(l.users, name)
		}
	}
}

// makeRoom, if m holds limit entries, drops the one with the oldest
// activity among a few in map order (which Go randomises).
func makeRoom[K comparable, V any](m map[K]V, limit int, last func(V) time.Time) {
	if len(m) < limit {
		return
	}
	var victim K
	var oldest time.Time
	seen := 0
	for k, v := range m {
		if seen == 0 || last(v).Before(oldest) {
			victim, oldest = k, last(v)
		}
		if seen++; seen == evictionSample {
			break
		}
	}
	delete(m, victim)
}

// normalizeUsername returns the key a username is counted by: trimmed,
// lower case, valid UTF-8 and cut to 256 bytes so that attacker-chosen
// names cannot make entries large.
func normalizeUsername(s string) string {
	const maxKey = 256
	s = strings.ToValidUTF8(strings.ToLower(strings.TrimSpace(s)), "\uFFFD")
	if len(s) > maxKey {
		cut := maxKey
		for !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
