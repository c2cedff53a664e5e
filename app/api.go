package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

// apiPrefix is where every API route lives.
const apiPrefix = "/api/v1"

// route is one endpoint: how it is reached, who may call it, and what it
// takes and returns. The same table registers the handlers, enforces the
// roles and writes the OpenAPI document, so the three cannot disagree.
type route struct {
	Method string
	Path   string // absolute, in echo's syntax: /api/v1/users/:id
	// Role is the least role the caller needs; public routes have none.
	Role    auth.Role
	Public  bool
	Summary string
	Tag     string
	// Group picks the rate-limit budget; empty means read for GET, write
	// otherwise; groupNone exempts probes and documentation.
	Group string
	// MaxBody overrides http.max_body_size for this route.
	MaxBody int64
	// Timeout overrides http.request_timeout for this route and lifts the
	// server's read and write deadlines to match, for long uploads.
	Timeout time.Duration
	// Query are the query parameters, for the OpenAPI document.
	Query []param
	// Request and Response are zero values of the body types, for the document.
	Request  any
	Response any
	// Status is the success status; 0 means 200.
	Status  int
	Handler echo.HandlerFunc
}

type param struct {
	Name, Description string
}

// mutating routes change something and are audited.
func (r route) mutating() bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

func (r route) group() string {
	switch {
	case r.Group != "":
		return r.Group
	case r.mutating():
		return groupWrite
	default:
		return groupRead
	}
}

// Rate-limit groups.
const (
	groupAuth  = "auth"
	groupRead  = "read"
	groupWrite = "write"
	groupNone  = "none"
)

// api holds what the API handlers need.
type api struct {
	cfg      Config
	logger   *slog.Logger
	store    *store.Store
	jobs     *jobs.Client
	tokens   *auth.Tokens
	versions *tokenVersions
	hasher   *auth.PasswordHasher
	policy   auth.PasswordPolicy
	keys     *auth.APIKeyVerifier
	keyUse   *keyUse
	lockout  *auth.Lockout
	limiter  auth.Limiter
	proxies  auth.TrustedProxies
	now      func() time.Time
	build    BuildInfo
	// validators gives the validator that judges records now.
	validators records.ValidatorSource
	// knowledge gives the active schema, rules and checks and their validator.
	knowledge *knowledge.Source
}

// routes is the whole API.
func (a *api) routes() []route {
	var rs []route
	rs = append(rs, a.authRoutes()...)
	rs = append(rs, a.userRoutes()...)
	rs = append(rs, a.apiKeyRoutes()...)
	rs = append(rs, a.auditRoutes()...)
	rs = append(rs, a.knowledgeRoutes()...)
	rs = append(rs, a.recordRoutes()...)
	rs = append(rs, a.learnRoutes()...)
	return rs
}
