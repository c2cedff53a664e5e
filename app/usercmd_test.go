package app

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

func runWithStdin(t *testing.T, environ []string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr testkit.Buffer
	code := Main(context.Background(), args, Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Environ: environ})
	return result{code, stdout.String(), stderr.String()}
}

func TestUserAndAPIKeyCommands(t *testing.T) {
	t.Parallel()
	environ := []string{"DATABASE_URL=" + storetest.NewDatabase(t)}

	got := runWithStdin(t, environ, testPassword+"\n", "user", "create", "--username", "ops", "--email", "ops@example.com", "--role", "admin", "--password-stdin")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "created admin ops")

	got = runWithStdin(t, environ, "short\n", "user", "create", "--username", "x", "--email", "bad", "--role", "root", "--password-stdin")
	require.Equal(t, 1, got.code)
	require.Contains(t, got.stderr, "username must be")
	require.Contains(t, got.stderr, "email must be")
	require.Contains(t, got.stderr, "role must be")

	got = runWithStdin(t, environ, "", "user", "create", "--username", "nopass", "--email", "n@example.com")
	require.Equal(t, 2, got.code, "no terminal and no --password-stdin")
	require.Contains(t, got.stderr, "--password-stdin")

	got = run(t, environ, "user", "list")
	require.Zero(t, got.code, got.stderr)
	require.Contains(t, got.stdout, "ops@example.com")

	got = run(t, environ, "apikey", "create", "--user", "ops", "--name", "ci", "--expires", "24h")
	require.Zero(t, got.code, got.stderr)
	key := strings.TrimSpace(got.stdout)
	require.True(t, strings.HasPrefix(key, "pff_"), key)
	require.Contains(t, got.stderr, "not shown again")

	got = run(t, environ, "apikey", "list", "--user", "ops")
	require.Zero(t, got.code, got.stderr)
	require.NotContains(t, got.stdout, key)
	id := strings.Fields(strings.Split(got.stdout, "\n")[1])[0]
	got = run(t, environ, "apikey", "revoke", id)
	require.Zero(t, got.code, got.stderr)

	got = runWithStdin(t, environ, "another long passphrase\n", "user", "reset-password", "ops", "--password-stdin")
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "user", "disable", "ops")
	require.Zero(t, got.code, got.stderr)
	got = run(t, environ, "user", "disable", "ghost")
	require.Equal(t, 1, got.code)
	got = run(t, environ, "user", "frobnicate")
	require.Equal(t, 2, got.code)
}

func TestBootstrapAdminOnlyOnAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabase(t)
	cfg, err := config.Load(config.Sources{Environ: []string{"DATABASE_URL=" + url, "PFF_BOOTSTRAP_ADMIN=root", "PFF_BOOTSTRAP_PASSWORD=" + testPassword}})
	require.NoError(t, err)
	pool, err := store.Connect(ctx, store.PoolConfig{URL: url})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	accts, err := accounts.New(accounts.Config{Store: st})
	require.NoError(t, err)
	s := &services{cfg: cfg, logger: discardLogger(), store: st, accounts: accts}

	require.NoError(t, bootstrapAdmin(ctx, s))
	user, err := s.store.UserByUsername(ctx, "root")
	require.NoError(t, err)
	require.Equal(t, "admin", user.Role)

	s.cfg.BootstrapAdmin = "second"
	require.NoError(t, bootstrapAdmin(ctx, s))
	_, err = s.store.UserByUsername(ctx, "second")
	require.ErrorIs(t, err, store.ErrNotFound, "only the first start of an empty install creates an admin")

	_, err = config.Load(config.Sources{Environ: []string{"PFF_BOOTSTRAP_ADMIN=root"}})
	require.ErrorContains(t, err, "bootstrap_admin and bootstrap_password are set together")
}
