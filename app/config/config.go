// Package config is PFF's configuration: its keys and defaults, how they are
// loaded from a YAML file, the environment and flags, and how they are checked.
// Messages name the keys a user writes (ingest.max_string_length), never Go
// fields.
package config

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pff/pff/app/bss"
)

// Config is PFF's whole configuration. Every key is documented in
// DEPLOYMENT.md; defaults lists them all with their defaults.
type Config struct {
	// Env is "development" or "production"; production refuses weak secrets
	// and logs JSON.
	Env       string          `koanf:"env"`
	Log       LogConfig       `koanf:"log"`
	HTTP      HTTPConfig      `koanf:"http"`
	Worker    WorkerConfig    `koanf:"worker"`
	Jobs      JobsConfig      `koanf:"jobs"`
	Database  DatabaseConfig  `koanf:"database"`
	Redis     RedisConfig     `koanf:"redis"`
	Auth      AuthConfig      `koanf:"auth"`
	Audit     AuditConfig     `koanf:"audit"`
	RateLimit RateLimitConfig `koanf:"rate_limit"`
	Ingest    IngestConfig    `koanf:"ingest"`
	Learn     LearnConfig     `koanf:"learn"`
	// BSS are the telecom systems fix flows call; Flows how executions run.
	BSS   bss.Config  `koanf:"bss"`
	Flows FlowsConfig `koanf:"flows"`
	// Telemetry exports traces; off unless an endpoint is set.
	Telemetry TelemetryConfig `koanf:"telemetry"`
	// BootstrapAdmin and BootstrapPassword create the first admin at start
	// when the users table is empty (PFF_BOOTSTRAP_ADMIN, PFF_BOOTSTRAP_PASSWORD).
	BootstrapAdmin    string `koanf:"bootstrap_admin"`
	BootstrapPassword string `koanf:"bootstrap_password"`
	BootstrapEmail    string `koanf:"bootstrap_email"`
}

// LogConfig configures log/slog.
type LogConfig struct {
	Level string `koanf:"level"`
	// Format is "json", "text", or "" for JSON in production and text otherwise.
	Format string `koanf:"format"`
}

// HTTPConfig configures the API server of `pff serve`.
type HTTPConfig struct {
	Addr              string        `koanf:"addr"`
	ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
	ReadTimeout       time.Duration `koanf:"read_timeout"`
	WriteTimeout      time.Duration `koanf:"write_timeout"`
	IdleTimeout       time.Duration `koanf:"idle_timeout"`
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// SIGTERM before their connections are closed.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	// MaxBodySize is the default request body limit, e.g. "10MiB".
	MaxBodySize ByteSize `koanf:"max_body_size"`
	// RequestTimeout bounds the work of one API request.
	RequestTimeout time.Duration `koanf:"request_timeout"`
	// CORSOrigins may call the API from a browser; empty allows none.
	CORSOrigins []string `koanf:"cors_origins"`
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string `koanf:"trusted_proxies"`
}

// WorkerConfig configures the health and metrics listener of `pff worker`.
type WorkerConfig struct {
	Addr string `koanf:"addr"`
}

// JobsConfig configures the River workers.
type JobsConfig struct {
	// Workers is how many jobs run at once; 0 makes the process insert-only.
	Workers int `koanf:"workers"`
	// StopTimeout is how long running jobs may finish on shutdown before they
	// are cancelled and handed back to the queue.
	StopTimeout time.Duration `koanf:"stop_timeout"`
}

// LearnConfig configures the learning pipeline: the knowledge graph, training
// and the learned term of validation.
type LearnConfig struct {
	// MaxCategoryValues is the most distinct objects a categorical predicate
	// may have and still be learned from.
	MaxCategoryValues int `koanf:"max_category_values"`
	// TrainTimeout bounds one attempt of a training job. The job of a dead
	// worker is resumed by the heartbeats (jobs/heartbeat.go) within about a
	// minute, whatever this is; River's rescuer, after TrainTimeout plus 10
	// minutes, is the backstop.
	TrainTimeout time.Duration `koanf:"train_timeout"`
	// MinConfidence is the least probability that a fact is wrong for a
	// report to name it.
	MinConfidence float64 `koanf:"min_confidence"`
	// FactErrorRate is the prior probability that a categorical fact of a
	// record is wrong, which turns the model's odds into probabilities.
	FactErrorRate float64 `koanf:"fact_error_rate"`
	// EfSearch is pgvector's hnsw.ef_search for predictions.
	EfSearch int `koanf:"ef_search"`
	// ModelFindings is what the active model's findings may decide:
	// "review" (they send a record to REVIEW at most; only the schema,
	// rules, checks and constraints reject) or "score".
	ModelFindings string `koanf:"model_findings"`
	// GateCleanFlagged is the largest share of clean held-out records a
	// model may flag and still be activated without force.
	GateCleanFlagged float64 `koanf:"gate_clean_flagged"`
	// GateRecords is how many held-out records the quality gate measures
	// a model on, at most.
	GateRecords int `koanf:"gate_records"`
}

