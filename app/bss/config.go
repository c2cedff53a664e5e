package bss

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/auth"
)

// Defaults for the zero fields of SystemConfig.
const (
	DefaultTimeout          = 10 * time.Second // the legacy engine's
	DefaultRate             = 20               // calls per second per system
	DefaultBurst            = 1
	DefaultMaxInFlight      = 8
	DefaultBreakerFailures  = 5
	DefaultBreakerCoolDown  = 30 * time.Second
	DefaultBreakerProbes    = 1
	DefaultMaxRetryAfter    = time.Minute
	DefaultMaxResponseBytes = 32 << 20
	DefaultClusterDownFor   = 10 * time.Second
)

// Config configures a Client; it is the `bss` section of PFF's
// configuration. A zero field means its default.
type Config struct {
	// Systems are the BSS systems by name (bias, bae, cpm): every system the
	// catalogue calls must be here.
	Systems map[string]SystemConfig `koanf:"systems"`

	// Limiter holds the rate limits' state; nil means one in memory, for
	// this process alone. Give every PFF process the same RedisLimiter to
	// share one budget per system between them.
	Limiter auth.Limiter `koanf:"-"`
	// Metrics, when set, receives calls, durations and breaker states.
	Metrics *Metrics `koanf:"-"`
	// Logger is for failovers, breaker changes and unknown outcomes; nil
	// means slog.Default().
	Logger *slog.Logger `koanf:"-"`
	// LookupEnv reads the environment variables that hold secrets; nil means
	// os.LookupEnv.
	LookupEnv func(string) (string, bool) `koanf:"-"`
	// TracerProvider, when set, traces every call and each of its HTTP
	// attempts (tracing.go); nil means no tracing.
	TracerProvider trace.TracerProvider `koanf:"-"`
}

// SystemConfig configures the calls to one BSS system.
type SystemConfig struct {
	// Clusters are the system's base URLs, in the order to try them, e.g.
	// "https://bias-a.internal:8443/". A read moves on to the next on a
	// transient failure; a write only when nothing was sent.
	Clusters []string `koanf:"clusters"`
	// Timeout bounds one attempt on one cluster (default 10s).
	Timeout time.Duration `koanf:"timeout"`
	// Rate is the calls per second the system may receive from PFF (default
	// 20), shared through Config.Limiter; a call waits for its turn, up to
	// its context's deadline. Any one-second window holds at most
	// Rate + Burst - 1 calls as BSS receives them: the client paces Rate
	// calls per 1.02 s, leaving 20 ms for the jitter between its decision
	// to send and the call's arrival.
	Rate int `koanf:"rate"`
	// Burst is how many calls may go back to back (default 1: evenly paced).
	Burst int `koanf:"burst"`
	// MaxInFlight bounds the calls waiting for an answer at once (default 8).
	MaxInFlight int           `koanf:"max_in_flight"`
	Breaker     BreakerConfig `koanf:"breaker"`
	TLS         TLSConfig     `koanf:"tls"`
	Auth        AuthConfig    `koanf:"auth"`
	// MaxRetryAfter caps how long a Retry-After is honoured (default 1m).
	MaxRetryAfter time.Duration `koanf:"max_retry_after"`
	// MaxResponseBytes bounds an answer (default 32 MiB).
	MaxResponseBytes int64 `koanf:"max_response_bytes"`
	// ClusterDownFor is how long a cluster that could not be reached is
	// tried after the others (default 10s).
	ClusterDownFor time.Duration `koanf:"cluster_down_for"`
}

// BreakerConfig configures a system's circuit breaker.
type BreakerConfig struct {
	// Failures is how many failed calls in a row open it (default 5). A
	// failure is a transport error, a timeout or a 5xx.
	Failures int `koanf:"failures"`
	// CoolDown is how long it stays open before probing (default 30s).
	CoolDown time.Duration `koanf:"cool_down"`
	// Probes is how many calls a half-open breaker lets through (default 1);
	// one success closes it, one failure opens it again.
	Probes int `koanf:"probes"`
}

// TLSConfig configures HTTPS to a system. Empty fields use the system's
// trusted roots and no client certificate.
type TLSConfig struct {
	// CAFile is a PEM file of the CAs that sign the clusters' certificates.
	CAFile string `koanf:"ca_file"`
	// CertFile and KeyFile are PFF's client certificate and key (PEM), for
	// clusters that ask for one.
	CertFile string `koanf:"cert_file"`
	KeyFile  string `koanf:"key_file"`
	// ServerName overrides the name checked in the clusters' certificates.
	ServerName string `koanf:"server_name"`
}

// AuthConfig says how PFF authenticates to a system. Secrets are never in
// the configuration: it names the environment variables that hold them.
type AuthConfig struct {
	// Type is "none" (or empty), "basic" or "bearer".
	Type string `koanf:"type"`
	// UsernameEnv and PasswordEnv name the variables of basic auth.
	UsernameEnv string `koanf:"username_env"`
	PasswordEnv string `koanf:"password_env"`
	// TokenEnv names the variable holding the bearer token.
	TokenEnv string `koanf:"token_env"`
}

