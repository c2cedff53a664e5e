package console

import (
	"context"
	"sync"
	"time"
)

// refreshed keeps a value that is slow to work out (counting 100,000
// records, the degrees of a graph) and works it out again in the background
// once it is older than ttl or its key changed: a page never waits for it
// but the first time, and then only up to wait; past that the page shows
// that it is being counted and fetches it a moment later.
type refreshed[T any] struct {
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time
	compute func(ctx context.Context, key string) (T, error)

	mu      sync.Mutex
	value   T
	key     string
	at      time.Time
	have    bool
	running bool
	err     error
	// done is closed when the running computation ends.
	done chan struct{}
}

func newRefreshed[T any](ttl time.Duration, now func() time.Time, compute func(context.Context, string) (T, error)) *refreshed[T] {
	return &refreshed[T]{ttl: ttl, timeout: 5 * time.Minute, now: now, compute: compute}
}

// get returns the value for key, starting a refresh when it is stale. With
// no value for key yet it waits up to wait for the one being worked out;
// ok is false when it is not there by then. The error is the last
// refresh's, when there is no value to show instead.
func (r *refreshed[T]) get(ctx context.Context, key string, wait time.Duration) (T, time.Time, bool, error) {
	r.mu.Lock()
	fresh := r.have && r.key == key && r.now().Sub(r.at) < r.ttl
	if !fresh && !r.running {
		r.start(ctx, key)
	}
	if r.have && r.key == key {
		v, at := r.value, r.at
		r.mu.Unlock()
		return v, at, true, nil
	}
	done, err := r.done, r.err
	r.mu.Unlock()
	if err != nil && done == nil {
		var zero T
		return zero, time.Time{}, false, err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.have && r.key == key {
		return r.value, r.at, true, nil
	}
	var zero T
	return zero, time.Time{}, false, r.err
}

// start works the value out in the background; r.mu is held. The work
// outlives the request that started it, bounded by r.timeout.
func (r *refreshed[T]) start(ctx context.Context, key string) {
	r.running = true
	r.err = nil
	done := make(chan struct{})
	r.done = done
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	go func() {
		defer cancel()
		defer close(done)
		v, err := r.compute(ctx, key)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.running, r.done = false, nil
		if err != nil {
			r.err = err
			return
		}
		r.value, r.key, r.at, r.have = v, key, r.now(), true
	}()
}