// FlowsConfig configures executions of fix flows.
type FlowsConfig struct {
	// ApprovalLines is the most lines an execution may have and start without
	// a second person's approval.
	ApprovalLines int `koanf:"approval_lines"`
	// MaxLines bounds one execution.
	MaxLines int `koanf:"max_lines"`
	// Workers is how many lines a process runs at once, besides
	// jobs.workers: lines mostly wait for BSS.
	Workers int `koanf:"workers"`
}

// TelemetryConfig configures OpenTelemetry tracing. Tracing is off (no
// tracer provider at all) while OTLPEndpoint is empty.
type TelemetryConfig struct {
	// OTLPEndpoint is the OTLP/HTTP receiver traces are sent to, e.g.
	// http://otel-collector:4318 (/v1/traces is added to a URL without a
	// path; a URL with a path is used as it is). The environment's
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT set it
	// too.
	OTLPEndpoint string `koanf:"otlp_endpoint"`
	// ServiceName is the service.name of the spans (OTEL_SERVICE_NAME sets
	// it too).
	ServiceName string `koanf:"service_name"`
	// SampleRatio is the share of traces started here that are kept; a
	// trace started upstream follows its parent's decision.
	SampleRatio float64 `koanf:"sample_ratio"`
}

// Enabled reports whether traces are exported.
func (c TelemetryConfig) Enabled() bool { return c.OTLPEndpoint != "" }

