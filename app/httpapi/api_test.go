package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/app/learn"
	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/app/records"
	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

type testServer struct {
	t        testing.TB
	e        *echo.Echo
	api      *api
	store    *store.Store
	accounts *accounts.Accounts
	tokens   *auth.Tokens
	versions *accounts.TokenVersions
	clock    *testkit.Clock
	cfg      config.Config
	// bearer tokens of one user per role, and their ids
	bearers map[auth.Role]string
	ids     map[auth.Role]string
	// responses are checked against the OpenAPI document when the test ends.
	responses responseLog
}

const testPassword = "correct horse battery staple"

// newTestServer serves the API on a fresh database with the services built
// as `pff serve` builds them, a settable clock, and one user per role.
func newTestServer(t testing.TB, configure func(*config.Config)) *testServer {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(config.Sources{Environ: []string{"DATABASE_URL=" + storetest.NewDatabase(t)}})
	require.NoError(t, err)
	cfg.RateLimit.AuthPerMinute = 1000
	if configure != nil {
		configure(&cfg)
	}
	pool, err := store.Connect(ctx, store.PoolConfig{URL: cfg.Database.URL})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	logger := slog.New(slog.DiscardHandler)
	queue, err := jobs.New(pool, jobs.Config{})
	require.NoError(t, err)
	plausibility := learn.PlausibilityConfig{MinConfidence: cfg.Learn.MinConfidence, FactErrorRate: cfg.Learn.FactErrorRate}
	source, err := knowledge.NewSource(knowledge.SourceConfig{Store: st, Recheck: time.Second,
		Validation:   validation.Config{ModelPolicy: validation.ModelPolicy(cfg.Learn.ModelFindings)},
		Plausibility: learn.PlausibilityLoader(st, plausibility)})
	require.NoError(t, err)
	clock := testkit.NewClockAt(time.Now())
	tokens, err := auth.NewTokens(auth.TokenConfig{Secret: []byte(cfg.Auth.JWTSecret), Issuer: cfg.Auth.Issuer, TTL: cfg.Auth.TokenTTL, Now: clock.Now})
	require.NoError(t, err)
	versions := accounts.NewTokenVersions(st, logger)
	// Cleanups run last first: the listener lets its connection go before
	// the pool closes.
	listening, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go versions.Listen(listening)
	// The login lockout is the production one, kept in the database.
	accts, err := accounts.New(accounts.Config{Store: st, Tokens: tokens, Versions: versions, Now: clock.Now, Logger: logger})
	require.NoError(t, err)
	recs, err := records.NewService(records.Config{Store: st, Queue: queue, Validators: source, Limits: cfg.Ingest.Limits(), BatchSize: cfg.Ingest.BatchSize})
	require.NoError(t, err)
	lrn, err := learn.NewService(learn.ServiceConfig{Store: st, Queue: queue, Activated: source.Invalidate,
		MaxCategoryValues: cfg.Learn.MaxCategoryValues, EfSearch: cfg.Learn.EfSearch, Plausibility: plausibility,
		Gate: learn.GateConfig{MaxCleanFlagged: cfg.Learn.GateCleanFlagged, Records: cfg.Learn.GateRecords}})
	require.NoError(t, err)
	var limiter auth.Limiter = auth.NewMemoryLimiter(auth.MemoryLimiterConfig{Now: clock.Now})
	health := Health{Version: "test", Postgres: pool.Ping}
	if cfg.Redis.URL != "" {
		client, err := resp.Open(cfg.Redis.URL, resp.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = client.Close() })
		limiter = &auth.FallbackLimiter{Primary: auth.NewRedisLimiter(client, "pff:ratelimit:", clock.Now), Fallback: limiter, Logger: logger}
		health.Redis = client.Ping
	}
	engine, flowService := newFlowsService(t, st, queue, source)
	a, e, err := newServer(Deps{Config: cfg, Build: config.BuildInfo{Version: "test"}, Logger: logger, Registry: NewRegistry(pool, st, logger),
		Health: health, Accounts: accts, Records: recs, Library: knowledge.NewLibrary(st, source, engine.Catalog()), Learn: lrn,
		Jobs: queue, Limiter: limiter, Executions: flowService, FlowCatalog: engine.Catalog()})
	require.NoError(t, err)

	ts := &testServer{t: t, e: e, api: a, store: st, accounts: accts, tokens: tokens, versions: versions, clock: clock, cfg: cfg,
		bearers: map[auth.Role]string{}, ids: map[auth.Role]string{}}
	t.Cleanup(func() { ts.responses.validate(t, ts.e) })
	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin} {
		user := ts.createUser(role.String()+"1", role)
		token, _, err := tokens.Issue(user.ID, role, user.TokenVersion)
		require.NoError(t, err)
		ts.bearers[role], ts.ids[role] = token, user.ID
	}
	return ts
}

