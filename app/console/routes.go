package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/store"
)

// maxForm bounds a form; uploads (records, knowledge, lines) have their own.
const (
	maxForm   = 1 << 20
	maxUpload = 64 << 20
)

// pageFunc serves a page to a signed-in user.
type pageFunc func(w http.ResponseWriter, r *http.Request, p *principal) error

// act is a signed-in user's action, with what its audit entry says of it.
type act struct {
	*principal
	// Target is what the action acted on; Detail goes to the audit entry.
	Target string
	Detail map[string]any
	// Status is the status of a page the action answered with itself
	// instead of redirecting; 0 means 200.
	Status int
}

type actionFunc func(w http.ResponseWriter, r *http.Request, a *act) error

// routes is the console: every page and action, with the least role each
// needs, which are the roles of the API's matching routes.
func (c *Console) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"/assets/{name...}", c.serveAsset)
	mux.HandleFunc("GET "+Prefix+"/login", c.loginPage)
	mux.HandleFunc("POST "+Prefix+"/login", c.login)
	mux.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
	})
	c.action(mux, "POST /logout", auth.RoleViewer, "Sign out of the console", c.logout)

	c.get(mux, "/{$}", auth.RoleViewer, c.overviewPage)
	c.get(mux, "/overview/figures", auth.RoleViewer, c.overviewFigures)
	c.get(mux, "/records", auth.RoleViewer, c.recordsPage)
	c.get(mux, "/records/{id}", auth.RoleViewer, c.recordPage)
	c.get(mux, "/records/{id}/diff", auth.RoleViewer, c.recordDiffPage)
	c.action(mux, "POST /records/revalidate", auth.RoleOperator, "Re-validate the current records that match a filter, as a job", c.revalidate)

	c.get(mux, "/knowledge", auth.RoleViewer, c.knowledgePage)
	c.get(mux, "/knowledge/{kind}/{id}", auth.RoleViewer, c.knowledgeVersionPage)
	c.get(mux, "/knowledge/{kind}/{id}/raw", auth.RoleViewer, c.knowledgeRaw)
	c.get(mux, "/knowledge/{kind}/{id}/diff", auth.RoleViewer, c.knowledgeDiffPage)
	c.action(mux, "POST /knowledge/{kind}", auth.RoleAdmin, "Upload a knowledge version", c.uploadKnowledge)
	c.action(mux, "POST /knowledge/{kind}/{id}/activate", auth.RoleAdmin, "Activate a knowledge version", c.activateKnowledge)
	c.action(mux, "POST /knowledge/{kind}/deactivate", auth.RoleAdmin, "Deactivate the active knowledge version of a kind", c.deactivateKnowledge)

	c.get(mux, "/learning", auth.RoleViewer, c.learningPage)
	c.get(mux, "/learning/graph", auth.RoleViewer, c.learningGraph)
	c.get(mux, "/learning/models/{version}", auth.RoleAdmin, c.modelPage)
	c.get(mux, "/learning/models/{version}/map", auth.RoleAdmin, c.mapPage)
	c.get(mux, "/learning/models/{version}/map/points", auth.RoleAdmin, c.mapPoints)
	c.get(mux, "/learning/models/{version}/events", auth.RoleAdmin, c.modelEvents)
	c.action(mux, "POST /learning/train", auth.RoleAdmin, "Train a TransE model on the corpus knowledge graph, as a job", c.train)
	c.action(mux, "POST /learning/models/{version}/activate", auth.RoleAdmin, "Activate a model", c.activateModel)
	c.action(mux, "POST /learning/deactivate", auth.RoleAdmin, "Deactivate the active model", c.deactivateModel)

	c.get(mux, "/flows", auth.RoleViewer, c.flowsPage)
	c.get(mux, "/flows/executions/{id}", auth.RoleViewer, c.executionPage)
	c.get(mux, "/flows/executions/{id}/events", auth.RoleViewer, c.executionEvents)
	c.get(mux, "/flows/executions/{id}/export", auth.RoleViewer, c.exportExecution)
	c.get(mux, "/flows/executions/{id}/lines/{line}", auth.RoleViewer, c.linePage)
	c.action(mux, "POST /flows/executions", auth.RoleOperator, "Start an execution of a fix flow", c.startExecution)
	c.action(mux, "POST /flows/executions/{id}/{control}", auth.RoleOperator, "Control an execution", c.controlExecution)
	c.action(mux, "POST /flows/executions/{id}/lines/{line}/approve", auth.RoleOperator, "Approve a line's approve step", c.approveStep)

	c.get(mux, "/jobs", auth.RoleViewer, c.jobsPage)
	c.get(mux, "/jobs/{id}", auth.RoleViewer, c.jobPage)
	c.get(mux, "/jobs/{id}/events", auth.RoleViewer, c.jobEvents)
	c.action(mux, "POST /jobs/{id}/cancel", auth.RoleOperator, "Cancel a job", c.cancelJob)
	c.action(mux, "POST /jobs/{id}/retry", auth.RoleOperator, "Retry a job", c.retryJob)

	c.get(mux, "/admin", auth.RoleAdmin, c.adminPage)
	c.get(mux, "/admin/audit", auth.RoleAdmin, c.auditPage)
	c.action(mux, "POST /admin/users", auth.RoleAdmin, "Create a user", c.createUser)
	c.action(mux, "POST /admin/users/{id}", auth.RoleAdmin, "Change a user's role or state", c.updateUser)
	c.action(mux, "POST /admin/keys", auth.RoleAdmin, "Create an API key", c.createKey)
	c.action(mux, "POST /admin/keys/{id}/revoke", auth.RoleAdmin, "Revoke an API key", c.revokeKey)

	c.get(mux, "/", auth.RoleViewer, func(w http.ResponseWriter, r *http.Request, p *principal) error {
		return notFound("There is no page at %s.", r.URL.Path)
	})
	// Go's cross-origin protection (Sec-Fetch-Site, then Origin against
	// Host) refuses any cross-site form before it reaches a handler; the
	// synchronizer token is checked as well.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, nil, http.StatusForbidden, "This form came from another site, and was refused.")
	}))
	return cop.Handler(mux)
}

