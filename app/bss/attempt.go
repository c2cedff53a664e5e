package bss

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

// attempt says what happened to one try on one cluster.
type attempt struct {
	// unreached: the connection was never made (dial or TLS handshake
	// failed), so nothing of the request left PFF.
	unreached bool
}

// userAgent names PFF in BSS's logs.
const userAgent = "pff-bss/1"

// attempt sends req to one cluster. Whether anything may have been sent is
// decided conservatively: once a connection is up, the request counts as
// sent even if writing it failed.
func (s *system) attempt(ctx context.Context, cl *cluster, req Request) (Result, health, attempt) {
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var connected atomic.Bool
	actx = httptrace.WithClientTrace(actx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	url := cl.base + "/" + req.Path
	if req.Query != "" {
		url += "?" + req.Query
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.Method, url, body)
	if err != nil {
		res := Result{Outcome: Rejected, Cluster: cl.base, Err: fmt.Errorf("bss: build request: %w", err)}
		return res, neutral, attempt{}
	}
	hreq.GetBody = nil // never replayed by net/http
	for k, v := range req.Header {
		hreq.Header[k] = v
	}
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", userAgent)
	if req.Body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}
	client := s.http.read
	if req.IsWrite() {
		client = s.http.write
		if req.IdempotencyKey != "" {
			hreq.Header.Set("Idempotency-Key", req.IdempotencyKey)
		}
	}
	s.creds.apply(hreq)

	resp, err := client.Do(hreq)
	if err != nil {
		return s.transportFailure(ctx, cl, req, err, connected.Load())
	}
	defer resp.Body.Close() //nolint:errcheck // a response read to its limit: closing it loses nothing
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxResponseBytes+1))
	tooLarge := int64(len(data)) > s.cfg.MaxResponseBytes
	if tooLarge {
		data = data[:s.cfg.MaxResponseBytes]
	}
	res, h := classifyStatus(req, resp.StatusCode, resp.Header, data, s.cfg.MaxRetryAfter)
	res.Cluster = cl.base
	if readErr != nil || tooLarge {
		res, h = incompleteBody(req, res, h, readErr, tooLarge, s.cfg.MaxResponseBytes)
	}
	return res, h, attempt{}
}

// transportFailure classifies a request that got no answer.
func (s *system) transportFailure(ctx context.Context, cl *cluster, req Request, err error, connected bool) (Result, health, attempt) {
	res := Result{Cluster: cl.base, Sent: connected, Err: fmt.Errorf("bss: %s %s: %w", req.Method, cl.base, err)}
	h := failing
	if ctx.Err() != nil {
		// The caller gave up: that says nothing about BSS.
		h = neutral
	}
	switch {
	case !connected:
		res.Outcome = Transient
	case req.IsWrite():
		// Sent, then no answer (timeout, reset): it may have been applied.
		res.Outcome = Unknown
	default:
		res.Outcome = Transient
	}
	return res, h, attempt{unreached: !connected && ctx.Err() == nil && !errors.Is(err, context.Canceled)}
}

// incompleteBody handles an answer whose body could not be read whole.
func incompleteBody(req Request, res Result, h health, readErr error, tooLarge bool, limit int64) (Result, health) {
	why := readErr
	if tooLarge {
		why = fmt.Errorf("answer is larger than max_response_bytes (%d)", limit)
	}
	switch {
	case req.IsWrite() && res.Status >= 200 && res.Status < 300:
		// Applied; only the answer is cut short.
		res.Outcome, res.Value = Success, nil
		res.Err = fmt.Errorf("bss: write applied, but its answer was not read whole: %w", why)
		return res, h
	case req.IsWrite() && (res.Outcome == Success || res.Outcome == AlreadyDone):
		res.Err = fmt.Errorf("bss: answer not read whole: %w", why)
		return res, h
	case tooLarge && !req.IsWrite():
		res.Outcome, res.Value = Rejected, nil
		res.Err = fmt.Errorf("bss: %w", why)
		return res, healthy
	}
	if !req.IsWrite() {
		res.Outcome, res.Value = Transient, nil
	}
	res.Err = fmt.Errorf("bss: answer not read whole: %w", why)
	return res, failing
}
