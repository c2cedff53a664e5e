package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// loginData is what the sign-in page shows.
type loginData struct {
	Username string
	Next     string
	// CSRF is the login form's token: the pff_login cookie's value sent
	// back in the form (there is no session yet to hold one).
	CSRF  string
	Error string
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	if p, err := c.sessions.authenticate(r); err == nil && p != nil {
		http.Redirect(w, r, nextPage(r.URL.Query().Get("next")), http.StatusSeeOther) // #nosec G710 -- nextPage keeps only paths of the console
		return
	}
	c.renderLogin(w, r, http.StatusOK, loginData{Next: nextPage(r.URL.Query().Get("next"))})
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	// The browser's token is kept while it lasts, so that sign-in pages
	// open in two tabs are both good.
	if ck, err := r.Cookie(loginCookie); err == nil && len(ck.Value) == 43 {
		d.CSRF = ck.Value
	} else {
		d.CSRF = randomToken()
	}
	// #nosec G124 -- Secure whenever the request came over HTTPS (c.secure); the console also serves plain http://localhost
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: d.CSRF, Path: Prefix + "/login", MaxAge: 3600,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	if err := c.page(w, r, nil, status, "login", "Sign in", "", d); err != nil {
		c.fail(w, r, nil, err)
	}
}

// login checks the username and password as the API's login does (the same
// lockout), starts a session and audits the attempt either way.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	d := loginData{Username: username, Next: nextPage(r.PostFormValue("next"))}
	status := http.StatusOK
	entry := store.AuditEntry{Method: r.Method, Route: Prefix + "/login", Action: "Sign in to the console",
		RequestID: requestID(w), ClientIP: c.clientIP(r), Actor: "login:" + username}
	defer func() { //nolint:contextcheck // the audit entry is written with the request's values, past its cancellation
		entry.Status, entry.StatusCode = outcome(status), &status
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
		defer cancel()
		if err := c.cfg.Accounts.Record(ctx, entry); err != nil {
			c.logger.Error("audit entry lost", "error", err, "route", entry.Route)
		}
	}()
	ck, err := r.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		status = http.StatusForbidden
		d.Error = "The sign-in form was out of date; it has been reloaded, try again."
		c.renderLogin(w, r, status, d)
		return
	}
	client, _ := netip.ParseAddr(c.clientIP(r))
	token, err := c.cfg.Accounts.Login(r.Context(), username, password, client)
	var p accounts.Principal
	if err == nil {
		// The token is only the proof the password was right: the console
		// keeps a session instead, which is what the principal is read from.
		p, err = c.cfg.Accounts.Authenticate(r.Context(), accounts.Credentials{Token: token.AccessToken})
	}
	if err != nil {
		status = statusOf(err)
		if status >= 500 {
			c.fail(w, r, nil, err)
			return
		}
		d.Error = "Invalid username or password."
		if pe, ok := problem.As(err); ok && pe.Kind == problem.TooMany {
			d.Error = pe.Message
		}
		c.renderLogin(w, r, status, d)
		return
	}
	entry.ActorID, entry.Actor = &p.UserID, p.Actor()
	secret, err := c.sessions.start(r.Context(), p.UserID, client.String(), r.UserAgent())
	if err != nil {
		status = http.StatusInternalServerError
		c.fail(w, r, nil, err)
		return
	}
	c.setSessionCookie(w, r, secret)
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: Prefix + "/login", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode}) // #nosec G124 -- deletes the cookie
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, a *act) error {
	if err := c.sessions.end(r.Context(), a.principal); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.clearSessionCookie(w, r)
	http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
	return nil
}

// nextPage is where to go after signing in: a console page, never elsewhere.
func nextPage(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return Prefix + "/"
	}
	clean := path.Clean(u.Path)
	if !strings.HasPrefix(clean+"/", Prefix+"/") || strings.HasPrefix(clean, Prefix+"/login") || clean != u.Path && clean+"/" != u.Path {
		return Prefix + "/"
	}
	return u.RequestURI()
}
