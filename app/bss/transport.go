package bss

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// transports are one system's HTTP clients. Reads share pooled
// connections. Writes each get a new connection: net/http silently resends
// a request that failed on a reused connection when it deems it replayable
// (and a request with an Idempotency-Key header is, to it), and PFF must
// never resend a write behind the engine's back.
type transports struct {
	read, write *http.Client
}

func newTransports(cfg SystemConfig, key string) (transports, error) {
	tlsCfg, err := buildTLS(cfg.TLS, key)
	if err != nil {
		return transports{}, err
	}
	base := func(keepAlive bool) *http.Transport {
		return &http.Transport{
			// BSS is reached directly: through a proxy, a refused connection
			// would look like an answer and a write could not fail over.
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: min(cfg.Timeout, 5*time.Second), KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       tlsCfg,
			TLSHandshakeTimeout:   min(cfg.Timeout, 5*time.Second),
			DisableKeepAlives:     !keepAlive,
			MaxIdleConnsPerHost:   cfg.MaxInFlight,
			IdleConnTimeout:       60 * time.Second,
			ResponseHeaderTimeout: cfg.Timeout,
			ExpectContinueTimeout: 0,
			ForceAttemptHTTP2:     false,
		}
	}
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return transports{
		read:  &http.Client{Transport: base(true), CheckRedirect: noRedirect},
		write: &http.Client{Transport: base(false), CheckRedirect: noRedirect},
	}, nil
}

func (t transports) closeIdle() {
	t.read.CloseIdleConnections()
	t.write.CloseIdleConnections()
}

func buildTLS(cfg TLSConfig, key string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s.tls.ca_file: %w", key, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.tls.ca_file: %s holds no PEM certificate", key, cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s.tls.cert_file/key_file: %w", key, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// credentials are what a system's requests carry to authenticate.
type credentials struct {
	user, password, token string
	basic                 bool
}

func loadCredentials(cfg AuthConfig, key string, lookup func(string) (string, bool)) (credentials, error) {
	read := func(field, name string) (string, error) {
		v, ok := lookup(name)
		if !ok || v == "" {
			return "", fmt.Errorf("%s.auth.%s: environment variable %s is not set", key, field, name)
		}
		return v, nil
	}
	var c credentials
	var err1, err2 error
	switch cfg.Type {
	case "basic":
		c.basic = true
		c.user, err1 = read("username_env", cfg.UsernameEnv)
		c.password, err2 = read("password_env", cfg.PasswordEnv)
	case "bearer":
		c.token, err1 = read("token_env", cfg.TokenEnv)
	}
	return c, errors.Join(err1, err2)
}

func (c credentials) apply(h *http.Request) {
	switch {
	case c.basic:
		h.SetBasicAuth(c.user, c.password)
	case c.token != "":
		h.Header.Set("Authorization", "Bearer "+c.token)
	}
}
