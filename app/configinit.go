package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// configInitDetails is the help of `pff config init`.
const configInitDetails = `init writes a starter configuration: a YAML file with the important keys at
their defaults, each with a comment (env: production), and a .env file with
freshly generated secrets (POSTGRES_PASSWORD, PFF_AUTH__JWT_SECRET,
GRAFANA_ADMIN_PASSWORD, and a DATABASE_URL carrying the database password)
for compose.yaml and for pff itself.
It never overwrites: if either file exists it writes neither and says which.

  pff config init                                  # pff.yaml and .env here
  pff config init --out /etc/pff/pff.yaml --env-file /etc/pff/pff.env
  pff config init --env-file ''                    # the YAML file only

Then: set -a; . ./.env; set +a; pff serve --config pff.yaml
(docker compose reads .env by itself.)`

// configInit writes the starter configuration file and, unless envPath is
// empty, the .env file, refusing to replace either.
func configInit(inv *invocation, outPath, envPath string) error {
	if outPath == "" {
		return usagef("--out must name a file")
	}
	if envPath != "" && filepath.Clean(envPath) == filepath.Clean(outPath) {
		return usagef("--out and --env-file name the same file %s", outPath)
	}
	paths := []string{outPath}
	if envPath != "" {
		paths = append(paths, envPath)
	}
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists; not overwriting it (move it away or choose another path with --out or --env-file)", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", p, err)
		}
	}

	dbPassword := hex.EncodeToString(randomBytes(24))                  // URL-safe: it goes into DATABASE_URL
	jwtSecret := base64.RawURLEncoding.EncodeToString(randomBytes(48)) // 64 characters
	grafanaPassword := hex.EncodeToString(randomBytes(16))
	if err := createNew(outPath, []byte(starterConfig), 0o644); err != nil {
		return err
	}
	if envPath != "" {
		if err := createNew(envPath, []byte(starterEnv(dbPassword, jwtSecret, grafanaPassword)), 0o600); err != nil {
			_ = os.Remove(outPath) // all or nothing
			return err
		}
	}
	fmt.Fprintf(inv.Stdout, "wrote %s\n", outPath)
	if envPath != "" {
		fmt.Fprintf(inv.Stdout, "wrote %s (secrets: keep it private; it is not to be committed)\n", envPath)
	}
	return nil
}

// randomBytes returns n bytes from crypto/rand, which does not fail.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// createNew writes a file that must not exist yet (O_EXCL: a file created
// meanwhile is not replaced either).
func createNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm) // #nosec G304 -- the operator names the file
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; not overwriting it", path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// starterEnv is the .env file: the variables of .env.example that hold
// secrets, generated, and a DATABASE_URL for pff run outside compose.
func starterEnv(dbPassword, jwtSecret, grafanaPassword string) string {
	return strings.NewReplacer("@DB@", dbPassword, "@JWT@", jwtSecret, "@GRAFANA@", grafanaPassword).Replace(`# Written by pff config init. Secrets: keep this file private (it is created
# with mode 0600) and out of version control. .env.example explains every
# variable compose.yaml reads.

# The PostgreSQL password of the pff role; compose.yaml puts it into the
# containers' DATABASE_URL.
POSTGRES_PASSWORD=@DB@

# Signs access tokens (HS256). Changing it logs everybody out.
PFF_AUTH__JWT_SECRET=@JWT@

# Grafana's admin password, for docker compose --profile observability.
GRAFANA_ADMIN_PASSWORD=@GRAFANA@

# For pff run outside compose (set -a; . ./.env; set +a). compose.yaml builds
# its own from POSTGRES_PASSWORD. Point the host at your PostgreSQL.
DATABASE_URL=postgres://pff:@DB@@127.0.0.1:5432/pff?sslmode=disable
`)
}

// starterConfig is the configuration file init writes: the keys an operator
// is likely to change, at their defaults (a test keeps them equal), except
// env. Secrets are not in it.
const starterConfig = `# PFF configuration, written by pff config init. Every key, its default and
# meaning are in DEPLOYMENT.md (Configuration); pff config prints the
# effective configuration. Precedence, lowest first: defaults, this file, the
# environment (PFF_* variables, DATABASE_URL, REDIS_URL), flags. In the
# environment a key is PFF_ plus the key in capitals with __ between levels:
# http.addr is PFF_HTTP__ADDR. Secrets are not kept here but in the
# environment (the .env file written beside this one).

# production refuses weak secrets and logs JSON; development relaxes both.
env: production

log:
  # debug, info, warn or error.
  level: info
  # json or text; empty means JSON in production, text otherwise.
  format: ""

http:
  # Where pff serve listens: the API, the console, /health and /metrics.
  addr: ":8000"
  # Default request body limit (413 above it): B, KB, MB, GB, KiB, MiB, GiB.
  max_body_size: 10MiB
  # How long one API request may work before it is cancelled (503).
  request_timeout: 30s
  # How long in-flight requests may finish after SIGTERM or Ctrl+C.
  shutdown_timeout: 15s
  # Browser origins allowed to call the API, e.g. [https://ops.example.com].
  cors_origins: []
  # CIDRs of your load balancers; only their X-Forwarded-For is believed.
  trusted_proxies: []

worker:
  # /health and /metrics of pff worker.
  addr: ":8001"

jobs:
  # Jobs one process runs at once; 0 makes pff serve API-only.
  workers: 10
  # How long running jobs may finish on shutdown before they are requeued.
  stop_timeout: 30s

database:
  # PostgreSQL 15+ with pgvector. DATABASE_URL in the environment (with the
  # password, see .env) replaces this URL; keep passwords out of this file.
  url: postgres://postgres@127.0.0.1:5432/pff?sslmode=disable
  # Connections per process.
  max_conns: 20
  # How long start-up retries an unreachable PostgreSQL before exiting 1.
  connect_timeout: 30s

redis:
  # Optional cache and shared rate-limit budgets (redis://host:6379/0).
  # Empty runs without Redis, as on a Windows machine; REDIS_URL sets it too.
  url: ""

auth:
  # The signing secret is PFF_AUTH__JWT_SECRET in the environment (.env).
  # Lifetime of an access token.
  token_ttl: 30m
  issuer: pff

rate_limit:
  # Login attempts (and failed authentications) per client IP per minute.
  auth_per_minute: 10
  # GET requests, and other requests, per user per minute.
  read_per_minute: 600
  write_per_minute: 120

audit:
  # Audit entries older than this are deleted by a daily job.
  retention_days: 365

ingest:
  # One upload, as sent, and the documents in it.
  max_upload_size: 1GiB
  max_records: 100000
  # How long one upload may take.
  upload_timeout: 1h

learn:
  # One attempt of a training job.
  train_timeout: 2h
  # Least probability that a fact is wrong for a report to name it.
  min_confidence: 0.9
  # What the active model's findings may decide: review or score.
  model_findings: review

flows:
  # Lines of fix flows each process runs at once.
  workers: 50
  # Executions with more lines wait for a second person's approval.
  approval_lines: 500
  # Lines of one execution.
  max_lines: 100000

telemetry:
  # OTLP/HTTP endpoint for traces, e.g. http://127.0.0.1:4318; empty: off.
  otlp_endpoint: ""

# Fix flows call the BSS systems bias, bae and cpm; they are off until all
# three have clusters. Credentials come from variables named here, e.g.:
# bss:
#   systems:
#     bias:
#       clusters: [https://bias-1.example.internal/, https://bias-2.example.internal/]
#       auth: {type: bearer, token_env: PFF_BIAS_TOKEN}
`
