package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// Sessions are rows of console_sessions (migration 00025): the cookie holds
// 256 random bits, the table their SHA-256. Stored sessions rather than
// signed cookies because a sign-out must end the session on every replica
// at once, idle expiry is the server's to enforce, and a session ends when
// its user's token version moves (API logout, new password or role,
// disabled), which the lookup checks in the same query. A lookup is one
// primary-key read joined to the user; last_seen_at is written at most once
// a minute per session.

// Cookie names. The session cookie is __Host- prefixed when it is Secure,
// so no other path or subdomain can set or shadow it.
const (
	sessionCookie       = "pff_session"
	secureSessionCookie = "__Host-pff_session"
	loginCookie         = "pff_login"
	flashCookie         = "pff_flash"
)

// touchEvery is how stale last_seen_at may get before a request writes it.
const touchEvery = time.Minute

var errNoSession = errors.New("no console session")

// principal is who a console request acts for.
type principal struct {
	accounts.Principal
	Username string
	// CSRF is the session's synchronizer token.
	CSRF string
	hash []byte
}

type sessions struct {
	store     *store.Store
	idle, max time.Duration
	now       func() time.Time
}

// start stores a new session for the user and returns the cookie's secret.
func (s *sessions) start(ctx context.Context, userID, clientIP, userAgent string) (string, error) {
	secret, csrf := randomToken(), randomToken()
	now := s.now()
	// Ended sessions are pruned at sign-in, so the table holds live ones.
	if _, err := s.store.PruneConsoleSessions(ctx, now, now.Add(-s.idle)); err != nil {
		return "", err
	}
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	err := s.store.CreateConsoleSession(ctx, store.NewConsoleSession{IDHash: hashSecret(secret), UserID: userID, CSRF: csrf,
		ClientIP: clientIP, UserAgent: userAgent, CreatedAt: now, ExpiresAt: now.Add(s.max)})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// authenticate finds the session of the request's cookie, checks that it is
// alive and its user still may use it, and moves its idle expiry.
func (s *sessions) authenticate(r *http.Request) (*principal, error) {
	secret := sessionSecret(r)
	if secret == "" {
		return nil, errNoSession
	}
	hash := hashSecret(secret)
	cs, err := s.store.ConsoleSession(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !cs.Active || !cs.Current || !now.Before(cs.ExpiresAt) || now.Sub(cs.LastSeenAt) >= s.idle {
		if err := s.store.DeleteConsoleSession(r.Context(), hash); err != nil {
			return nil, err
		}
		return nil, errNoSession
	}
	role, err := auth.ParseRole(cs.Role)
	if err != nil {
		return nil, fmt.Errorf("console session of user %s: %w", cs.UserID, err)
	}
	if now.Sub(cs.LastSeenAt) >= touchEvery {
		if err := s.store.TouchConsoleSession(r.Context(), hash, now); err != nil {
			return nil, err
		}
	}
	return &principal{Principal: accounts.Principal{UserID: cs.UserID, Role: role}, Username: cs.Username, CSRF: cs.CSRF, hash: hash}, nil
}

// end deletes the session.
func (s *sessions) end(ctx context.Context, p *principal) error {
	return s.store.DeleteConsoleSession(ctx, p.hash)
}

// sessionSecret is the secret of the request's session cookie, either name.
func sessionSecret(r *http.Request) string {
	for _, name := range []string{secureSessionCookie, sessionCookie} {
		if c, err := r.Cookie(name); err == nil && len(c.Value) == 43 {
			return c.Value
		}
	}
	return ""
}

// setSessionCookie hands the browser its session: HttpOnly, SameSite=Strict,
// Secure (and __Host-) over TLS, and gone from the browser at the absolute
// expiry.
func (c *Console) setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	secure := c.secure(r)
	name, path := sessionCookie, Prefix
	if secure {
		name, path = secureSessionCookie, "/"
	}
	// #nosec G124 -- Secure whenever the request came over HTTPS (c.secure); the console also serves plain http://localhost
	http.SetCookie(w, &http.Cookie{Name: name, Value: secret, Path: path, MaxAge: int(c.cfg.SessionMax.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
}

func (c *Console) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	secure := c.secure(r)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: Prefix, MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}) // #nosec G124 -- deletes the cookie
	if secure {
		http.SetCookie(w, &http.Cookie{Name: secureSessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
	}
}

// secure says whether the browser reached PFF over TLS: directly, or through
// a trusted proxy that says so.
func (c *Console) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if r.Header.Get("X-Forwarded-Proto") != "https" {
		return false
	}
	ip, err := c.proxies.ClientIP(r.RemoteAddr, nil)
	return err == nil && c.proxies.Contains(ip)
}

// checkCSRF compares the token a form (field csrf) or an htmx request
// (header X-CSRF-Token) sent with the session's, in constant time.
func checkCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// randomToken is 256 random bits, base64url: 43 characters.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}