// get registers a page that needs a session and a role.
func (c *Console) get(mux *http.ServeMux, pattern string, role auth.Role, fn pageFunc) {
	mux.HandleFunc("GET "+Prefix+pattern, func(w http.ResponseWriter, r *http.Request) {
		p, ok := c.signedIn(w, r)
		if !ok {
			return
		}
		if !p.Role.Allows(role) {
			c.errorPage(w, r, p, http.StatusForbidden, "This page needs the "+role.String()+" role; you have "+p.Role.String()+".")
			return
		}
		if !strings.HasSuffix(pattern, "/events") {
			// Pages answer within pageTimeout; event streams last longer.
			ctx, cancel := context.WithTimeout(r.Context(), pageTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		if err := fn(w, r, p); err != nil {
			c.fail(w, r, p, err)
		}
	})
}

// pageTimeout bounds the work of a page.
const pageTimeout = 30 * time.Second

// action registers a form's target: a session, the session's CSRF token
// and the role are checked in that order, and every attempt is audited,
// refusals included.
func (c *Console) action(mux *http.ServeMux, pattern string, role auth.Role, summary string, fn actionFunc) {
	method, path, _ := cut(pattern)
	route := Prefix + path
	mux.HandleFunc(method+" "+route, func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxForm)
		if isUpload(r) {
			limit = maxUpload
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		p, err := c.sessions.authenticate(r)
		if err != nil {
			if errors.Is(err, errNoSession) {
				c.errorPage(w, r, nil, http.StatusUnauthorized, "Your session has ended; sign in again.")
				return
			}
			c.fail(w, r, nil, err)
			return
		}
		a := &act{principal: p, Target: firstNonEmpty(r.PathValue("id"), r.PathValue("version"), r.PathValue("kind"))}
		status := http.StatusOK
		defer func() { c.audit(r, w, route, summary, a, status) }()
		if !checkCSRF(r, p.CSRF) {
			status = http.StatusForbidden
			c.errorPage(w, r, p, status, "The form's security token is missing or out of date: reload the page and try again.")
			return
		}
		if !p.Role.Allows(role) {
			status = http.StatusForbidden
			c.errorPage(w, r, p, status, "This action needs the "+role.String()+" role; you have "+p.Role.String()+".")
			return
		}
		err = fn(w, r, a)
		if a.Status != 0 {
			status = a.Status
		}
		if err != nil {
			status = statusOf(err)
			if status < 500 && status != http.StatusForbidden && status != http.StatusUnauthorized {
				// A refused form goes back where it came from, saying why.
				setFlash(w, flash{Error: true, Message: messageOf(err, requestID(w))})
				redirect(w, r, backTo(r, Prefix+"/"))
				return
			}
			c.fail(w, r, p, err)
		}
	})
}

func cut(pattern string) (method, path string, ok bool) {
	for i := range len(pattern) {
		if pattern[i] == ' ' {
			return pattern[:i], pattern[i+1:], true
		}
	}
	return "", pattern, false
}

func isUpload(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return len(ct) >= 19 && ct[:19] == "multipart/form-data"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// signedIn is the request's principal; without a session the browser is
// sent to sign in, and back here after.
func (c *Console) signedIn(w http.ResponseWriter, r *http.Request) (*principal, bool) {
	p, err := c.sessions.authenticate(r)
	if err == nil {
		return p, true
	}
	if !errors.Is(err, errNoSession) {
		c.fail(w, r, nil, err)
		return nil, false
	}
	c.clearSessionCookie(w, r)
	to := Prefix + "/login?next=" + url.QueryEscape(r.URL.RequestURI())
	if r.Header.Get("HX-Request") == "true" || r.Header.Get("Accept") == "text/event-stream" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusUnauthorized)
		return nil, false
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil, false
}

// audit writes the action's entry as the API's audit middleware does, with
// the console's route; a lost entry is logged, never the user's problem.
func (c *Console) audit(r *http.Request, w http.ResponseWriter, route, summary string, a *act, status int) {
	entry := store.AuditEntry{Method: r.Method, Route: route, Action: summary, Target: a.Target, Status: outcome(status),
		StatusCode: &status, RequestID: requestID(w), ClientIP: c.clientIP(r), ActorID: &a.UserID, Actor: a.Actor()}
	if a.Detail != nil {
		entry.Detail, _ = json.Marshal(a.Detail)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := c.cfg.Accounts.Record(ctx, entry); err != nil {
		c.logger.Error("audit entry lost", "error", err, "route", route, "request_id", entry.RequestID)
	}
}

func outcome(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "denied"
	case status < 400:
		return "succeeded"
	default:
		return "failed"
	}
}

// clientIP is the peer, or what a trusted proxy says the client was.
func (c *Console) clientIP(r *http.Request) string {
	ip, err := c.proxies.ClientIP(r.RemoteAddr, r.Header)
	if err != nil {
		return r.RemoteAddr
	}
	return ip.String()
}

// fail renders an operation's error as a page with its status.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, p *principal, err error) {
	status := statusOf(err)
	if status >= 500 {
		c.logger.Error("console request failed", "error", err, "path", r.URL.Path, "request_id", requestID(w))
	}
	if r.Context().Err() != nil {
		return // the browser left
	}
	c.errorPage(w, r, p, status, messageOf(err, requestID(w)))
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, p *principal, status int, message string) {
	if err := c.page(w, r, p, status, "error", http.StatusText(status), "", map[string]any{"Status": status, "Message": message}); err != nil {
		c.logger.Error("render error page", "error", err)
		http.Error(w, message, status)
	}
}