// newFlowsService runs fix flows against a simulated BSS seeded with a few
// generated records; lines are queued, not worked, unless a test starts
// workers.
func newFlowsService(t testing.TB, st *store.Store, queue *jobs.Client, validators validation.ValidatorSource) (*executions.Engine, *executions.Service) {
	t.Helper()
	sim := bsssim.New(bsssim.Config{Seed: 1})
	_, err := sim.AddGenerated(gen.Config{N: 3, Seed: 3})
	require.NoError(t, err)
	servers, err := sim.Start(bsssim.StartOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = servers.Close() })
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	systems := map[string]bss.SystemConfig{}
	for _, name := range cat.Systems() {
		systems[name] = bss.SystemConfig{Clusters: servers.URLs, Rate: 10_000}
	}
	client, err := bss.NewClient(cat, bss.Config{Systems: systems, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	engine, err := executions.NewEngine(executions.EngineConfig{Store: st, Client: client, Validators: validators})
	require.NoError(t, err)
	svc, err := executions.NewService(executions.ServiceConfig{Store: st, Queue: queue, Engine: engine})
	require.NoError(t, err)
	return engine, svc
}

func (ts *testServer) createUser(name string, role auth.Role) store.User {
	ts.t.Helper()
	user, err := ts.accounts.CreateUser(context.Background(),
		accounts.CreateUserRequest{Username: name, Email: name + "@example.com", Role: role.String(), Password: testPassword})
	if problem.Is(err, problem.Conflict) {
		// A replica on the database of another test server: the user is there.
		user, err = ts.accounts.UserByName(context.Background(), name)
	}
	require.NoError(ts.t, err)
	return user
}

type request struct {
	method, path, body, contentType string
	header                          map[string]string
	remoteAddr                      string
}

func (ts *testServer) do(r request) *httptest.ResponseRecorder {
	ts.t.Helper()
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = echo.MIMEApplicationJSON
		}
		req.Header.Set(echo.HeaderContentType, ct)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.remoteAddr != "" {
		req.RemoteAddr = r.remoteAddr
	}
	rec := httptest.NewRecorder()
	ts.e.ServeHTTP(rec, req)
	ts.responses.record(ts.e, req, rec)
	return rec
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func errorCode(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	require.NotEmpty(t, body.Error.RequestID)
	return body.Error.Code
}

// publicRoutes answer without credentials; every other route must not.
var publicRoutes = map[string]bool{
	"GET /health": true, "GET /health/detailed": true, "HEAD /health": true, "HEAD /health/detailed": true, "GET /metrics": true,
	"POST /api/v1/auth/login": true, "POST /api/v1/auth/token": true,
	"GET /api/v1/openapi.json": true, "GET /docs": true, "GET /docs/style.css": true,
}

// selfService are mutating routes every signed-in user may call on themselves.
var selfService = map[string]bool{"POST /api/v1/auth/logout": true, "POST /api/v1/auth/password": true}

func TestEveryRouteRequiresCredentialsAndViewersCannotMutate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	routes := ts.e.Routes()
	require.Greater(t, len(routes), len(publicRoutes))
	for _, r := range routes {
		name := r.Method + " " + r.Path
		path := strings.ReplaceAll(r.Path, ":id", "00000000-0000-0000-0000-000000000000")
		rec := ts.do(request{method: r.Method, path: path})
		if publicRoutes[name] {
			require.NotEqual(t, http.StatusUnauthorized, rec.Code, name)
			continue
		}
		require.Equal(t, http.StatusUnauthorized, rec.Code, name)
		require.Equal(t, "unauthenticated", errorCode(t, rec), name)
		require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer", name)

		if r.Method != http.MethodGet && !selfService[name] {
			rec = ts.do(request{method: r.Method, path: path, header: bearer(ts.bearers[auth.RoleViewer])})
			require.Equal(t, http.StatusForbidden, rec.Code, name)
			require.Equal(t, "forbidden", errorCode(t, rec), name)
		}
	}
}

