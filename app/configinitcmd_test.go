package app

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/config"
)

// readDotEnv returns the NAME=value lines of a .env file, comments and
// blank lines left out.
func readDotEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		require.True(t, ok, "%s: not NAME=value: %q", path, line)
		require.NotContains(t, vars, name, "%s: %s twice", path, name)
		vars[name] = value
	}
	require.NoError(t, sc.Err())
	return vars
}

func environ(vars map[string]string) []string {
	var env []string
	for name, value := range vars {
		env = append(env, name+"="+value)
	}
	return env
}

func TestConfigInitWritesAStarterConfigurationWithFreshSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath, envPath := filepath.Join(dir, "pff.yaml"), filepath.Join(dir, "pff.env")

	got := run(t, nil, "config", "init", "--out", cfgPath, "--env-file", envPath)
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "wrote "+cfgPath)
	require.Contains(t, got.stdout, "wrote "+envPath)

	vars := readDotEnv(t, envPath)
	require.Regexp(t, `^[0-9a-f]{48}$`, vars["POSTGRES_PASSWORD"], "hex: it goes into a URL")
	require.Regexp(t, `^[A-Za-z0-9_-]{64}$`, vars["PFF_AUTH__JWT_SECRET"])
	require.Regexp(t, `^[0-9a-f]{32}$`, vars["GRAFANA_ADMIN_PASSWORD"])
	require.Equal(t, "postgres://pff:"+vars["POSTGRES_PASSWORD"]+"@127.0.0.1:5432/pff?sslmode=disable", vars["DATABASE_URL"])
	if runtime.GOOS != "windows" { // Windows has no Unix permission bits
		info, err := os.Stat(envPath)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the secrets file is private")
	}

	// With its secrets the file passes production's checks, and every key
	// it sets but env and the database URL (which the secrets replace)
	// restates the default.
	cfg, err := config.Load(config.Sources{File: cfgPath, Environ: environ(vars)})
	require.NoError(t, err)
	require.True(t, cfg.Production())
	require.Equal(t, vars["PFF_AUTH__JWT_SECRET"], cfg.Auth.JWTSecret)
	defaults, err := config.Load(config.Sources{Environ: append(environ(vars), "PFF_ENV=production")})
	require.NoError(t, err)
	require.Equal(t, defaults, cfg)

	// Without the secrets, production refuses the file, naming the key.
	_, err = config.Load(config.Sources{File: cfgPath})
	require.ErrorContains(t, err, "auth.jwt_secret")

	// Every secret .env.example names is generated, and nothing it does not
	// name but DATABASE_URL, which compose does not read.
	example := readDotEnv(t, filepath.Join("..", ".env.example"))
	for name := range example {
		if config.IsSecretName(name) || strings.HasSuffix(name, "_PASSWORD") {
			require.Contains(t, vars, name)
			require.NotEqual(t, example[name], vars[name])
		}
	}
	for name := range vars {
		if name != "DATABASE_URL" {
			require.Contains(t, example, name, ".env.example must explain %s", name)
		}
	}

	// A second init generates other secrets.
	other := filepath.Join(dir, "other.env")
	require.Zero(t, run(t, nil, "config", "init", "--out", filepath.Join(dir, "other.yaml"), "--env-file", other).code)
	again := readDotEnv(t, other)
	require.NotEqual(t, vars["POSTGRES_PASSWORD"], again["POSTGRES_PASSWORD"])
	require.NotEqual(t, vars["PFF_AUTH__JWT_SECRET"], again["PFF_AUTH__JWT_SECRET"])
}

func TestConfigInitRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string // "config" or "env": which file is there already
	}{
		{"configuration file", "config"},
		{"env file", "env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfgPath, envPath := filepath.Join(dir, "pff.yaml"), filepath.Join(dir, ".env")
			existing := map[string]string{"config": cfgPath, "env": envPath}[tt.existing]
			require.NoError(t, os.WriteFile(existing, []byte("mine\n"), 0o600))

			got := run(t, nil, "config", "init", "--out", cfgPath, "--env-file", envPath)
			require.Equal(t, 1, got.code)
			require.Equal(t, "pff config: "+existing+" already exists; not overwriting it (move it away or choose another path with --out or --env-file)\n", got.stderr)
			kept, err := os.ReadFile(existing)
			require.NoError(t, err)
			require.Equal(t, "mine\n", string(kept))
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "nothing else is written")
		})
	}
}

func TestConfigInitUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgOnly := filepath.Join(dir, "only.yaml")
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"config", "--help"}, 0, "pff config init --out /etc/pff/pff.yaml", ""},
		{[]string{"help", "config"}, 0, "-env-file file", ""},
		{[]string{"config", "init", "--out", cfgOnly, "--env-file", ""}, 0, "wrote " + cfgOnly + "\n", ""},
		{[]string{"config", "init", "--out", "", "--env-file", ""}, 2, "", "--out must name a file"},
		{[]string{"config", "init", "--out", filepath.Join(dir, "x"), "--env-file", filepath.Join(dir, "x")}, 2, "", "name the same file"},
		{[]string{"config", "sideways"}, 2, "", `unknown action "sideways"`},
	}
	for _, tt := range tests {
		got := run(t, nil, tt.args...)
		require.Equal(t, tt.wantCode, got.code, "%v: %s", tt.args, got.stderr)
		require.Contains(t, got.stdout, tt.wantStdout, "%v", tt.args)
		require.Contains(t, got.stderr, tt.wantStderr, "%v", tt.args)
	}
	_, err := os.Stat(filepath.Join(dir, "x"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
