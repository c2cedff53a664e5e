package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/flows"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/jobs"
)

// Prefix is where every API route lives.
const Prefix = "/api/v1"

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
	// Request and Response are examples of the body types: the document
	// takes their schemas from their Go types and shows them as examples.
	Request  any
	Response any
	// RequestType is the media type of the request body when it is not JSON.
	RequestType string
	// ResponseType is the media type of the response when it is not JSON.
	ResponseType string
	// Status is the success status; 0 means 200.
	Status int
	// AlsoStatus is another success status with the same response, such as
	// 200 for an upload that changed nothing where 201 is the usual answer.
	AlsoStatus int
	Handler    echo.HandlerFunc
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

func (r route) status() int {
	if r.Status == 0 {
		return http.StatusOK
	}
	return r.Status
}

// Rate-limit groups.
const (
	groupAuth  = "auth"
	groupRead  = "read"
	groupWrite = "write"
	groupNone  = "none"
)

// api holds what the handlers need: the configuration and the services whose
// operations they adapt to HTTP.
type api struct {
	cfg      config.Config
	logger   *slog.Logger
	build    config.BuildInfo
	accounts *accounts.Accounts
	records  *records.Service
	library  *knowledge.Library
	learn    *learn.Service
	jobs     *jobs.Client
	// executions is nil when fix flows are off (BSS not configured).
	executions  *executions.Service
	flowCatalog flows.Catalog
	limiter     auth.Limiter
	proxies     auth.TrustedProxies
	// table is every route mounted, probes and documentation included.
	table []route
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
	rs = append(rs, a.jobRoutes()...)
	rs = append(rs, a.learnRoutes()...)
	rs = append(rs, a.executionRoutes()...)
	return rs
}
