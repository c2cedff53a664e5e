package accounts

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pff/pff/store"
)

// TokenVersions caches users' token versions so that authenticating a
// request costs no database round trip. It caches only while it listens to
// PostgreSQL's notifications of changes, so a revocation (logout, disabling,
// a new password or role) takes effect on every replica at once; while not
// listening it asks the database every time.
type TokenVersions struct {
	store  *store.Store
	logger *slog.Logger

	listening atomic.Bool
	mu        sync.Mutex
	versions  map[string]int64
	// generation counts invalidations, so a lookup that raced with one does
	// not cache the version it read before the change.
	generation uint64
}

// maxCachedUsers bounds the cache; past it the cache starts over.
const maxCachedUsers = 100_000

// NewTokenVersions makes an empty cache; call Listen to let it cache.
func NewTokenVersions(st *store.Store, logger *slog.Logger) *TokenVersions {
	return &TokenVersions{store: st, logger: logger, versions: map[string]int64{}}
}

// TokenVersion implements auth.TokenVersions.
func (t *TokenVersions) TokenVersion(ctx context.Context, userID string) (int64, error) {
	t.mu.Lock()
	version, ok := t.versions[userID]
	generation := t.generation
	t.mu.Unlock()
	if ok {
		return version, nil
	}
	version, err := t.store.TokenVersion(ctx, userID)
	if err != nil {
		return 0, err
	}
	if t.listening.Load() {
		t.mu.Lock()
		if t.generation == generation {
			if len(t.versions) >= maxCachedUsers {
				clear(t.versions)
			}
			t.versions[userID] = version
		}
		t.mu.Unlock()
	}
	return version, nil
}

// Listening reports whether the cache is listening to notifications, and so
// caching.
func (t *TokenVersions) Listening() bool { return t.listening.Load() }

// Invalidate forgets a user's version. Changes made through this process
// call it directly; the notification does it for changes made elsewhere.
func (t *TokenVersions) Invalidate(userID string) {
	t.mu.Lock()
	delete(t.versions, userID)
	t.generation++
	t.mu.Unlock()
}

// stopCaching forgets everything: changes made while nobody listens are unknown.
func (t *TokenVersions) stopCaching() {
	t.listening.Store(false)
	t.mu.Lock()
	clear(t.versions)
	t.generation++
	t.mu.Unlock()
}

// Listen keeps a LISTEN connection open until ctx ends, reconnecting with
// backoff after a failure.
func (t *TokenVersions) Listen(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := t.store.ListenTokenVersions(ctx, func() {
			t.listening.Store(true)
			backoff = time.Second
		}, t.Invalidate)
		t.stopCaching()
		if ctx.Err() != nil {
			return
		}
		t.logger.Warn("token version notifications lost; authenticating against the database until they are back",
			"error", store.Describe(err), "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}