func TestOpenAPIDocumentMatchesTheRegisteredRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	rec := ts.do(request{method: http.MethodGet, path: "/api/v1/openapi.json"})
	require.Equal(t, http.StatusOK, rec.Code)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			name := strings.ToUpper(method) + " " + path
			documented[name] = true
			_, secured := op["security"]
			require.Equal(t, !publicRoutes[strings.ToUpper(method)+" "+path], secured, "%s security", name)
		}
	}
	registered := map[string]bool{}
	for _, r := range ts.e.Routes() {
		registered[r.Method+" "+toOpenAPIPath(r.Path)] = true
	}
	require.Equal(t, registered, documented)

	rec = ts.do(request{method: http.MethodGet, path: "/docs"})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "text/html")
	require.Equal(t, docsCSP, rec.Header().Get("Content-Security-Policy"))
	require.NotContains(t, rec.Body.String(), "<script")
	require.Contains(t, rec.Body.String(), "/api/v1/users/{id}")
	rec = ts.do(request{method: http.MethodGet, path: "/docs/style.css"})
	require.Equal(t, http.StatusOK, rec.Code)
}

func TestRejectedAccessTokens(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin := ts.bearers[auth.RoleAdmin]
	secret := []byte(ts.cfg.Auth.JWTSecret)
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		token, err := jwt.NewWithClaims(method, claims).SignedString(key)
		require.NoError(t, err)
		return token
	}
	now := ts.clock.Now()
	claims := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": ts.ids[auth.RoleAdmin], "role": "admin", "ver": 0, "iss": "pff", "jti": "x",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	parts := strings.Split(admin, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, parts[2])
	noneToken := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims())
	hs512 := sign(jwt.SigningMethodHS512, secret, claims())
	future := claims()
	future["nbf"], future["iat"] = now.Add(time.Hour).Unix(), now.Add(time.Hour).Unix()
	notYetValid := sign(jwt.SigningMethodHS256, secret, future)

	tests := map[string]string{
		"tampered signature": tampered,
		"alg none":           noneToken,
		"another algorithm":  hs512,
		"not yet valid":      notYetValid,
		"garbage":            "not.a.jwt",
	}
	for name, token := range tests {
		rec := ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: bearer(token)})
		require.Equal(t, http.StatusUnauthorized, rec.Code, name)
	}
	rec := ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: bearer(admin)})
	require.Equal(t, http.StatusOK, rec.Code, "the untampered token works")

	ts.clock.Advance(31 * time.Minute)
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: bearer(admin)})
	require.Equal(t, http.StatusUnauthorized, rec.Code, "expired")
}

