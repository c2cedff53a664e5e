package bss

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Outcome classifies how a call ended. See the package documentation for
// the rules.
type Outcome string

// The outcomes.
const (
	// Success: a 2xx. A read's Value is the document.
	Success Outcome = "success"
	// AlreadyDone: a write answered with an error the catalogue declares to
	// mean "already in that state".
	AlreadyDone Outcome = "already_done"
	// NotFound: a read answered 404, an empty list, or nothing.
	NotFound Outcome = "not_found"
	// Rejected: BSS refused the request (a 4xx); sending it again as it is
	// will not help.
	Rejected Outcome = "rejected"
	// Transient: the request was not processed (nothing sent, 429, 503, an
	// open breaker, or a read that failed); it may be tried again later.
	Transient Outcome = "transient"
	// Unknown: a write may or may not have been applied (sent, then no
	// definitive answer). Only Verify can tell.
	Unknown Outcome = "unknown"
)

// Outcomes lists every outcome, for metrics and documentation.
func Outcomes() []Outcome {
	return []Outcome{Success, AlreadyDone, NotFound, Rejected, Transient, Unknown}
}

// Result is how one call ended.
type Result struct {
	Outcome Outcome
	// Value is the decoded JSON answer of a success (or of an
	// already_done's body, if JSON); nil for not_found and failures.
	Value any
	// Status is the last HTTP status received; 0 if none.
	Status int
	// Body is the raw answer (bounded by the system's max_response_bytes).
	Body []byte
	// Sent is whether any request may have reached BSS. false means
	// certainly not: nothing was applied.
	Sent bool
	// Cluster is the base URL of the last cluster tried, "" if none was.
	Cluster string
	// Attempts counts the clusters tried.
	Attempts int
	// RetryAfter is how long BSS (a 429 or 503's Retry-After) or the breaker
	// asked to wait before the next call; zero if it did not say.
	RetryAfter time.Duration
	// Duration is the time the call took, waiting for its turn included.
	Duration time.Duration
	// Err says why a call did not succeed; nil for already_done, not_found
	// and success, except a write that succeeded but whose answer could not
	// be read whole (it was applied; Err says what was lost).
	Err error
}

// OK reports whether the call reached the state it asked for (success or
// already_done) or, for a read, definitively found nothing.
func (r Result) OK() bool {
	return r.Outcome == Success || r.Outcome == AlreadyDone || r.Outcome == NotFound
}

// Sentinel causes in Result.Err.
var (
	// ErrBreakerOpen: the system's circuit breaker refused the call; nothing
	// was sent.
	ErrBreakerOpen = errors.New("bss: circuit breaker open")
	// ErrBackingOff: every cluster asked (Retry-After) to be left alone for
	// longer than the call may wait; nothing was sent.
	ErrBackingOff = errors.New("bss: backing off as BSS asked (Retry-After)")
	// ErrRateLimited: the call's context ended before the rate limit gave it
	// a turn; nothing was sent.
	ErrRateLimited = errors.New("bss: no turn within the rate limit before the deadline")
)

// StatusError is a non-2xx answer.
type StatusError struct {
	Status int
	// Body is the start of the answer, for the message.
	Body string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("bss: HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// health is what a call tells the breaker.
type health uint8

const (
	neutral health = iota // says nothing about the system (caller cancelled, 429)
	healthy
	failing
)

// classifyStatus turns an HTTP answer into an outcome.
func classifyStatus(req Request, status int, header http.Header, body []byte, maxRetryAfter time.Duration) (Result, health) {
	r := Result{Status: status, Body: body, Sent: true}
	switch {
	case status >= 200 && status < 300:
		return classifySuccess(req, r, body), healthy
	case req.IsWrite() && req.v != nil && matchesAlready(req.v.already, status, body):
		r.Outcome = AlreadyDone
		r.Value = decodeLoose(body)
		return r, healthy
	}
	r.Err = &StatusError{Status: status, Body: snippet(body)}
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		// The server said it did not process the request.
		r.Outcome = Transient
		r.RetryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now(), maxRetryAfter)
		if status == http.StatusTooManyRequests {
			return r, neutral
		}
		return r, failing
	case http.StatusRequestTimeout, http.StatusTooEarly:
		// The server gave up before acting on the request.
		r.Outcome = Transient
		return r, neutral
	case http.StatusNotFound:
		if !req.IsWrite() {
			r.Outcome, r.Err = NotFound, nil
			return r, healthy
		}
	case http.StatusNotImplemented:
		r.Outcome = Rejected
		return r, healthy
	}
	switch {
	case status >= 500:
		// 500, 502, 504 and the rest: a write may have been applied.
		r.Outcome = Transient
		if req.IsWrite() {
			r.Outcome = Unknown
		}
		return r, failing
	case status >= 300 && status < 400:
		// Redirects are not followed: a write must not land elsewhere.
		r.Outcome = Rejected
		r.Err = fmt.Errorf("bss: unexpected redirect (HTTP %d) to %q", status, header.Get("Location"))
		return r, healthy
	}
	r.Outcome = Rejected
	return r, healthy
}

func classifySuccess(req Request, r Result, body []byte) Result {
	r.Outcome = Success
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if !req.IsWrite() {
			r.Outcome = NotFound
		}
		return r
	}
	var v any
	if err := json.Unmarshal(trimmed, &v); err != nil {
		if req.IsWrite() {
			// The write was applied; its answer is for people.
			r.Value = string(trimmed)
			return r
		}
		r.Outcome = Transient
		r.Err = fmt.Errorf("bss: answer is not JSON: %w", err)
		return r
	}
	if req.IsWrite() {
		r.Value = v
		return r
	}
	if l, isList := v.([]any); isList {
		switch {
		case len(l) == 0:
			r.Outcome = NotFound
			return r
		case req.v != nil && req.v.single && len(l) == 1:
			v = l[0]
		case req.v != nil && req.v.single:
			r.Outcome = Rejected
			r.Err = fmt.Errorf("bss: %d answers where the catalogue expects one", len(l))
			return r
		}
	}
	if v == nil {
		r.Outcome = NotFound
		return r
	}
	r.Value = v
	return r
}

func matchesAlready(rules []alreadyRule, status int, body []byte) bool {
	for _, rule := range rules {
		if rule.matches(status, body) {
			return true
		}
	}
	return false
}

// decodeLoose returns JSON decoded, or the text, or nil when empty.
func decodeLoose(body []byte) any {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return nil
	}
	var v any
	if json.Unmarshal(t, &v) == nil {
		return v
	}
	return string(t)
}

// snippet is the start of a body, for error messages.
func snippet(body []byte) string {
	const max = 256
	s := strings.TrimSpace(string(body))
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// parseRetryAfter reads Retry-After (seconds or an HTTP date), capped.
func parseRetryAfter(v string, now time.Time, maxWait time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxWait/time.Second) {
			return maxWait
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxWait)
}
