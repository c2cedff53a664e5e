package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
)

const testSecret = "Zq8vN3pL0aW5xR7tY2uE9iO4kJ6hG1fD"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{})
	require.NoError(t, err)
	require.Equal(t, "development", cfg.Env)
	require.Equal(t, ":8000", cfg.HTTP.Addr)
	require.Equal(t, ":8001", cfg.Worker.Addr)
	require.Equal(t, 10, cfg.Jobs.Workers)
	require.Equal(t, 5*time.Second, cfg.HTTP.ReadHeaderTimeout)
	require.Equal(t, ByteSize(10<<20), cfg.HTTP.MaxBodySize)
	require.Empty(t, cfg.Redis.URL, "Redis is off unless configured")
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "pff.yaml", `
http:
  addr: ":7000"
  read_timeout: 10s
jobs:
  workers: 3
database:
  url: postgres://file@db/pff
log:
  level: debug
`)
	tests := []struct {
		name    string
		sources Sources
		check   func(t *testing.T, cfg Config)
	}{
		{"file over defaults", Sources{File: file}, func(t *testing.T, cfg Config) {
			require.Equal(t, ":7000", cfg.HTTP.Addr)
			require.Equal(t, 10*time.Second, cfg.HTTP.ReadTimeout)
			require.Equal(t, 3, cfg.Jobs.Workers)
			require.Equal(t, "debug", cfg.Log.Level)
		}},
		{"PFF_CONFIG names the file", Sources{Environ: []string{"PFF_CONFIG=" + file}}, func(t *testing.T, cfg Config) {
			require.Equal(t, ":7000", cfg.HTTP.Addr)
		}},
		{"environment over file", Sources{File: file, Environ: []string{"PFF_HTTP__ADDR=:7100", "PFF_JOBS__WORKERS=4"}}, func(t *testing.T, cfg Config) {
			require.Equal(t, ":7100", cfg.HTTP.Addr)
			require.Equal(t, 4, cfg.Jobs.Workers)
			require.Equal(t, 10*time.Second, cfg.HTTP.ReadTimeout, "keys the environment does not set keep the file's value")
		}},
		{"flags over environment", Sources{File: file, Environ: []string{"PFF_HTTP__ADDR=:7100"}, Flags: map[string]any{"http.addr": ":7200", "jobs.workers": "0"}}, func(t *testing.T, cfg Config) {
			require.Equal(t, ":7200", cfg.HTTP.Addr)
			require.Zero(t, cfg.Jobs.Workers)
		}},
		{"DATABASE_URL over file", Sources{File: file, Environ: []string{"DATABASE_URL=postgres://conventional@db/pff"}}, func(t *testing.T, cfg Config) {
			require.Equal(t, "postgres://conventional@db/pff", cfg.Database.URL)
		}},
		{"PFF_DATABASE__URL over DATABASE_URL", Sources{Environ: []string{"PFF_DATABASE__URL=postgres://pff@db/pff", "DATABASE_URL=postgres://conventional@db/pff"}}, func(t *testing.T, cfg Config) {
			require.Equal(t, "postgres://pff@db/pff", cfg.Database.URL)
		}},
		{"REDIS_URL enables Redis", Sources{Environ: []string{"REDIS_URL=redis://127.0.0.1:6379/0"}}, func(t *testing.T, cfg Config) {
			require.Equal(t, "redis://127.0.0.1:6379/0", cfg.Redis.URL)
		}},
		{"sizes with units", Sources{Environ: []string{"PFF_HTTP__MAX_BODY_SIZE=64KiB"}}, func(t *testing.T, cfg Config) {
			require.Equal(t, ByteSize(64<<10), cfg.HTTP.MaxBodySize)
		}},
		{"strong production secrets", Sources{Environ: []string{"PFF_ENV=production", "PFF_AUTH__JWT_SECRET=" + testSecret, "DATABASE_URL=postgres://pff:Lq7-w9Xc2-Vb4n@db/pff"}}, func(t *testing.T, cfg Config) {
			require.True(t, cfg.Production())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(tt.sources)
			require.NoError(t, err)
			tt.check(t, cfg)
		})
	}
}

func TestConfigErrorsNameTheKeyAndTheProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		environ []string
		file    string
		want    string
	}{
		{"unknown environment key", []string{"PFF_HTTP__ADR=:1"}, "", `config: unknown key "http.adr" from PFF_HTTP__ADR`},
		{"unknown file key", nil, "htp:\n  addr: x\n", `pff.yaml:2: unknown key "htp.addr" (did you mean http.addr?)`},
		{"bad file value", nil, "http:\n  addr: \":7000\"\n  read_timeout: soon\n", `pff.yaml:3: http.read_timeout: "soon" is not a duration such as 30s`},
		{"bad file size", nil, "ingest:\n  max_string_length: lots\n", `pff.yaml:2: ingest.max_string_length: "lots" is not a size such as 10MiB`},
		{"bad file number", nil, "jobs:\n  workers: many\n", `pff.yaml:2: jobs.workers: "many" is not an integer`},
		{"invalid file value", nil, "\n\njobs:\n  workers: 20000\n", `pff.yaml:4: jobs.workers: 20000 is outside 0..10000`},
		{"broken YAML", nil, "http:\n  addr: [\n", `pff.yaml: line 2: did not find expected node content`},
		{"bad address", []string{"PFF_HTTP__ADDR=8000"}, "", `config: http.addr: "8000" is not a host:port address`},
		{"bad port", []string{"PFF_WORKER__ADDR=:99999"}, "", `config: worker.addr: ":99999" has an invalid port`},
		{"bad duration", []string{"PFF_HTTP__READ_TIMEOUT=soon"}, "", `read_timeout`},
		{"negative duration", []string{"PFF_JOBS__STOP_TIMEOUT=-1s"}, "", `config: jobs.stop_timeout: must be a positive duration`},
		{"bad size", []string{"PFF_HTTP__MAX_BODY_SIZE=lots"}, "", `"lots" is not a size such as 10MiB`},
		{"bad env", []string{"PFF_ENV=staging"}, "", `config: env: "staging" is not development or production`},
		{"bad level", []string{"PFF_LOG__LEVEL=loud"}, "", `config: log.level: "loud" is not debug`},
		{"too many workers", []string{"PFF_JOBS__WORKERS=20000"}, "", `config: jobs.workers: 20000 is outside 0..10000`},
		{"bad database URL", []string{"DATABASE_URL=postgres://u:pw@host:port/db"}, "", `config: database.url: is not a valid PostgreSQL connection string`},
		{"min over max", []string{"PFF_DATABASE__MIN_CONNS=30"}, "", `config: database.min_conns: must be between 0 and database.max_conns (20)`},
		{"bad Redis URL", []string{"REDIS_URL=http://cache"}, "", `config: redis.url: is not a valid redis:// or rediss:// URL`},
		{"production default secret", []string{"PFF_ENV=production"}, "", `config: auth.jwt_secret: is the insecure development default`},
		{"production short secret", []string{"PFF_ENV=production", "PFF_AUTH__JWT_SECRET=short"}, "", `config: auth.jwt_secret: is 5 characters; at least 32 are required`},
		{"production repetitive secret", []string{"PFF_ENV=production", "PFF_AUTH__JWT_SECRET=abababababababababababababababababab"}, "", `config: auth.jwt_secret: is too repetitive`},
		{"production weak database password", []string{"PFF_ENV=production", "PFF_AUTH__JWT_SECRET=" + testSecret, "DATABASE_URL=postgres://pff:postgres@db/pff"}, "", `config: database.url: uses a default or weak password`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sources := Sources{Environ: tt.environ}
			if tt.file != "" {
				sources.File = writeFile(t, "pff.yaml", tt.file)
			}
			_, err := Load(sources)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.NotContains(t, err.Error(), "\n", "one line")
			require.NotContains(t, err.Error(), "pw@", "no secrets in errors")
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(Sources{File: filepath.Join(t.TempDir(), "absent.yaml")})
	require.ErrorContains(t, err, "absent.yaml")
}

func TestConfigRedactedHidesSecrets(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{Environ: []string{
		"DATABASE_URL=postgres://pff:hunter2-hunter2@db/pff",
		"REDIS_URL=redis://:cachepass@cache:6379/0",
		"PFF_AUTH__JWT_SECRET=" + testSecret,
	}})
	require.NoError(t, err)
	red := cfg.Redacted()
	require.NotContains(t, red.Database.URL, "hunter2")
	require.NotContains(t, red.Redis.URL, "cachepass")
	require.Equal(t, "(redacted)", red.Auth.JWTSecret)
	require.Contains(t, cfg.Database.URL, "hunter2", "the original is untouched")

	for _, dsn := range []string{
		"postgres://db/pff?sslmode=disable&password=hunter2-hunter2",
		"postgres://pff@db/pff?sslpassword=hunter2-hunter2&application_name=pff",
		"host=db user=pff password=hunter2-hunter2 dbname=pff",
	} {
		cfg, err := Load(Sources{Environ: []string{"DATABASE_URL=" + dsn}})
		require.NoError(t, err, dsn)
		red := cfg.Redacted().Database.URL
		require.NotContains(t, red, "hunter2", dsn)
		require.Contains(t, red, "pff", "the rest stays readable")
	}
}

func TestByteSize(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]ByteSize{"512": 512, "64KiB": 64 << 10, "10MiB": 10 << 20, "1GiB": 1 << 30, "5MB": 5e6, "7 KB": 7000, "3B": 3} {
		var got ByteSize
		require.NoError(t, got.UnmarshalText([]byte(text)), text)
		require.Equal(t, want, got, text)
	}
	for _, bad := range []string{"", "-1", "ten", "1TB", "9999999999999GiB"} {
		var got ByteSize
		require.Error(t, got.UnmarshalText([]byte(bad)), bad)
	}
	require.Equal(t, "10MiB", ByteSize(10<<20).String())
	require.Equal(t, "1000B", ByteSize(1000).String())
}

func TestBSSSystemsAreTheCataloguesSystems(t *testing.T) {
	t.Parallel()
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	require.ElementsMatch(t, cat.Systems(), BSSSystems())
}

func TestBSSConfiguration(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{})
	require.NoError(t, err)
	require.False(t, cfg.FlowsEnabled(), "no clusters: fix flows are off")
	require.Equal(t, 500, cfg.Flows.ApprovalLines)

	environ := []string{
		"PFF_BSS__SYSTEMS__BIAS__CLUSTERS=http://bias-a:8080/,http://bias-b:8080/",
		"PFF_BSS__SYSTEMS__BAE__CLUSTERS=http://bae:8080/",
		"PFF_BSS__SYSTEMS__CPM__CLUSTERS=http://cpm:8080/",
		"PFF_BSS__SYSTEMS__BIAS__RATE=50",
	}
	cfg, err = Load(Sources{Environ: environ})
	require.NoError(t, err)
	require.True(t, cfg.FlowsEnabled())
	require.Equal(t, []string{"http://bias-a:8080/", "http://bias-b:8080/"}, cfg.BSS.Systems["bias"].Clusters)
	require.Equal(t, 50, cfg.BSS.Systems["bias"].Rate)

	_, err = Load(Sources{Environ: environ[:1]})
	require.ErrorContains(t, err, "bss.systems.", "every system the catalogue calls needs clusters")
	require.NotContains(t, err.Error(), "\n")
}
