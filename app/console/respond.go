package console

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/pff/pff/app/problem"
)

// contentSecurityPolicy allows scripts, styles, images and connections
// (server-sent events) from the console's own origin only: no inline script
// or style, no eval, nothing from a CDN, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// setSecurityHeaders replaces the API's headers (whose CSP forbids
// everything) with the console's.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
}

// gzipPool reuses compressors: a page is rendered whole, then compressed.
type gzipPool struct{ pool sync.Pool }

func newGzipPool() *gzipPool {
	return &gzipPool{pool: sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		return w
	}}}
}

// minGzip is the smallest body worth compressing.
const minGzip = 1024

// write sends body with status, compressed when the client takes gzip.
func (c *Console) write(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Encoding")
	if len(body) < minGzip || !acceptsGzip(r) {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	var buf bytes.Buffer
	gz := c.gzip.pool.Get().(*gzip.Writer)
	gz.Reset(&buf)
	_, _ = gz.Write(body)
	_ = gz.Close()
	c.gzip.pool.Put(gz)
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// statusOf is the HTTP status of an operation's error.
func statusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return http.StatusRequestEntityTooLarge
	}
	p, ok := problem.As(err)
	if !ok {
		return http.StatusInternalServerError
	}
	switch p.Kind {
	case problem.Invalid:
		return http.StatusBadRequest
	case problem.NotFound:
		return http.StatusNotFound
	case problem.Conflict:
		return http.StatusConflict
	case problem.Unauthenticated:
		return http.StatusUnauthorized
	case problem.Forbidden:
		return http.StatusForbidden
	case problem.TooLarge:
		return http.StatusRequestEntityTooLarge
	case problem.TooMany:
		return http.StatusTooManyRequests
	case problem.Unsupported:
		return http.StatusUnsupportedMediaType
	case problem.Unavailable:
		return http.StatusServiceUnavailable
	case problem.Unprocessable:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// messageOf is what a person is told of an error: the problem's message
// and fields, or nothing of an internal error's detail.
func messageOf(err error, requestID string) string {
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return fmt.Sprintf("The upload is larger than the %d bytes the console takes.", maxBytes.Limit)
	}
	if p, ok := problem.As(err); ok {
		msg := p.Message
		for _, f := range p.Fields {
			msg += "; " + f.Field + " " + f.Problem
		}
		return msg
	}
	return "Something went wrong on the server (request " + requestID + "); the log has the details."
}

// flash is a one-time message shown on the next page, after a redirect.
type flash struct {
	Error   bool
	Message string
}

// setFlash keeps a message for the next page in a short-lived cookie.
func setFlash(w http.ResponseWriter, f flash) {
	kind := "ok"
	if f.Error {
		kind = "error"
	}
	msg := f.Message
	if len(msg) > 1000 {
		msg = msg[:1000] + "…"
	}
	// #nosec G124 -- a one-minute message to show, not a credential
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(kind + "|" + msg), Path: Prefix, MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// takeFlash reads and clears the message a redirect left.
func takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode}) // #nosec G124 -- deletes the cookie
	raw, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(raw, "|")
	if !ok || msg == "" {
		return nil
	}
	return &flash{Error: kind == "error", Message: msg}
}

// backTo is where a form wants to go after its action: its back field when
// that is a console path, else fallback.
func backTo(r *http.Request, fallback string) string {
	back := r.PostFormValue("back")
	if strings.HasPrefix(back, Prefix+"/") && !strings.HasPrefix(back, "//") && !strings.ContainsAny(back, "\\\r\n") {
		return back
	}
	return fallback
}

// redirect answers a form with 303 See Other, for the browser to GET the
// page; an htmx request is told to go there itself.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther) // #nosec G710 -- callers pass console paths (nextPage, backTo)
}

// requestID is the id the API's envelope gave the request.
func requestID(w http.ResponseWriter) string { return w.Header().Get("X-Request-ID") }
