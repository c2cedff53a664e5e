package testkit

import (
	"io"
	"net"
	"sync"
	"testing"
)

// TCPProxy forwards a loopback port to a server until it is stopped, which
// closes every connection and refuses new ones, as a server that went away
// does; started again, it forwards anew on the same port.
type TCPProxy struct {
	// Addr is the proxy's address, to give clients instead of the server's.
	Addr     string
	target   string
	mu       sync.Mutex
	listener net.Listener
	conns    map[net.Conn]bool
}

// NewTCPProxy starts a proxy to target, stopped when the test ends.
func NewTCPProxy(tb testing.TB, target string) *TCPProxy {
	tb.Helper()
	p := &TCPProxy{Addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.Start(tb)
	p.Addr = p.listener.Addr().String()
	tb.Cleanup(p.Stop)
	return p
}

// Start listens on the proxy's address and forwards what it accepts.
func (p *TCPProxy) Start(tb testing.TB) {
	tb.Helper()
	ctx := tb.Context()
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", p.Addr)
	if err != nil {
		tb.Fatalf("testkit: proxy listen: %v", err)
	}
	p.mu.Lock()
	p.listener = l
	p.mu.Unlock()
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := (&net.Dialer{}).DialContext(ctx, "tcp", p.target)
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

// Stop closes the listener and every connection through the proxy.
func (p *TCPProxy) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.listener.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}
