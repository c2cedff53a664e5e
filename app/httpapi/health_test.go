package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/resp"
	"github.com/pff/pff/store/storetest"
)

func lazyPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func redisPing(t *testing.T, addr string) func(context.Context) error {
	t.Helper()
	client, err := resp.Open("redis://"+addr, resp.Options{DialTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	return client.Ping
}

func TestDetailedHealth(t *testing.T) {
	t.Parallel()
	const deadPostgres = "postgres://pff:s3cret@127.0.0.1:1/pff?sslmode=disable&connect_timeout=1"
	up := lazyPool(t, storetest.NewDatabase(t))
	down := lazyPool(t, deadPostgres)
	tests := []struct {
		name       string
		postgres   func(context.Context) error
		redis      func(context.Context) error
		wantCode   int
		wantStatus string
		wantRedis  string
	}{
		{"all healthy, Redis disabled", up.Ping, nil, http.StatusOK, "healthy", "disabled"},
		{"all healthy with Redis", up.Ping, redisPing(t, "127.0.0.1:6379"), http.StatusOK, "healthy", "healthy"},
		{"Redis down degrades", up.Ping, redisPing(t, "127.0.0.1:1"), http.StatusOK, "degraded", "unhealthy"},
		{"Postgres down is unhealthy", down.Ping, redisPing(t, "127.0.0.1:6379"), http.StatusServiceUnavailable, "unhealthy", "healthy"},
		{"Postgres down wins over Redis down", down.Ping, redisPing(t, "127.0.0.1:1"), http.StatusServiceUnavailable, "unhealthy", "unhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEcho(slog.New(slog.DiscardHandler), newHTTPMetrics(prometheus.NewRegistry()))
			checks := Health{Version: "v1.2.3", Postgres: tt.postgres, Redis: tt.redis, Workers: 4}
			e.GET("/health/detailed", checks.detailed)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health/detailed", nil))

			require.Equal(t, tt.wantCode, rec.Code)
			require.NotContains(t, rec.Body.String(), "s3cret")
			require.NotContains(t, rec.Body.String(), "127.0.0.1:1")
			var got detailedHealth
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			require.Equal(t, tt.wantStatus, got.Status)
			require.Equal(t, "v1.2.3", got.Version)
			require.Equal(t, tt.wantRedis, got.Checks["redis"].Status)
			_, err := time.Parse(time.RFC3339, got.Timestamp)
			require.NoError(t, err)
			require.Equal(t, "workers", got.Checks["river"].Mode)
			if tt.wantCode == http.StatusServiceUnavailable {
				require.Equal(t, "unhealthy", got.Checks["postgres"].Status)
				require.Equal(t, "connection refused", got.Checks["postgres"].Error)
				require.Equal(t, "unhealthy", got.Checks["river"].Status)
			}
		})
	}
}

func TestHealthIsCheapAndConstant(t *testing.T) {
	t.Parallel()
	e := newEcho(slog.New(slog.DiscardHandler), newHTTPMetrics(prometheus.NewRegistry()))
	e.GET("/health", health)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/health", nil)
	req.Header.Set(requestIDHeader, "client-chosen-id")
	e.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"status":"ok"}`, rec.Body.String())
	require.Equal(t, "client-chosen-id", rec.Header().Get(requestIDHeader), "a client's request id is kept")
}

func TestErrorsUseTheAPIShape(t *testing.T) {
	t.Parallel()
	e := newEcho(slog.New(slog.DiscardHandler), newHTTPMetrics(prometheus.NewRegistry()))
	e.POST("/echo", func(c echo.Context) error {
		_, err := io.ReadAll(c.Request().Body)
		return err
	}, limitBody(8))
	e.GET("/panic", func(echo.Context) error { panic("boom") })
	tests := []struct {
		method, path, body string
		chunked            bool
		wantCode           int
		wantError          string
	}{
		{http.MethodGet, "/absent", "", false, http.StatusNotFound, "not_found"},
		{http.MethodPost, "/echo", "far too long a body", false, http.StatusRequestEntityTooLarge, "request_too_large"},
		{http.MethodPost, "/echo", "far too long a body", true, http.StatusRequestEntityTooLarge, "request_too_large"},
		{http.MethodGet, "/panic", "", false, http.StatusInternalServerError, "internal_error"},
		{http.MethodDelete, "/echo", "", false, http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
		if tt.chunked {
			req.ContentLength = -1
		}
		req.Header.Set(requestIDHeader, "rid-1")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		require.Equal(t, tt.wantCode, rec.Code, tt.path)
		var raw map[string]map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw), rec.Body.String())
		require.Equal(t, tt.wantError, raw["error"]["code"], tt.path)
		require.Equal(t, "rid-1", raw["error"]["request_id"])
		require.NotEmpty(t, raw["error"]["message"])
	}
}

// TestUploadRoutesOutliveTheServerReadTimeout sends a body slower than the
// server's read timeout: a route with its own timeout still gets all of it.
func TestUploadRoutesOutliveTheServerReadTimeout(t *testing.T) {
	t.Parallel()
	e := newEcho(slog.New(slog.DiscardHandler), newHTTPMetrics(prometheus.NewRegistry()))
	read := func(c echo.Context) error {
		n, err := io.Copy(io.Discard, c.Request().Body)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, strconv.FormatInt(n, 10))
	}
	e.POST("/upload", read, requestTimeout(10*time.Second, true))
	e.POST("/plain", read, requestTimeout(10*time.Second, false))
	server := httptest.NewUnstartedServer(e)
	server.Config.ReadTimeout = 200 * time.Millisecond
	server.Start()
	t.Cleanup(server.Close)

	slowPost := func(path string) (string, error) {
		body, w := io.Pipe()
		go func() {
			for range 6 {
				_, _ = w.Write([]byte("0123456789"))
				time.Sleep(100 * time.Millisecond)
			}
			_ = w.Close()
		}()
		res, err := http.Post(server.URL+path, "application/octet-stream", body)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		got, err := io.ReadAll(res.Body)
		return string(got), err
	}
	got, err := slowPost("/upload")
	require.NoError(t, err)
	require.Equal(t, "60", got)
	got, err = slowPost("/plain")
	require.True(t, err != nil || got != "60", "without the lifted deadline the read timeout cuts the body")
}
