package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
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
// case-insensitively. State is in memory and bounded by MaxTracked entries
// per level, the stalest dropped first when full. With several replicas
// each keeps its own counts, so an attacker spreading attempts over them
// gets that many times the budget; a RedisLimiter on the login route keyed
// by username gives a shared ceiling on top.
//
// A Lockout is safe for concurrent use.
type Lockout struct {
	policy LockoutPolicy
	now    func() time.Time

	mu    sync.Mutex
	pairs map[pairKey]*attempts
	users map[string]*userAttempts
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

// attempts counts unsuccessful attempts at one level.
type attempts struct {
	count        int
	last         time.Time // of the latest counted attempt
	blockedUntil time.Time
}

type userAttempts struct {
	attempts
	trusted map[string]time.Time // client key → latest successful login
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
		pairs:  make(map[pairKey]*attempts),
		users:  make(map[string]*userAttempts),
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
	verdict := LoginVerdict{Allowed: true}
	if pair != nil && now.Before(pair.blockedUntil) {
		verdict = LoginVerdict{Reason: SlowedDown, RetryAfter: pair.blockedUntil.Sub(now)}
		if pair.count >= l.policy.ClientLockAfter {
			verdict.Reason = ClientLocked
		}
	}
	userLocked := user != nil && now.Before(user.blockedUntil)
	if userLocked && !user.trusts(key.client, now, l.policy.TrustFor) {
		if wait := user.blockedUntil.Sub(now); wait > verdict.RetryAfter {
			verdict = LoginVerdict{Reason: UserLocked, RetryAfter: wait}
		}
	}
	if !verdict.Allowed {
		return verdict
	}

	if pair == nil {
		makeRoom(l.pairs, l.policy.MaxTracked, func(a *attempts) time.Time { return a.last })
		pair = &attempts{}
		l.pairs[key] = pair
	}
	pair.add(now, l.policy.Window)
	switch {
	case pair.count >= l.policy.ClientLockAfter:
		pair.blockedUntil = now.Add(l.policy.LockDuration)
	case pair.count >= l.policy.FreeFailures:
		pair.blockedUntil = now.Add(l.delay(pair.count))
	}

	if userLocked {
		return verdict // a trusted client; its attempts must not prolong the lock
	}
	if user == nil {
		user = l.newUser(key.username)
	}
	user.add(now, l.policy.Window)
	if user.count >= l.policy.UserLockAfter {
		user.blockedUntil = now.Add(l.policy.LockDuration)
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
	user.count = max(0, user.count-1)
	user.trust(key.client, now, l.policy.TrustFor, l.policy.MaxTrustedClients)
}

// Unlock clears every count and lock for username, keeping its trusted
// clients: for an admin helping a user who is locked out.
func (l *Lockout) Unlock(username string) {
	username = normalizeUsername(username)
	l.mu.Lock()
	defer l.mu.Unlock()
	if user := l.users[username]; user != nil {
		user.attempts = attempts{}
	}
	for key := range l.pairs {
		if key.username == username {
			delete(l.pairs, key)
		}
	}
}

func (l *Lockout) newUser(username string) *userAttempts {
	makeRoom(l.users, l.policy.MaxTracked, (*userAttempts).lastActivity)
	u := &userAttempts{}
	l.users[username] = u
	return u
}

// delay is how long to wait after the count-th failure from one client.
func (l *Lockout) delay(count int) time.Duration {
	d := l.policy.BaseDelay
	for i := l.policy.FreeFailures; i < count && d < l.policy.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.policy.MaxDelay)
}

func (a *attempts) add(now time.Time, window time.Duration) {
	if now.Sub(a.last) >= window {
		a.count = 0
	}
	a.count++
	a.last = now
}

// stale reports whether a holds nothing that still matters.
func (a *attempts) stale(now time.Time, window time.Duration) bool {
	return a.count == 0 || (now.Sub(a.last) >= window && !now.Before(a.blockedUntil))
}

// lastActivity is the latest attempt or successful login.
func (u *userAttempts) lastActivity() time.Time {
	latest := u.last
	for _, at := range u.trusted {
		if at.After(latest) {
			latest = at
		}
	}
	return latest
}

func (u *userAttempts) trusts(client string, now time.Time, trustFor time.Duration) bool {
	at, ok := u.trusted[client]
	return ok && now.Sub(at) < trustFor
}

func (u *userAttempts) trust(client string, now time.Time, trustFor time.Duration, maxClients int) {
	if u.trusted == nil {
		u.trusted = make(map[string]time.Time)
	}
	u.trusted[client] = now
	u.forgetUntrusted(now, trustFor)
	for len(u.trusted) > maxClients {
		var oldest string
		for c, at := range u.trusted {
			if oldest == "" || at.Before(u.trusted[oldest]) {
				oldest = c
			}
		}
		delete(u.trusted, oldest)
	}
}

func (u *userAttempts) forgetUntrusted(now time.Time, trustFor time.Duration) {
	for c, at := range u.trusted {
		if now.Sub(at) >= trustFor {
			delete(u.trusted, c)
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
		if u.stale(now, l.policy.Window) && len(u.trusted) == 0 {
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
// lower case, and cut to 256 bytes so that attacker-chosen names cannot
// make entries large.
func normalizeUsername(s string) string {
	const maxKey = 256
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > maxKey {
		s = s[:maxKey]
	}
	return s
}
