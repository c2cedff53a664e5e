package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkHealth serves /health through PFF's echo stack (request id,
// access log, metrics, recovery, body limit, security headers) and through a
// bare net/http mux writing the same bytes, in one run.
//
//	go test -run '^$' -bench Health -benchmem ./app
func BenchmarkHealth(b *testing.B) {
	e := newEcho(slog.New(slog.DiscardHandler), newHTTPMetrics(prometheus.NewRegistry()))
	e.GET("/health", health)
	mux := http.NewServeMux()
	body := []byte(`{"status":"ok"}`)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	for name, handler := range map[string]http.Handler{"pff": e, "bare": mux} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/health", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, req)
			}
		})
	}
}