func TestLogoutAndDisablingRevokeTokensAtOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	me := request{method: http.MethodGet, path: "/api/v1/auth/me"}

	operator := ts.bearers[auth.RoleOperator]
	me.header = bearer(operator)
	require.Equal(t, http.StatusOK, ts.do(me).Code)
	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/auth/logout", header: bearer(operator)})
	require.Equal(t, http.StatusNoContent, rec.Code)
	require.Equal(t, http.StatusUnauthorized, ts.do(me).Code, "revoked by logout")

	viewer := ts.bearers[auth.RoleViewer]
	me.header = bearer(viewer)
	require.Equal(t, http.StatusOK, ts.do(me).Code)
	rec = ts.do(request{method: http.MethodPatch, path: "/api/v1/users/" + ts.ids[auth.RoleViewer], body: `{"active":false}`,
		header: bearer(ts.bearers[auth.RoleAdmin])})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, http.StatusUnauthorized, ts.do(me).Code, "disabled user")
}

func TestLogin(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	login := func(body string) *httptest.ResponseRecorder {
		return ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", body: body})
	}
	rec := login(`{"username":"admin1","password":"` + testPassword + `"}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var token accounts.Token
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &token))
	require.Equal(t, "bearer", token.TokenType)
	require.Equal(t, 1800, token.ExpiresIn)
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/users", header: bearer(token.AccessToken)})
	require.Equal(t, http.StatusOK, rec.Code)

	form := url.Values{"grant_type": {"password"}, "username": {"viewer1"}, "password": {testPassword}}.Encode()
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/auth/token", body: form, contentType: echo.MIMEApplicationForm})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	wrongPassword := login(`{"username":"admin1","password":"not the password"}`)
	unknownUser := login(`{"username":"nobody","password":"not the password"}`)
	require.Equal(t, http.StatusUnauthorized, wrongPassword.Code)
	require.Equal(t, http.StatusUnauthorized, unknownUser.Code)
	require.Equal(t, wrongPassword.Body.String()[:60], unknownUser.Body.String()[:60], "same answer for unknown user and wrong password")

	tests := []struct {
		name, body, contentType string
		wantCode                int
		wantError               string
	}{
		{"SQL injection", `{"username":"admin1' OR '1'='1","password":"x' OR 1=1 --"}`, "", 401, "invalid_credentials"},
		{"unknown field", `{"username":"admin1","password":"x","admin":true}`, "", 400, "unknown_field"},
		{"trailing data", `{"username":"admin1","password":"x"} {}`, "", 400, "invalid_json"},
		{"not JSON", `username=admin1`, "text/plain", 415, "unsupported_media_type"},
		{"malformed JSON", `{"username":`, "", 400, "invalid_json"},
		{"wrong type", `{"username":1,"password":"x"}`, "", 400, "validation_failed"},
		{"empty fields", `{}`, "", 400, "validation_failed"},
		{"array", `[]`, "", 400, "invalid_json"},
		{"oversized", `{"username":"` + strings.Repeat("a", 8<<10) + `","password":"x"}`, "", 413, "request_too_large"},
	}
	for _, tt := range tests {
		rec := ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", body: tt.body, contentType: tt.contentType})
		require.Equal(t, tt.wantCode, rec.Code, "%s: %s", tt.name, rec.Body.String())
		require.Equal(t, tt.wantError, errorCode(t, rec), tt.name)
	}
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/auth/token", contentType: echo.MIMEApplicationForm,
		body: url.Values{"grant_type": {"client_credentials"}}.Encode()})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Equal(t, "unsupported_grant_type", errorCode(t, rec))
}

func TestLoginRateLimitPerClientIP(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) { cfg.RateLimit.AuthPerMinute = 3 })
	attempt := func(remote, forwarded string) *httptest.ResponseRecorder {
		return ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: remote,
			body: `{"username":"x` + remote + `","password":"wrong"}`, header: map[string]string{"X-Forwarded-For": forwarded}})
	}
	for i := range 3 {
		rec := attempt("198.51.100.7:1000", "203.0.113."+string(rune('1'+i)))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		require.Equal(t, "3", rec.Header().Get("RateLimit-Limit"))
	}
	rec := attempt("198.51.100.7:1000", "203.0.113.99")
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "X-Forwarded-For from an untrusted peer changes nothing")
	require.Equal(t, "rate_limited", errorCode(t, rec))
	require.Equal(t, "20", rec.Header().Get("Retry-After"))
	require.Equal(t, "0", rec.Header().Get("RateLimit-Remaining"))

	require.Equal(t, http.StatusUnauthorized, attempt("198.51.100.8:1000", "").Code, "another client has its own budget")
	ts.clock.Advance(20 * time.Second)
	require.Equal(t, http.StatusUnauthorized, attempt("198.51.100.7:1000", "").Code, "the budget refills")
}

func TestTrustedProxyForwardsTheClientIP(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) {
		cfg.RateLimit.AuthPerMinute = 1
		cfg.HTTP.TrustedProxies = []string{"10.0.0.0/8"}
	})
	attempt := func(client string) int {
		return ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: "10.1.2.3:4000",
			body: `{"username":"x","password":"wrong"}`, header: map[string]string{"X-Forwarded-For": client}}).Code
	}
	require.Equal(t, http.StatusUnauthorized, attempt("203.0.113.1"))
	require.Equal(t, http.StatusTooManyRequests, attempt("203.0.113.1"))
	require.Equal(t, http.StatusUnauthorized, attempt("203.0.113.2"), "clients behind the proxy are told apart")
}

func TestRepeatedFailedLoginsLockTheUsername(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	attempt := func(password string) *httptest.ResponseRecorder {
		return ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: "198.51.100.7:1000",
			body: `{"username":"operator1","password":"` + password + `"}`})
	}
	locked := false
	for range 50 {
		rec := attempt("wrong password")
		if rec.Code == http.StatusTooManyRequests {
			require.Equal(t, "login_locked", errorCode(t, rec))
			require.NotEmpty(t, rec.Header().Get("Retry-After"))
			locked = true
			break
		}
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	}
	require.True(t, locked, "failures slow down and lock the username")
	require.Equal(t, http.StatusTooManyRequests, attempt(testPassword).Code, "even the right password waits")

	other := ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: "192.0.2.50:1000",
		body: `{"username":"viewer1","password":"` + testPassword + `"}`})
	require.Equal(t, http.StatusOK, other.Code, "other usernames are not affected")

	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/users/" + ts.ids[auth.RoleOperator] + "/unlock", header: bearer(ts.bearers[auth.RoleAdmin])})
	require.Equal(t, http.StatusNoContent, rec.Code)
	require.Equal(t, http.StatusOK, attempt(testPassword).Code, "an admin unlocks")
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin := bearer(ts.bearers[auth.RoleAdmin])
	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/api-keys", header: admin, body: `{"username":"operator1","name":"ci"}`})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var created accounts.CreatedAPIKey
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
	require.True(t, strings.HasPrefix(created.Key, auth.APIKeyPrefix))

	last := created.Key[len(created.Key)-1]
	wrongSecret := created.Key[:len(created.Key)-1] + map[bool]string{true: "b", false: "a"}[last == 'a']
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: map[string]string{"X-API-Key": wrongSecret}})
	require.Equal(t, http.StatusUnauthorized, rec.Code, "the right id with a wrong secret")
	stored, err := ts.store.APIKeyForAuth(context.Background(), created.APIKey.ID)
	require.NoError(t, err)
	require.Nil(t, stored.LastUsedAt, "a key that did not verify was not used")

	me := request{method: http.MethodGet, path: "/api/v1/auth/me", header: map[string]string{"X-API-Key": created.Key}}
	rec = ts.do(me)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Body.String(), `"username":"operator1"`)
	require.Equal(t, http.StatusOK, ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: bearer(created.Key)}).Code)
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/users", header: bearer(created.Key)})
	require.Equal(t, http.StatusForbidden, rec.Code, "a key carries its user's role")
	stored, err = ts.store.APIKeyForAuth(context.Background(), created.APIKey.ID)
	require.NoError(t, err)
	require.NotNil(t, stored.LastUsedAt, "its use is recorded")

	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/api-keys", header: admin})
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotContains(t, rec.Body.String(), created.Key, "the key is shown once")

	rec = ts.do(request{method: http.MethodDelete, path: "/api/v1/api-keys/" + created.APIKey.ID, header: admin})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, http.StatusUnauthorized, ts.do(me).Code, "revoked")
	require.Equal(t, http.StatusUnauthorized, ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me",
		header: map[string]string{"X-API-Key": auth.APIKeyPrefix + "nope_nope"}}).Code)

	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/api-keys", header: admin, body: `{"username":"ghost","name":"","expires_at":"2000-01-01T00:00:00Z"}`})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	var problems struct {
		Error struct {
			Details []problem.Field `json:"details"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &problems))
	require.Len(t, problems.Error.Details, 3, "every bad field is listed: %s", rec.Body.String())
}