// withDefaults returns c with its zero fields set.
func (c SystemConfig) withDefaults() SystemConfig {
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.Rate = cmp.Or(c.Rate, DefaultRate)
	c.Burst = cmp.Or(c.Burst, DefaultBurst)
	c.MaxInFlight = cmp.Or(c.MaxInFlight, DefaultMaxInFlight)
	c.Breaker.Failures = cmp.Or(c.Breaker.Failures, DefaultBreakerFailures)
	c.Breaker.CoolDown = cmp.Or(c.Breaker.CoolDown, DefaultBreakerCoolDown)
	c.Breaker.Probes = cmp.Or(c.Breaker.Probes, DefaultBreakerProbes)
	c.MaxRetryAfter = cmp.Or(c.MaxRetryAfter, DefaultMaxRetryAfter)
	c.MaxResponseBytes = cmp.Or(c.MaxResponseBytes, DefaultMaxResponseBytes)
	c.ClusterDownFor = cmp.Or(c.ClusterDownFor, DefaultClusterDownFor)
	return c
}

// Validate reports every problem of the configuration, each naming the key
// to fix (e.g. bss.systems.bias.clusters).
func (c Config) Validate() error {
	var errs []error
	if len(c.Systems) == 0 {
		errs = append(errs, errors.New("bss.systems: no systems configured"))
	}
	for _, name := range slices.Sorted(maps.Keys(c.Systems)) {
		errs = append(errs, c.Systems[name].validate("bss.systems."+name, name)...)
	}
	return errors.Join(errs...)
}

func (c SystemConfig) validate(key, name string) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, fmt.Sprintf(format, args...)))
	}
	if !isSystemName(name) {
		errs = append(errs, fmt.Errorf("%s: %q is not a system name (lower-case letters, digits, _)", key, name))
	}
	if len(c.Clusters) == 0 {
		bad("clusters", "at least one base URL is required")
	}
	seen := map[string]bool{}
	for i, raw := range c.Clusters {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			bad(fmt.Sprintf("clusters[%d]", i), "%q: %v", raw, err)
		case u.Scheme != "http" && u.Scheme != "https":
			bad(fmt.Sprintf("clusters[%d]", i), "%q: want an http or https URL", raw)
		case u.Host == "":
			bad(fmt.Sprintf("clusters[%d]", i), "%q: no host", raw)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			bad(fmt.Sprintf("clusters[%d]", i), "%q: a base URL has no query, fragment or credentials (see auth)", raw)
		case seen[raw]:
			bad(fmt.Sprintf("clusters[%d]", i), "%q is listed twice", raw)
		}
		seen[raw] = true
	}
	for field, d := range map[string]time.Duration{
		"timeout": c.Timeout, "breaker.cool_down": c.Breaker.CoolDown,
		"max_retry_after": c.MaxRetryAfter, "cluster_down_for": c.ClusterDownFor,
	} {
		if d < 0 {
			bad(field, "%v is negative", d)
		}
	}
	for field, n := range map[string]int{
		"rate": c.Rate, "burst": c.Burst, "max_in_flight": c.MaxInFlight,
		"breaker.failures": c.Breaker.Failures, "breaker.probes": c.Breaker.Probes,
	} {
		if n < 0 {
			bad(field, "%d is negative", n)
		}
	}
	if c.MaxResponseBytes < 0 {
		bad("max_response_bytes", "%d is negative", c.MaxResponseBytes)
	}
	if d := c.withDefaults(); c.Rate >= 0 && c.Burst >= 0 {
		if err := (auth.Limit{Rate: d.Rate, Period: time.Second + pacingSlack, Burst: d.Burst}).Validate(); err != nil {
			bad("rate", "%v", err)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls", "set both cert_file and key_file, or neither")
	}
	switch c.Auth.Type {
	case "", "none":
		if c.Auth.UsernameEnv != "" || c.Auth.PasswordEnv != "" || c.Auth.TokenEnv != "" {
			bad("auth.type", "is none, but auth names environment variables; say basic or bearer")
		}
	case "basic":
		if c.Auth.UsernameEnv == "" {
			bad("auth.username_env", "required for basic auth: the environment variable holding the user name")
		}
		if c.Auth.PasswordEnv == "" {
			bad("auth.password_env", "required for basic auth: the environment variable holding the password")
		}
	case "bearer":
		if c.Auth.TokenEnv == "" {
			bad("auth.token_env", "required for bearer auth: the environment variable holding the token")
		}
	default:
		bad("auth.type", "%q: want none, basic or bearer", c.Auth.Type)
	}
	slices.SortFunc(errs, func(a, b error) int { return cmp.Compare(a.Error(), b.Error()) })
	return errs
}
