package httpapi

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
)

// tcpProxy forwards a port to PostgreSQL until it is stopped, which closes
// every connection and refuses new ones, as a database outage does; started
// again on the same port, it forwards anew.
type tcpProxy struct {
	addr, target string
	mu           sync.Mutex
	listener     net.Listener
	conns        map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.start(t)
	p.addr = p.listener.Addr().String()
	t.Cleanup(p.stop)
	return p
}

func (p *tcpProxy) start(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", p.addr)
	require.NoError(t, err)
	p.mu.Lock()
	p.listener = l
	p.mu.Unlock()
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = client.Close()
				continue
			}
			p.mu.Lock()
			p.conns[client], p.conns[server] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
			go func() { _, _ = io.Copy(client, server); _ = client.Close() }()
		}
	}()
}

func (p *tcpProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.listener.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// TestDatabaseOutageIsA503ThatHealsByItself cuts PostgreSQL off under a
// running API: requests that need it answer 503 unavailable with
// Retry-After (not 500), and once it is back the same requests succeed,
// without a restart.
func TestDatabaseOutageIsA503ThatHealsByItself(t *testing.T) {
	t.Parallel()
	var proxy *tcpProxy
	ts := newTestServer(t, func(cfg *config.Config) {
		u, err := url.Parse(cfg.Database.URL)
		require.NoError(t, err)
		proxy = newTCPProxy(t, u.Host)
		u.Host = proxy.addr
		cfg.Database.URL = u.String()
	})
	list := request{method: http.MethodGet, path: "/api/v1/records", header: bearer(ts.bearers[auth.RoleViewer])}
	require.Equal(t, http.StatusOK, ts.do(list).Code)

	proxy.stop()
	for _, r := range []request{
		list,
		{method: http.MethodGet, path: "/api/v1/users", header: bearer(ts.bearers[auth.RoleAdmin])},
		{method: http.MethodPost, path: "/api/v1/auth/login", body: `{"username":"admin1","password":"` + testPassword + `"}`},
	} {
		rec := ts.do(r)
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, "%s %s: %s", r.method, r.path, rec.Body.String())
		require.Equal(t, "unavailable", errorCode(t, rec))
		require.Equal(t, "5", rec.Header().Get("Retry-After"))
	}
	rec := ts.do(request{method: http.MethodGet, path: "/health/detailed"})
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)

	proxy.start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		rec := ts.do(list)
		if rec.Code == http.StatusOK {
			break
		}
		require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
		select {
		case <-ctx.Done():
			require.NoError(t, errors.New("the API did not recover once the database was back"))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestHeadHealthAnswersLikeGet(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	for _, path := range []string{"/health", "/health/detailed"} {
		get := ts.do(request{method: http.MethodGet, path: path})
		head := ts.do(request{method: http.MethodHead, path: path})
		require.Equal(t, get.Code, head.Code, path)
		require.Equal(t, get.Header().Get("Content-Type"), head.Header().Get("Content-Type"), path)
		require.Empty(t, head.Body.String(), path)
	}
}