func TestUsersAndAudit(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	admin := bearer(ts.bearers[auth.RoleAdmin])
	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/users", header: admin,
		body: `{"username":"x","email":"nope","role":"root","password":"short"}`})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	for _, field := range []string{`"field":"username"`, `"field":"email"`, `"field":"role"`, `"field":"password"`} {
		require.Contains(t, rec.Body.String(), field)
	}
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/users", header: admin,
		body: `{"username":"dana","email":"dana@example.com","role":"operator","password":"` + testPassword + `"}`})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	require.NotContains(t, rec.Body.String(), "argon2")
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/users", header: admin,
		body: `{"username":"DANA","email":"dana2@example.com","role":"operator","password":"` + testPassword + `"}`})
	require.Equal(t, http.StatusConflict, rec.Code)

	var first page[store.User]
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/users?limit=2", header: admin})
	require.Equal(t, http.StatusOK, rec.Code)
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &first))
	require.Len(t, first.Items, 2)
	require.NotNil(t, first.NextCursor)
	var second page[store.User]
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/users?limit=2&cursor=" + *first.NextCursor, header: admin})
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &second))
	require.Len(t, second.Items, 2)
	require.Nil(t, second.NextCursor)
	require.Equal(t, http.StatusBadRequest, ts.do(request{method: http.MethodGet, path: "/api/v1/users?limit=1000", header: admin}).Code)
	require.Equal(t, http.StatusBadRequest, ts.do(request{method: http.MethodGet, path: "/api/v1/users?cursor=!!", header: admin}).Code)

	rec = ts.do(request{method: http.MethodPatch, path: "/api/v1/users/" + ts.ids[auth.RoleAdmin], header: admin, body: `{"role":"viewer"}`})
	require.Equal(t, http.StatusBadRequest, rec.Code, "admins cannot demote themselves")
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/users/" + ts.ids[auth.RoleAdmin] + "x", header: admin})
	require.Equal(t, http.StatusNotFound, rec.Code)

	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/audit?route=/api/v1/users&limit=10", header: admin})
	require.Equal(t, http.StatusOK, rec.Code)
	var audit page[store.AuditEntry]
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &audit))
	var statuses []string
	for _, e := range audit.Items {
		statuses = append(statuses, e.Status)
		require.Equal(t, "user:"+ts.ids[auth.RoleAdmin], e.Actor)
		require.NotEmpty(t, e.RequestID)
	}
	require.Equal(t, []string{"failed", "succeeded", "failed"}, statuses, "newest first: conflict, created, invalid")

	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/users", header: bearer(ts.bearers[auth.RoleViewer]), body: `{}`})
	require.Equal(t, http.StatusForbidden, rec.Code)
	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/audit?status=denied", header: admin})
	require.Contains(t, rec.Body.String(), `"actor":"user:`+ts.ids[auth.RoleViewer])
	require.Equal(t, http.StatusForbidden, ts.do(request{method: http.MethodGet, path: "/api/v1/audit", header: bearer(ts.bearers[auth.RoleOperator])}).Code)
}

