package app

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
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/resp"
)

// Config is PFF's whole configuration. Every key is documented in
// DEPLOYMENT.md; defaultConfig lists them all with their defaults.
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
	// TrainTimeout bounds one attempt of a training job; River rescues the
	// job of a dead worker after TrainTimeout plus 10 minutes.
	TrainTimeout time.Duration `koanf:"train_timeout"`
	// MinConfidence is the least probability that a fact is wrong for a
	// report to name it.
	MinConfidence float64 `koanf:"min_confidence"`
	// FactErrorRate is the prior probability that a categorical fact of a
	// record is wrong, which turns the model's odds into probabilities.
	FactErrorRate float64 `koanf:"fact_error_rate"`
	// EfSearch is pgvector's hnsw.ef_search for predictions.
	EfSearch int `koanf:"ef_search"`
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

// insecureDevSecret is the JWT secret of a development install. Production
// refuses it.
const insecureDevSecret = "insecure-development-secret-change-me"

func defaultConfig() map[string]any {
	return map[string]any{
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
		"auth.jwt_secret":             insecureDevSecret,
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
		"bootstrap_admin":             "",
		"bootstrap_password":          "",
		"bootstrap_email":             "",
	}
}

// ConfigSources are the inputs of LoadConfig besides the defaults, lowest
// precedence first.
type ConfigSources struct {
	// File is an optional YAML file; empty means PFF_CONFIG from Environ, if set.
	File string
	// Environ is the environment as KEY=value pairs (os.Environ()).
	Environ []string
	// Flags are the command-line flags the user set, by config key.
	Flags map[string]any
}

// LoadConfig layers defaults, the YAML file, the environment (PFF_* with "__"
// between nested keys, plus the conventional DATABASE_URL and REDIS_URL, which
// PFF_DATABASE__URL and PFF_REDIS__URL override) and flags, then validates.
// Errors name the key and the problem in one line.
func LoadConfig(src ConfigSources) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(defaultConfig(), "."), nil); err != nil {
		return Config{}, fmt.Errorf("config: defaults: %w", err)
	}
	known := k.All()

	path := src.File
	if path == "" {
		path = lookupEnv(src.Environ, "PFF_CONFIG")
	}
	if path != "" {
		layer := koanf.New(".")
		if err := layer.Load(file.Provider(path), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config: file %s: %w", path, err)
		}
		if err := merge(k, layer, known, func(key string) string { return "in " + path }); err != nil {
			return Config{}, err
		}
	}

	conventional := koanf.New(".")
	for name, key := range map[string]string{"DATABASE_URL": "database.url", "REDIS_URL": "redis.url"} {
		if v := lookupEnv(src.Environ, name); v != "" {
			_ = conventional.Set(key, v)
		}
	}
	if err := k.Merge(conventional); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}

	layer := koanf.New(".")
	if err := layer.Load(env.Provider(".", env.Opt{
		Prefix:      "PFF_",
		EnvironFunc: func() []string { return src.Environ },
		TransformFunc: func(name, value string) (string, any) {
			if name == "PFF_CONFIG" {
				return "", nil
			}
			key := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, "PFF_"), "__", "."))
			if _, isList := known[key].([]string); isList {
				return key, splitList(value)
			}
			return key, value
		},
	}), nil); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}
	envName := func(key string) string {
		return "from PFF_" + strings.ToUpper(strings.ReplaceAll(key, ".", "__"))
	}
	if err := merge(k, layer, known, envName); err != nil {
		return Config{}, err
	}

	if len(src.Flags) > 0 {
		if err := k.Load(confmap.Provider(src.Flags, "."), nil); err != nil {
			return Config{}, fmt.Errorf("config: flags: %w", err)
		}
	}

	var cfg Config
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return Config{}, fmt.Errorf("config: %s", unmarshalProblem(err))
	}
	if err := cfg.validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// merge adds layer to k after checking that it sets only known keys, so a
// typo such as PFF_HTTP__ADR is an error instead of a silently ignored value.
func merge(k, layer *koanf.Koanf, known map[string]any, where func(key string) string) error {
	for _, key := range layer.Keys() {
		if _, ok := known[key]; !ok {
			return fmt.Errorf("config: unknown key %q %s", key, where(key))
		}
	}
	if err := k.Merge(layer); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// splitList reads a list from one environment variable: comma-separated.
func splitList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range slices.Backward(environ) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// unmarshalProblem turns mapstructure's multi-line decoding errors into one
// line that names the key.
func unmarshalProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "error(s) decoding:"); i >= 0 {
		msg = strings.TrimSpace(msg[i+len("error(s) decoding:"):])
	}
	msg = strings.ReplaceAll(msg, "\n", "; ")
	return strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(msg, "*")), "* ")
}

// Production reports whether PFF runs with production safeguards.
func (c Config) Production() bool { return c.Env == "production" }

func (c Config) validate() error {
	problem := func(key, format string, args ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
	}
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
	case secret == insecureDevSecret:
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

// Redacted returns the configuration as it may be shown: passwords in URLs
// and secrets replaced.
func (c Config) Redacted() Config {
	out := c
	out.Database.URL = redactURL(c.Database.URL)
	out.Redis.URL = redactURL(c.Redis.URL)
	if c.BootstrapPassword != "" {
		out.BootstrapPassword = "(redacted)"
	}
	if c.Auth.JWTSecret == insecureDevSecret {
		out.Auth.JWTSecret = "(insecure development default)"
	} else if c.Auth.JWTSecret != "" {
		out.Auth.JWTSecret = "(redacted)"
	}
	return out
}

func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(redacted: not a URL)"
	}
	return u.Redacted()
}
