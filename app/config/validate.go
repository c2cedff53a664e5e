package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/ingest"
	"github.com/pff/pff/app/resp"
)

// keyProblem is an invalid value: its key, where it was set, and what is
// wrong with it.
type keyProblem struct {
	key, where, problem string
}

func (p *keyProblem) Error() string { return "config: " + p.where + p.key + ": " + p.problem }

func problem(key, format string, args ...any) error {
	return &keyProblem{key: key, problem: fmt.Sprintf(format, args...)}
}

func (c Config) validate() error {
	if !slices.Contains([]string{"development", "production"}, c.Env) {
		return problem("env", "%q is not development or production", c.Env)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return problem("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	if !slices.Contains([]string{"", "json", "text"}, c.Log.Format) {
		return problem("log.format", "%q is not json or text", c.Log.Format)
	}
	for key, addr := range map[string]string{"http.addr": c.HTTP.Addr, "worker.addr": c.Worker.Addr} {
		if err := validateAddr(addr); err != nil {
			return problem(key, "%v", err)
		}
	}
	for key, d := range map[string]time.Duration{
		"http.read_header_timeout": c.HTTP.ReadHeaderTimeout,
		"http.read_timeout":        c.HTTP.ReadTimeout,
		"http.write_timeout":       c.HTTP.WriteTimeout,
		"http.idle_timeout":        c.HTTP.IdleTimeout,
		"http.shutdown_timeout":    c.HTTP.ShutdownTimeout,
		"http.request_timeout":     c.HTTP.RequestTimeout,
		"auth.token_ttl":           c.Auth.TokenTTL,
		"ingest.upload_timeout":    c.Ingest.UploadTimeout,
		"jobs.stop_timeout":        c.Jobs.StopTimeout,
		"learn.train_timeout":      c.Learn.TrainTimeout,
		"database.connect_timeout": c.Database.ConnectTimeout,
	} {
		if d <= 0 {
			return problem(key, "must be a positive duration such as 30s, got %s", d)
		}
	}
	if c.HTTP.MaxBodySize <= 0 {
		return problem("http.max_body_size", "must be positive")
	}
	if c.Jobs.Workers < 0 || c.Jobs.Workers > 10_000 {
		return problem("jobs.workers", "%d is outside 0..10000", c.Jobs.Workers)
	}
	for key, n := range map[string]int{
		"rate_limit.auth_per_minute":  c.RateLimit.AuthPerMinute,
		"rate_limit.read_per_minute":  c.RateLimit.ReadPerMinute,
		"rate_limit.write_per_minute": c.RateLimit.WritePerMinute,
	} {
		if n < 1 || n > 1_000_000 {
			return problem(key, "%d is outside 1..1000000", n)
		}
	}
	for _, origin := range c.HTTP.CORSOrigins {
		if u, err := url.Parse(origin); origin == "*" || err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
			return problem("http.cors_origins", "%q is not an origin such as https://ops.example.com (list origins explicitly; no wildcard)", origin)
		}
	}
	if _, err := auth.ParseTrustedProxies(c.HTTP.TrustedProxies); err != nil {
		return problem("http.trusted_proxies", "%v", err)
	}
	if c.Auth.Issuer == "" {
		return problem("auth.issuer", "is required")
	}
	if (c.BootstrapAdmin == "") != (c.BootstrapPassword == "") {
		return problem("bootstrap_password", "bootstrap_admin and bootstrap_password are set together or not at all")
	}
	if err := c.Ingest.validate(); err != nil {
		return err
	}
	switch l := c.Learn; {
	case l.MaxCategoryValues < 1:
		return problem("learn.max_category_values", "must be at least 1")
	case l.MinConfidence <= 0 || l.MinConfidence >= 1:
		return problem("learn.min_confidence", "%v is outside (0, 1)", l.MinConfidence)
	case l.FactErrorRate <= 0 || l.FactErrorRate >= 1:
		return problem("learn.fact_error_rate", "%v is outside (0, 1)", l.FactErrorRate)
	case l.EfSearch < 1 || l.EfSearch > 1000:
		return problem("learn.ef_search", "%d is outside 1..1000 (pgvector's range)", l.EfSearch)
	case l.ModelFindings != "review" && l.ModelFindings != "score":
		return problem("learn.model_findings", "%q: want review (the model alone never rejects) or score", l.ModelFindings)
	case l.GateCleanFlagged <= 0 || l.GateCleanFlagged >= 1:
		return problem("learn.gate_clean_flagged", "%v is outside (0, 1)", l.GateCleanFlagged)
	case l.GateRecords < 1 || l.GateRecords > 100_000:
		return problem("learn.gate_records", "%d is outside 1..100000", l.GateRecords)
	}
	if c.Flows.ApprovalLines < 1 {
		return problem("flows.approval_lines", "must be at least 1")
	}
	if c.Flows.Workers < 0 || c.Flows.Workers > 10_000 {
		return problem("flows.workers", "%d is outside 0..10000", c.Flows.Workers)
	}
	if c.Flows.MaxLines < 1 || c.Flows.MaxLines > 1_000_000 {
		return problem("flows.max_lines", "%d is outside 1..1000000", c.Flows.MaxLines)
	}
	if c.FlowsEnabled() {
		if err := c.BSS.Validate(); err != nil {
			// bss names the key already (bss.systems.bias.clusters: ...).
			return &keyProblem{key: "bss", problem: strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", "; "), "bss.")}
		}
	}
	if c.Audit.RetentionDays < 1 {
		return problem("audit.retention_days", "must be at least 1")
	}
	if c.Database.URL == "" {
		return problem("database.url", "is required (or set DATABASE_URL)")
	}
	if _, err := pgx.ParseConfig(c.Database.URL); err != nil {
		// pgx's message may quote the URL, password included.
		return problem("database.url", "is not a valid PostgreSQL connection string")
	}
	if c.Database.MaxConns < 1 {
		return problem("database.max_conns", "must be at least 1")
	}
	if c.Database.MinConns < 0 || c.Database.MinConns > c.Database.MaxConns {
		return problem("database.min_conns", "must be between 0 and database.max_conns (%d)", c.Database.MaxConns)
	}
	if c.Redis.URL != "" {
		if err := resp.ValidateURL(c.Redis.URL); err != nil {
			return problem("redis.url", "is not a valid redis:// or rediss:// URL")
		}
	}
	if err := c.Telemetry.validate(); err != nil {
		return err
	}
	if c.Production() {
		if err := strongSecret(c.Auth.JWTSecret); err != nil {
			return problem("auth.jwt_secret", "%v (production refuses weak secrets; generate one with `openssl rand -base64 48`)", err)
		}
		if weakDatabasePassword(c.Database.URL) {
			return problem("database.url", "uses a default or weak password (production refuses weak secrets)")
		}
	}
	return nil
}

func validateAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not a host:port address such as :8000", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has an invalid port", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q has an invalid host", addr)
	}
	return nil
}