func TestSecurityHeadersAndCORS(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) { cfg.HTTP.CORSOrigins = []string{"https://ops.example.com"} })
	rec := ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: map[string]string{"Origin": "https://ops.example.com"}})
	require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"))
	require.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
	require.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'none'")
	require.Equal(t, "https://ops.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	require.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"))

	rec = ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: map[string]string{"Origin": "https://evil.example.com"}})
	require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	viewer := bearer(ts.bearers[auth.RoleViewer])
	rec := ts.do(request{method: http.MethodPost, path: "/api/v1/auth/password", header: viewer,
		body: `{"current_password":"wrong","new_password":"short"}`})
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), "current_password")
	require.Contains(t, rec.Body.String(), "new_password")
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/auth/password", header: viewer,
		body: `{"current_password":"` + testPassword + `","new_password":"a much better passphrase"}`})
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	require.Equal(t, http.StatusUnauthorized, ts.do(request{method: http.MethodGet, path: "/api/v1/auth/me", header: viewer}).Code)
	rec = ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", body: `{"username":"viewer1","password":"a much better passphrase"}`})
	require.Equal(t, http.StatusOK, rec.Code)
}

// FuzzLoginDecoding throws arbitrary bodies at the JSON decoder of the login
// route: every answer is a clean 4xx, never a 500 or a panic.
func FuzzLoginDecoding(f *testing.F) {
	for _, seed := range []string{`{"username":"a","password":"b"}`, `{"username":`, `[]`, `{"x":1}`, `{} {}`, `null`, `"s"`, "\xff"} {
		f.Add(seed)
	}
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.DiscardHandler))
	e.POST("/", func(c echo.Context) error {
		var req loginRequest
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}, limitBody(1<<10))
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d: %s", body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusNoContent {
			var parsed map[string]map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &parsed); err != nil || parsed["error"]["code"] == "" {
				t.Fatalf("body %q: error response %q is not in the API's shape", body, rec.Body.String())
			}
		}
		_, _ = io.Copy(io.Discard, rec.Body)
	})
}