// TracesURL is where traces are sent: OTLPEndpoint, with /v1/traces added
// when it has no path.
func (c TelemetryConfig) TracesURL() string {
	u, err := url.Parse(c.OTLPEndpoint)
	if err != nil || c.OTLPEndpoint == "" {
		return c.OTLPEndpoint
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String()
}

// DatabaseConfig configures PostgreSQL.
type DatabaseConfig struct {
	URL      string `koanf:"url"`
	MaxConns int32  `koanf:"max_conns"`
	MinConns int32  `koanf:"min_conns"`
	// ConnectTimeout is how long start-up keeps retrying an unreachable server.
	ConnectTimeout time.Duration `koanf:"connect_timeout"`
}

// RedisConfig configures the optional Redis cache; an empty URL disables it.
type RedisConfig struct {
	URL string `koanf:"url"`
}

// AuthConfig configures access tokens.
type AuthConfig struct {
	JWTSecret string        `koanf:"jwt_secret"`
	TokenTTL  time.Duration `koanf:"token_ttl"`
	Issuer    string        `koanf:"issuer"`
}

// RateLimitConfig sets request budgets per route group: per client IP for
// the auth endpoints, per credential for the rest of the API.
type RateLimitConfig struct {
	AuthPerMinute  int `koanf:"auth_per_minute"`
	ReadPerMinute  int `koanf:"read_per_minute"`
	WritePerMinute int `koanf:"write_per_minute"`
}

// AuditConfig configures the audit log.
type AuditConfig struct {
	// RetentionDays is how long audit entries are kept before a daily job
	// deletes them.
	RetentionDays int `koanf:"retention_days"`
}

// IngestConfig bounds uploads of records (POST /api/v1/records and
// pff ingest) and sizes the batches they are written in.
type IngestConfig struct {
	// UploadTimeout bounds one POST /api/v1/records, instead of
	// http.request_timeout and the server's read and write timeouts.
	UploadTimeout   time.Duration `koanf:"upload_timeout"`
	MaxUploadSize   ByteSize      `koanf:"max_upload_size"`
	MaxRecords      int           `koanf:"max_records"`
	MaxDocumentSize ByteSize      `koanf:"max_document_size"`
	MaxInflatedSize ByteSize      `koanf:"max_inflated_size"`
	// MaxInflateRatio refuses zip and gzip bombs: decompressed bytes per
	// compressed byte.
	MaxInflateRatio float64  `koanf:"max_inflate_ratio"`
	MaxDepth        int      `koanf:"max_depth"`
	MaxStringLength ByteSize `koanf:"max_string_length"`
	// BatchSize is how many records one transaction writes.
	BatchSize int `koanf:"batch_size"`
}

// InsecureDevSecret is the JWT secret of a development install. Production
// refuses it.
const InsecureDevSecret = "insecure-development-secret-change-me"

func defaults() map[string]any {
	d := map[string]any{
		"env":                         "development",
		"log.level":                   "info",
		"log.format":                  "",
		"http.addr":                   ":8000",
		"http.read_header_timeout":    "5s",
		"http.read_timeout":           "60s",
		"http.write_timeout":          "60s",
		"http.idle_timeout":           "120s",
		"http.shutdown_timeout":       "15s",
		"http.max_body_size":          "10MiB",
		"http.request_timeout":        "30s",
		"http.cors_origins":           []string{},
		"http.trusted_proxies":        []string{},
		"worker.addr":                 ":8001",
		"jobs.workers":                10,
		"jobs.stop_timeout":           "30s",
		"database.url":                "postgres://postgres@127.0.0.1:5432/pff?sslmode=disable",
		"database.max_conns":          20,
		"database.min_conns":          0,
		"database.connect_timeout":    "30s",
		"redis.url":                   "",
		"auth.jwt_secret":             InsecureDevSecret,
		"auth.token_ttl":              "30m",
		"auth.issuer":                 "pff",
		"audit.retention_days":        365,
		"rate_limit.auth_per_minute":  10,
		"rate_limit.read_per_minute":  600,
		"rate_limit.write_per_minute": 120,
		"ingest.upload_timeout":       "1h",
		"ingest.max_upload_size":      "1GiB",
		"ingest.max_records":          100_000,
		"ingest.max_document_size":    "16MiB",
		"ingest.max_inflated_size":    "4GiB",
		"ingest.max_inflate_ratio":    100,
		"ingest.max_depth":            64,
		"ingest.max_string_length":    "1MiB",
		"ingest.batch_size":           500,
		"learn.max_category_values":   1000,
		"learn.train_timeout":         "2h",
		"learn.min_confidence":        0.9,
		"learn.fact_error_rate":       0.01,
		"learn.ef_search":             100,
		"learn.model_findings":        "review",
		"learn.gate_clean_flagged":    0.01,
		"learn.gate_records":          300,
		"flows.approval_lines":        500,
		"flows.max_lines":             100_000,
		"flows.workers":               50,
		"telemetry.otlp_endpoint":     "",
		"telemetry.service_name":      "pff",
		"telemetry.sample_ratio":      1.0,
		"bootstrap_admin":             "",
		"bootstrap_password":          "",
		"bootstrap_email":             "",
	}
	for _, system := range BSSSystems() {
		for key, value := range bssDefaults() {
			d["bss.systems."+system+"."+key] = value
		}
	}
	return d
}

// BSSSystems are the systems the embedded operation catalogue calls, each a
// section bss.systems.<name> of the configuration. A test keeps the two
// lists equal.
func BSSSystems() []string { return []string{"bias", "bae", "cpm"} }

// bssDefaults are the keys of one BSS system with their defaults; a system
// without clusters is not configured, and fix flows need all of them.
func bssDefaults() map[string]any {
	return map[string]any{
		"clusters":           []string{},
		"timeout":            bss.DefaultTimeout.String(),
		"rate":               bss.DefaultRate,
		"burst":              bss.DefaultBurst,
		"max_in_flight":      bss.DefaultMaxInFlight,
		"breaker.failures":   bss.DefaultBreakerFailures,
		"breaker.cool_down":  bss.DefaultBreakerCoolDown.String(),
		"breaker.probes":     bss.DefaultBreakerProbes,
		"tls.ca_file":        "",
		"tls.cert_file":      "",
		"tls.key_file":       "",
		"tls.server_name":    "",
		"auth.type":          "none",
		"auth.username_env":  "",
		"auth.password_env":  "",
		"auth.token_env":     "",
		"max_retry_after":    bss.DefaultMaxRetryAfter.String(),
		"max_response_bytes": bss.DefaultMaxResponseBytes,
		"cluster_down_for":   bss.DefaultClusterDownFor.String(),
	}
}

// FlowsEnabled reports whether BSS is configured, so fix flows can run.
func (c Config) FlowsEnabled() bool {
	for _, s := range c.BSS.Systems {
		if len(s.Clusters) > 0 {
			return true
		}
	}
	return false
}

// Production reports whether PFF runs with production safeguards.
func (c Config) Production() bool { return c.Env == "production" }

// Redacted returns the configuration as it may be shown: passwords in URLs
// and secrets replaced.
func (c Config) Redacted() Config {
	out := c
	out.Database.URL = redactURL(c.Database.URL)
	out.Redis.URL = redactURL(c.Redis.URL)
	out.Telemetry.OTLPEndpoint = redactURL(c.Telemetry.OTLPEndpoint)
	if c.BootstrapPassword != "" {
		out.BootstrapPassword = "(redacted)"
	}
	if c.Auth.JWTSecret == InsecureDevSecret {
		out.Auth.JWTSecret = "(insecure development default)"
	} else if c.Auth.JWTSecret != "" {
		out.Auth.JWTSecret = "(redacted)"
	}
	return out
}

// secretName matches the names of settings and URL parameters that hold
// secrets.
var secretName = regexp.MustCompile(`(?i)pass|secret|token|credential|api_?key|sslkey`)

// IsSecretName reports whether a key or parameter of that name holds a secret.
func IsSecretName(name string) bool { return secretName.MatchString(name) }

// redactURL hides the password of a URL's userinfo and every query parameter
// named like a secret (postgres://...?password=...). A keyword/value
// connection string (host=db password=...) has its secret values hidden too.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		if strings.Contains(raw, "=") && !strings.Contains(raw, "://") {
			return redactKeywords(raw)
		}
		return "(redacted: not a URL)"
	}
	if q := u.Query(); len(q) > 0 {
		for name := range q {
			if IsSecretName(name) {
				q.Set(name, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// redactKeywords hides the values of secret keys in "k=v k=v" strings.
func redactKeywords(raw string) string {
	fields := strings.Fields(raw)
	for i, f := range fields {
		if k, _, ok := strings.Cut(f, "="); ok && IsSecretName(k) {
			fields[i] = k + "=xxxxx"
		}
	}
	return strings.Join(fields, " ")
}