// strongSecret accepts secrets of at least 32 characters with some variety,
// and never the development default.
func strongSecret(secret string) error {
	switch {
	case secret == "":
		return errors.New("is required")
	case secret == InsecureDevSecret:
		return errors.New("is the insecure development default")
	case len(secret) < 32:
		return fmt.Errorf("is %d characters; at least 32 are required", len(secret))
	}
	distinct := map[rune]bool{}
	for _, r := range secret {
		distinct[r] = true
	}
	if len(distinct) < 10 {
		return errors.New("is too repetitive")
	}
	return nil
}

func weakDatabasePassword(raw string) bool {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return false
	}
	weak := []string{"postgres", "password", "pff", "admin", "changeme", "secret", "root", "123456"}
	return cfg.Password != "" && (len(cfg.Password) < 8 || slices.Contains(weak, strings.ToLower(cfg.Password)))
}

// Limits are the ingest limits in force.
func (c IngestConfig) Limits() ingest.Limits {
	return ingest.Limits{
		MaxUploadBytes:       int64(c.MaxUploadSize),
		MaxRecords:           c.MaxRecords,
		MaxDocumentBytes:     int64(c.MaxDocumentSize),
		MaxUncompressedBytes: int64(c.MaxInflatedSize),
		MaxCompressionRatio:  c.MaxInflateRatio,
		MaxDepth:             c.MaxDepth,
		MaxStringLength:      int(c.MaxStringLength),
	}
}

// limitKeys name the configuration key of each ingest limit.
var limitKeys = map[string]string{
	"MaxUploadBytes":       "ingest.max_upload_size",
	"MaxRecords":           "ingest.max_records",
	"MaxDocumentBytes":     "ingest.max_document_size",
	"MaxUncompressedBytes": "ingest.max_inflated_size",
	"MaxCompressionRatio":  "ingest.max_inflate_ratio",
	"MaxDepth":             "ingest.max_depth",
	"MaxStringLength":      "ingest.max_string_length",
}

// LimitKey is the configuration key of an ingest.Limits field, as named by
// ingest.LimitError.Limit.
func LimitKey(field string) string {
	if key, ok := limitKeys[field]; ok {
		return key
	}
	return field
}

func (c IngestConfig) validate() error {
	for _, check := range []struct {
		key, want string
		ok        bool
	}{
		{"ingest.max_upload_size", "must be positive", c.MaxUploadSize > 0},
		{"ingest.max_records", "must be positive", c.MaxRecords > 0},
		{"ingest.max_document_size", "must be positive", c.MaxDocumentSize > 0},
		{"ingest.max_inflated_size", "must be positive", c.MaxInflatedSize > 0},
		{"ingest.max_inflate_ratio", "must be at least 1", c.MaxInflateRatio >= 1},
		{"ingest.max_depth", "must be between 1 and 10000", c.MaxDepth >= 1 && c.MaxDepth <= 10_000},
		// ingest counts string lengths in an int, 32 bits on some platforms.
		{"ingest.max_string_length", "must be positive and under 2GiB", c.MaxStringLength > 0 && c.MaxStringLength < 1<<31},
		{"ingest.batch_size", "must be between 1 and 100000", c.BatchSize >= 1 && c.BatchSize <= 100_000},
	} {
		if !check.ok {
			return problem(check.key, "%s", check.want)
		}
	}
	return nil
}

func (c TelemetryConfig) validate() error {
	if c.SampleRatio < 0 || c.SampleRatio > 1 {
		return problem("telemetry.sample_ratio", "%v is outside 0..1", c.SampleRatio)
	}
	if c.OTLPEndpoint == "" {
		return nil
	}
	u, err := url.Parse(c.OTLPEndpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return problem("telemetry.otlp_endpoint", "%q is not an http:// or https:// URL such as http://otel-collector:4318", redactURL(c.OTLPEndpoint))
	}
	if c.ServiceName == "" {
		return problem("telemetry.service_name", "is required when telemetry.otlp_endpoint is set")
	}
	return nil
}