func TestTokenVersionsFollowChangesMadeElsewhere(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	me := request{method: http.MethodGet, path: "/api/v1/auth/me", header: bearer(ts.bearers[auth.RoleOperator])}
	deadline := time.Now().Add(10 * time.Second)
	for !ts.versions.Listening() {
		require.True(t, time.Now().Before(deadline), "never listened")
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, http.StatusOK, ts.do(me).Code, "caches the version")
	// Another replica (here: the store directly) revokes the tokens.
	require.NoError(t, ts.store.RevokeTokens(context.Background(), ts.ids[auth.RoleOperator]))
	for ts.do(me).Code != http.StatusUnauthorized {
		require.True(t, time.Now().Before(deadline), "the notification never arrived")
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReplicasShareOneRateLimitBudgetThroughRedis(t *testing.T) {
	t.Parallel()
	// Two API instances, as two replicas would be, on one Redis; a fresh
	// client IP keeps this test's budget its own.
	configure := func(cfg *config.Config) {
		cfg.Redis.URL = "redis://127.0.0.1:6379/0"
		cfg.RateLimit.AuthPerMinute = 2
	}
	replicas := []*testServer{newTestServer(t, configure), newTestServer(t, configure)}
	client := fmt.Sprintf("198.18.%d.%d:5000", time.Now().UnixNano()%250, time.Now().UnixNano()/7%250)
	var codes []int
	for i := range 3 {
		rec := replicas[i%2].do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: client,
			body: `{"username":"nobody","password":"wrong"}`})
		codes = append(codes, rec.Code)
	}
	require.Equal(t, []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests}, codes)
}

func TestRateLimitsFallBackToMemoryWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(cfg *config.Config) {
		cfg.Redis.URL = "redis://" + testkit.FreeAddr(t) + "/0"
		cfg.RateLimit.AuthPerMinute = 1
	})
	attempt := func() int {
		return ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: "198.51.100.9:1",
			body: `{"username":"nobody","password":"wrong"}`}).Code
	}
	require.Equal(t, http.StatusUnauthorized, attempt(), "Redis down: the request is still served")
	require.Equal(t, http.StatusTooManyRequests, attempt(), "and still limited, in memory")
}
