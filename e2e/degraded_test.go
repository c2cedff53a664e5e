package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/store/storetest"
)

// TestRedisGoneUnderARunningServer takes Redis away from a `pff serve`
// that uses it for rate limits: logins, reads and uploads go on being
// served (limited in memory meanwhile: app/httpapi's
// TestRateLimitsFallBackToMemoryWhenRedisIsDown), the liveness probe stays 200 and the
// detailed health says Redis is unhealthy and the service degraded, not
// down.
func TestRedisGoneUnderARunningServer(t *testing.T) {
	t.Parallel()
	redis := testkit.NewTCPProxy(t, "127.0.0.1:6379")
	addr := testkit.FreeAddr(t)
	env := append(serveEnv(storetest.NewDatabase(t), addr, nil), "PFF_REDIS__URL=redis://"+redis.Addr+"/0")
	p := start(t, addr, env, "serve")
	health := func() (int, map[string]any) {
		code, data := (&client{t: t, url: p.url}).do(http.MethodGet, "/health/detailed", "", nil)
		var h map[string]any
		require.NoError(t, json.Unmarshal(data, &h), string(data))
		return code, h
	}
	code, h := health()
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "healthy", h["status"], "%v", h)

	redis.Stop()
	ops := login(t, p.url, adminName, adminPassword)
	recs, err := gen.Generate(gen.Config{N: 3, Seed: 31})
	require.NoError(t, err)
	code, data := ops.do(http.MethodPost, "/api/v1/records?name=r.ndjson", "application/x-ndjson", bytes.NewReader(ndjsonOf(t, recs)))
	require.Equal(t, http.StatusOK, code, string(data))
	for range 20 {
		code, data = ops.do(http.MethodGet, "/api/v1/records?limit=5", "", nil)
		require.Equal(t, http.StatusOK, code, string(data))
	}
	code, h = health()
	require.Equal(t, http.StatusOK, code, "Redis is optional: %v", h)
	require.Equal(t, "degraded", h["status"], "%v", h)
	require.Equal(t, "unhealthy", h["checks"].(map[string]any)["redis"].(map[string]any)["status"], "%v", h)
	code, _ = ops.do(http.MethodGet, "/health", "", nil)
	require.Equal(t, http.StatusOK, code)
}

// liveHeap is the live heap of this process: the server's and the test's,
// which holds little.
func liveHeap() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// heapWatch samples liveHeap until stopped, and returns its peak.
func heapWatch() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			if v := liveHeap(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// endless is n bytes of what doc(i) writes for i = 0, 1, 2 ..., cut
// wherever the n-th byte falls, made as they are read.
func endless(n int, doc func(w io.Writer, i int)) io.Reader {
	r, w := io.Pipe()
	go func() {
		lw := &limitedWriter{w: w, left: n}
		for i := 0; lw.left > 0; i++ {
			doc(lw, i)
			if lw.err != nil {
				break
			}
		}
		_ = w.Close()
	}()
	return r
}

type limitedWriter struct {
	w    io.Writer
	left int
	err  error
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	p = p[:min(len(p), l.left)]
	n, err := l.w.Write(p)
	l.left -= n
	if err != nil {
		l.err = err
	}
	return n, err
}

// TestHugeUploadsAreRefusedWithoutFillingMemory streams uploads far larger
// than the server may hold to a running `pff serve`, generated as they are
// sent: a single document of 128 MiB (over ingest.max_document_size, 16 MiB
// by default), which is read through and rejected alone (422 all_rejected,
// naming the limit), and 128 MiB of documents of 64 KiB (over
// ingest.max_upload_size, lowered to 32 MiB here), which stops the upload
// with 413. The live heap of the process never grows by more than a few of
// these limits: nothing is read whole into memory.
//
// It does not run in parallel with the other tests, whose servers share
// the process's heap, nor under the race detector (make test runs it again
// without), which makes reading 128 MiB take a minute.
func TestHugeUploadsAreRefusedWithoutFillingMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("a memory budget: run without -race")
	}
	addr := testkit.FreeAddr(t)
	env := append(serveEnv(storetest.NewDatabase(t), addr, nil), "PFF_INGEST__MAX_UPLOAD_SIZE=32MiB", "PFF_JOBS__WORKERS=0")
	p := start(t, addr, env, "serve")
	ops := login(t, p.url, adminName, adminPassword)
	const huge = 128 << 20

	tests := []struct {
		name, contentType string
		body              io.Reader
		wantCode          int
		want              string
	}{
		{"one endless document", "application/json", endless(huge, func(w io.Writer, i int) {
			if i == 0 {
				_, _ = io.WriteString(w, `{"id": "huge", "padding": [`)
			}
			_, _ = io.WriteString(w, `"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", `)
		}), http.StatusUnprocessableEntity, "document larger than 16777216 bytes"},
		{"endless documents of 64 KiB", "application/x-ndjson", endless(huge, func(w io.Writer, i int) {
			_, _ = fmt.Fprintf(w, `{"id": "customer-%d", "note": "%s"}`+"\n", i, strings.Repeat("x", 64<<10))
		}), http.StatusRequestEntityTooLarge, `"limit_exceeded","message":"the upload exceeds ingest.max_upload_size`},
	}
	for _, tt := range tests {
		runtime.GC()
		before := liveHeap()
		stop := heapWatch()
		code, data := ops.do(http.MethodPost, "/api/v1/records?name=huge", tt.contentType, tt.body)
		peak := stop()
		grew := int64(peak) - int64(before)
		t.Logf("%s: %d %s; live heap %d MiB before, peak %d MiB", tt.name, code, firstLine(data), before>>20, peak>>20)
		require.Equal(t, tt.wantCode, code, "%s: %s", tt.name, data)
		require.Contains(t, string(data), tt.want, tt.name)
		require.Less(t, grew, int64(96<<20), "%s: the heap grew by %d MiB", tt.name, grew>>20)
	}
	code, data := ops.do(http.MethodGet, "/health/detailed", "", nil)
	require.Equal(t, http.StatusOK, code, string(data))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
