package accounts

import (
	"context"
	"strings"
	"sync"
)

// loginGate lets one password check of a username at a time through this
// process. The lockout counts an attempt as a failure until its password is
// found right, so concurrent right passwords would otherwise lock their own
// username: 40 at once left 19 refused as login_locked. One at a time, each
// right password takes its attempt back before the next is counted. It
// also keeps guesses at one username from running in parallel here.
type loginGate struct {
	mu   sync.Mutex
	busy map[string]chan struct{} // closed when the check of the key ends
}

// enter waits until no other check of username runs in this process, or ctx
// ends; leave must be called after the check.
func (g *loginGate) enter(ctx context.Context, username string) (leave func(), err error) {
	key := strings.ToLower(strings.TrimSpace(username))
	for {
		g.mu.Lock()
		done, taken := g.busy[key]
		if !taken {
			if g.busy == nil {
				g.busy = map[string]chan struct{}{}
			}
			done = make(chan struct{})
			g.busy[key] = done
			g.mu.Unlock()
			return func() {
				g.mu.Lock()
				delete(g.busy, key)
				g.mu.Unlock()
				close(done)
			}, nil
		}
		g.mu.Unlock()
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
