package bsssim

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// StartOptions says how to serve a Sim.
type StartOptions struct {
	// Clusters is how many clusters (listeners) share the state (default 1).
	Clusters int
	// TLS, when set, serves HTTPS with it (e.g. with a certificate for
	// 127.0.0.1 and ClientAuth for mutual TLS).
	TLS *tls.Config
}

// Servers are a Sim's clusters, each listening on its own 127.0.0.1 port.
type Servers struct {
	// URLs are the clusters' base URLs, by index.
	URLs []string

	sim      *Sim
	tls      *tls.Config
	mu       sync.Mutex
	clusters []*clusterServer
	closed   bool
}

type clusterServer struct {
	index int
	addr  string
	srv   *http.Server // nil while refusing
	ln    net.Listener
}

// stop closes the listener itself too: http.Server.Close misses one whose
// Serve goroutine has not started yet.
func (cs *clusterServer) stop() error {
	err := cs.srv.Close()
	_ = cs.ln.Close()
	cs.srv, cs.ln = nil, nil
	return err
}

// Start serves the simulator on 127.0.0.1, one listener per cluster. An
// outage fault with Refuse closes the listeners it covers until it is
// removed, so that connecting is refused. Close the Servers when done.
func (s *Sim) Start(opts StartOptions) (*Servers, error) {
	n := max(opts.Clusters, 1)
	sv := &Servers{sim: s, tls: opts.TLS}
	scheme := "http"
	if opts.TLS != nil {
		scheme = "https"
	}
	for i := range n {
		cs := &clusterServer{index: i}
		ln, err := net.Listen("tcp", "127.0.0.1:0") //nolint:noctx // a loopback listen does not block
		if err != nil {
			_ = sv.Close()
			return nil, fmt.Errorf("bsssim: listen: %w", err)
		}
		cs.addr = ln.Addr().String()
		sv.clusters = append(sv.clusters, cs)
		sv.URLs = append(sv.URLs, scheme+"://"+cs.addr)
		cs.serve(s, ln, opts.TLS)
	}
	s.mu.Lock()
	s.servers[sv] = true
	s.mu.Unlock()
	s.syncServers() // faults added before Start
	return sv, nil
}

func (cs *clusterServer) serve(s *Sim, ln net.Listener, tlsCfg *tls.Config) {
	cs.ln = ln
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	cs.srv = &http.Server{
		Handler:           s.handlerFor(cs.index),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func(srv *http.Server) { _ = srv.Serve(ln) }(cs.srv)
}

// Close stops every cluster, breaking the connections in flight.
func (sv *Servers) Close() error {
	sv.sim.mu.Lock()
	delete(sv.sim.servers, sv)
	sv.sim.mu.Unlock()
	sv.mu.Lock()
	defer sv.mu.Unlock()
	sv.closed = true
	var errs []error
	for _, cs := range sv.clusters {
		if cs.srv != nil {
			errs = append(errs, cs.stop())
		}
	}
	return errors.Join(errs...)
}

// syncServers opens and closes listeners as outage faults with Refuse say.
func (s *Sim) syncServers() {
	s.mu.Lock()
	all := make([]*Servers, 0, len(s.servers))
	for sv := range s.servers {
		all = append(all, sv)
	}
	s.mu.Unlock()
	for _, sv := range all {
		sv.sync()
	}
}

func (sv *Servers) sync() {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.closed {
		return
	}
	for _, cs := range sv.clusters {
		refuse := sv.sim.refusing(cs.index)
		switch {
		case refuse && cs.srv != nil:
			_ = cs.stop()
		case !refuse && cs.srv == nil:
			// Listen again on the same port; Go sets SO_REUSEADDR.
			ln, err := net.Listen("tcp", cs.addr) //nolint:noctx // a loopback listen does not block
			if err != nil {
				sv.sim.log.Error("bsssim: listen again after an outage", "addr", cs.addr, "err", err)
				continue
			}
			cs.serve(sv.sim, ln, sv.tls)
		}
	}
}
