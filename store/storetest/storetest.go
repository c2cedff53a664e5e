// Package storetest gives each test its own fresh PostgreSQL database, so tests
// and packages run in parallel against a real server without seeing each
// other's rows.
//
// Databases are cloned from a template that has every migration applied; the
// template is built once per set of migrations and reused across runs, which
// makes a new database cost a file copy instead of a full migration.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pff/pff/migrations"
	"github.com/pff/pff/store"
)

// AdminURL is the database the tests create their databases from:
// TEST_DATABASE_URL, or the local server's postgres database.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates a database with every migration applied, drops it when
// the test ends, and returns its URL.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	template := ensureTemplate(tb)
	return createDatabase(tb, "TEMPLATE "+pgx.Identifier{template}.Sanitize())
}

// NewEmptyDatabase creates a database with no migrations applied, for tests of
// the migrations themselves, drops it when the test ends, and returns its URL.
func NewEmptyDatabase(tb testing.TB) string {
	tb.Helper()
	return createDatabase(tb, "")
}

func createDatabase(tb testing.TB, options string) string {
	tb.Helper()
	ctx := context.Background()
	name := "pff_test_" + randomHex(6)
	admin := connectAdmin(tb)
	defer admin.Close(ctx)
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " " + options
	// Two clones of one template at the same instant can collide on the
	// template's lock (55006); they succeed when tried again.
	for attempt := 0; ; attempt++ {
		_, err := admin.Exec(ctx, create)
		var pgErr *pgconn.PgError
		if err == nil {
			break
		}
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" || attempt == 20 {
			tb.Fatalf("storetest: create database %s: %v", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		admin := connectAdmin(tb)
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("storetest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(tb, AdminURL(), name)
}

// ensureTemplate builds the migrated template database when it does not exist
// yet. An advisory lock keeps concurrent test binaries from building it twice.
func ensureTemplate(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	name := "pff_template_" + migrationsFingerprint(tb)
	admin := connectAdmin(tb)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", name); err != nil {
		tb.Fatalf("storetest: lock template: %v", err)
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(hashtext($1))", name) //nolint:errcheck // the session ends right after
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		tb.Fatalf("storetest: look up template: %v", err)
	}
	if exists {
		return name
	}
	building := name + "_building"
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		tb.Fatalf("storetest: drop stale template: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		tb.Fatalf("storetest: create template: %v", err)
	}
	migrator, err := store.OpenMigrator(withDatabase(tb, AdminURL(), building), nil)
	if err != nil {
		tb.Fatalf("storetest: %v", err)
	}
	_, err = migrator.Up(ctx)
	migrator.Close()
	if err != nil {
		tb.Fatalf("storetest: migrate template: %v", err)
	}
	rename := fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", pgx.Identifier{building}.Sanitize(), pgx.Identifier{name}.Sanitize())
	if _, err := admin.Exec(ctx, rename); err != nil {
		tb.Fatalf("storetest: publish template: %v", err)
	}
	return name
}

// migrationsFingerprint changes whenever a migration does, so an edited
// migration never clones a stale template.
func migrationsFingerprint(tb testing.TB) string {
	tb.Helper()
	h := sha256.New()
	err := fs.WalkDir(migrations.SQL(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(migrations.SQL(), path)
		fmt.Fprintf(h, "%s\x00%s\x00", path, data)
		return err
	})
	if err != nil {
		tb.Fatalf("storetest: read migrations: %v", err)
	}
	for _, m := range migrations.Go() {
		fmt.Fprintf(h, "go:%d\x00", m.Version)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func connectAdmin(tb testing.TB) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Fatalf("storetest: connect to %s (set TEST_DATABASE_URL): %s", redact(AdminURL()), store.Describe(err))
	}
	return conn
}

func withDatabase(tb testing.TB, base, name string) string {
	tb.Helper()
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" {
		tb.Fatalf("storetest: TEST_DATABASE_URL must be a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the test database"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
