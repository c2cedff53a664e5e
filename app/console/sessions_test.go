package console

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
)

// client is a browser without JavaScript: a cookie jar, no redirects
// followed.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
}

func (e *env) client(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.url(path), body)
	require.NoError(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res, string(data)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) signIn(username string) {
	c.t.Helper()
	_, page := c.do(http.MethodGet, "/login", nil)
	token := csrfField.FindStringSubmatch(page)
	require.Len(c.t, token, 2)
	res, _ := c.do(http.MethodPost, "/login", url.Values{"csrf": {token[1]}, "username": {username}, "password": {testPassword}})
	require.Equal(c.t, http.StatusSeeOther, res.StatusCode)
	require.Equal(c.t, Prefix+"/", res.Header.Get("Location"))
}

// signedIn says whether the overview opens or sends the browser to sign in.
func (c *client) signedIn() bool {
	c.t.Helper()
	res, _ := c.do(http.MethodGet, "/", nil)
	if res.StatusCode == http.StatusOK {
		return true
	}
	require.Equal(c.t, http.StatusSeeOther, res.StatusCode)
	require.True(c.t, strings.HasPrefix(res.Header.Get("Location"), Prefix+"/login"))
	return false
}

// Sessions are stored, end when idle or old, with the user's token version,
// and at sign-out; their cookie is HttpOnly and SameSite=Strict.
func TestSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("cookie", func(t *testing.T) {
		c := e.client(t)
		_, page := c.do(http.MethodGet, "/login", nil)
		token := csrfField.FindStringSubmatch(page)[1]
		res, _ := c.do(http.MethodPost, "/login", url.Values{"csrf": {token}, "username": {"viewer1"}, "password": {testPassword}})
		var session *http.Cookie
		for _, ck := range res.Cookies() {
			if ck.Name == sessionCookie {
				session = ck
			}
		}
		require.NotNil(t, session)
		require.True(t, session.HttpOnly)
		require.Equal(t, http.SameSiteStrictMode, session.SameSite)
		require.False(t, session.Secure, "plain HTTP: a Secure cookie would never come back")
		require.Equal(t, Prefix, session.Path)
		require.Equal(t, int(DefaultSessionMax.Seconds()), session.MaxAge)
		require.Len(t, session.Value, 43, "256 random bits")
	})

	t.Run("secure over TLS", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, Prefix+"/login", nil)
		req.TLS = &tls.ConnectionState{}
		e.console.setSessionCookie(rec, req, randomToken())
		ck := rec.Result().Cookies()[0]
		require.Equal(t, secureSessionCookie, ck.Name)
		require.True(t, ck.Secure)
		require.Equal(t, "/", ck.Path, "__Host- cookies are the whole host's")
		// Plain HTTP from anyone but a trusted proxy is not TLS, whatever
		// it says.
		req = httptest.NewRequest(http.MethodGet, Prefix+"/", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		require.False(t, e.console.secure(req))
	})

	t.Run("sign-in form needs its token", func(t *testing.T) {
		c := e.client(t)
		res, page := c.do(http.MethodPost, "/login", url.Values{"username": {"viewer1"}, "password": {testPassword}})
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		require.Contains(t, page, "out of date")
		require.False(t, c.signedIn())
	})

	t.Run("sign out ends the session everywhere", func(t *testing.T) {
		c := e.client(t)
		c.signIn("viewer1")
		require.True(t, c.signedIn())
		// A copy of the cookie, as another replica's browser would send it.
		u, _ := url.Parse(e.url("/"))
		cookies := c.http.Jar.Cookies(u)
		_, page := c.do(http.MethodGet, "/", nil)
		token := csrfField.FindStringSubmatch(page)[1]
		res, _ := c.do(http.MethodPost, "/logout", url.Values{"csrf": {token}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		require.False(t, c.signedIn())
		c.http.Jar.SetCookies(u, cookies)
		require.False(t, c.signedIn(), "the stolen cookie is worth nothing")
	})

	t.Run("idle and absolute expiry", func(t *testing.T) {
		user := e.createUser("expiry1", auth.RoleViewer)
		clock := &settableClock{}
		s := &sessions{store: e.store, idle: 30 * time.Minute, max: 2 * time.Hour, now: clock.now}
		secret, err := s.start(context.Background(), user.ID, "127.0.0.1", "test")
		require.NoError(t, err)
		req := httptest.NewRequest(http.MethodGet, Prefix+"/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
		// Used every 20 minutes, it lives; two hours after sign-in, it ends.
		for range 5 {
			clock.advance(20 * time.Minute)
			_, err := s.authenticate(req)
			require.NoError(t, err)
		}
		clock.advance(21 * time.Minute)
		_, err = s.authenticate(req)
		require.ErrorIs(t, err, errNoSession, "past the absolute expiry")

		secret, err = s.start(context.Background(), user.ID, "127.0.0.1", "test")
		require.NoError(t, err)
		req = httptest.NewRequest(http.MethodGet, Prefix+"/", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
		clock.advance(31 * time.Minute)
		_, err = s.authenticate(req)
		require.ErrorIs(t, err, errNoSession, "idle too long")
	})

	t.Run("revoking the user's tokens ends the session", func(t *testing.T) {
		e.createUser("revoked1", auth.RoleOperator)
		c := e.client(t)
		c.signIn("revoked1")
		require.True(t, c.signedIn())
		u, err := e.accounts.UserByName(context.Background(), "revoked1")
		require.NoError(t, err)
		// Logging out of the API, as pff user disable or a new role would.
		require.NoError(t, e.accounts.Logout(context.Background(), accounts.Principal{UserID: u.ID}))
		require.False(t, c.signedIn())
		c.signIn("revoked1")
		_, err = e.accounts.SetActive(context.Background(), "revoked1", false)
		require.NoError(t, err)
		require.False(t, c.signedIn(), "a disabled user's session ends")
	})

	t.Run("roles and CSRF without a browser", func(t *testing.T) {
		c := e.client(t)
		c.signIn("operator1")
		res, _ := c.do(http.MethodGet, "/admin", nil)
		require.Equal(t, http.StatusForbidden, res.StatusCode)
		res, _ = c.do(http.MethodPost, "/admin/users", url.Values{"username": {"x"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode, "no token")
		_, page := c.do(http.MethodGet, "/jobs", nil)
		token := csrfField.FindStringSubmatch(page)[1]
		res, _ = c.do(http.MethodPost, "/admin/users", url.Values{"csrf": {token}, "username": {"x"}})
		require.Equal(t, http.StatusForbidden, res.StatusCode, "not an admin")
		// Pages answer with the console's CSP.
		res, _ = c.do(http.MethodGet, "/records", nil)
		require.Equal(t, contentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
		require.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		require.Contains(t, contentSecurityPolicy, "script-src 'self';")
		require.NotContains(t, contentSecurityPolicy, "unsafe")
	})
}

// A sign-in never sends the browser off the console.
func TestNextPage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                            "/console/",
		"/console/records?msisdn=1":   "/console/records?msisdn=1",
		"https://evil.example/":       "/console/",
		"//evil.example/console/":     "/console/",
		"/console/../api/v1/users":    "/console/",
		"/console/records/../admin":   "/console/",
		"/api/v1/users":               "/console/",
		"/console\\@evil.example":     "/console/",
		"/console/login?next=/x":      "/console/",
		"javascript:alert(1)":         "/console/",
		"/console/jobs/1#fragment":    "/console/jobs/1",
		"http://127.0.0.1/console/ok": "/console/",
	} {
		require.Equal(t, want, nextPage(in), in)
	}
}
