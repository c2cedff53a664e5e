package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/config"
)

// The console is mounted under /console, behind the envelope only, and /
// sends a browser to it.
func TestConsoleIsMounted(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(config.Sources{Environ: []string{"DATABASE_URL=postgres://localhost/none"}})
	require.NoError(t, err)
	var seen []string
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" "+r.URL.Path)
		require.NotEmpty(t, w.Header().Get(requestIDHeader), "the envelope gave the request an id")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.WriteHeader(http.StatusTeapot)
	})
	_, e, err := newServer(Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), Console: console})
	require.NoError(t, err)

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusFound, rec.Code)
	require.Equal(t, "/console/", rec.Header().Get("Location"))
	for _, path := range []string{"/console", "/console/", "/console/records/7"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			rec = httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			require.Equal(t, http.StatusTeapot, rec.Code, "%s %s", method, path)
			require.Equal(t, "default-src 'self'", rec.Header().Get("Content-Security-Policy"), "the console's own policy")
		}
	}
	require.Contains(t, seen, "POST /console/records/7")
	// Without a console, / is the API's 404.
	_, e, err = newServer(Deps{Config: cfg, Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	require.NoError(t, err)
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, http.StatusNotFound, rec.Code)
}
