package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app"
	"github.com/pff/pff/app/bss/bsssim"
	"github.com/pff/pff/app/config"
	"github.com/pff/pff/app/gen"
	"github.com/pff/pff/internal/testkit"
	"github.com/pff/pff/jobs"
	"github.com/pff/pff/store"
)

const (
	adminName     = "ops"
	adminPassword = "correct horse battery staple"
)

// pff is one `pff serve` (or `pff worker`) process, run through app.Main
// as the binary runs it.
type pff struct {
	url    string
	stderr *testkit.Buffer
	stop   context.CancelFunc
	done   chan int
}

// serveEnv is the environment of a `pff serve` on dbURL: the first admin
// from bootstrap_admin, rate limits out of the way of a test that polls,
// and fix flows against the simulator's clusters when sim is given.
func serveEnv(dbURL, addr string, sim *bsssim.Servers) []string {
	env := []string{
		"DATABASE_URL=" + dbURL,
		"PFF_HTTP__ADDR=" + addr,
		"PFF_WORKER__ADDR=" + addr,
		"PFF_JOBS__WORKERS=4",
		"PFF_FLOWS__WORKERS=4",
		"PFF_BOOTSTRAP_ADMIN=" + adminName,
		"PFF_BOOTSTRAP_PASSWORD=" + adminPassword,
		"PFF_RATE_LIMIT__READ_PER_MINUTE=100000",
		"PFF_RATE_LIMIT__WRITE_PER_MINUTE=100000",
		"PFF_RATE_LIMIT__AUTH_PER_MINUTE=1000",
		"PFF_LOG__LEVEL=warn",
	}
	if sim != nil {
		for _, system := range config.BSSSystems() {
			up := strings.ToUpper(system)
			env = append(env, "PFF_BSS__SYSTEMS__"+up+"__CLUSTERS="+strings.Join(sim.URLs, ","),
				"PFF_BSS__SYSTEMS__"+up+"__RATE=1000")
		}
	}
	return env
}

// start runs `pff ARGS...` with env until the test ends, and waits for its
// /health (served on addr).
func start(t *testing.T, addr string, env []string, args ...string) *pff {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &pff{url: "http://" + addr, stderr: &testkit.Buffer{}, stop: cancel, done: make(chan int, 1)}
	go func() {
		p.done <- app.Main(ctx, args, app.Env{Stdin: strings.NewReader(""), Stdout: &testkit.Buffer{}, Stderr: p.stderr, Environ: env,
			Build: config.BuildInfo{Version: "e2e"}})
	}()
	t.Cleanup(func() { p.shutdown(t) })
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case code := <-p.done:
			p.done <- code
			t.Fatalf("pff %s exited with %d:\n%s", args[0], code, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "pff %s never became healthy:\n%s", args[0], p.stderr)
	}
}

// shutdown stops the process as SIGTERM does and expects a clean exit.
func (p *pff) shutdown(t *testing.T) {
	p.stop()
	select {
	case code := <-p.done:
		p.done <- code
		require.Zero(t, code, "pff exited with %d:\n%s", code, p.stderr)
	case <-time.After(60 * time.Second):
		t.Errorf("pff did not stop within a minute:\n%s", p.stderr)
	}
}

// client calls the API as one signed-in user.
type client struct {
	t     *testing.T
	url   string
	token string
}

func login(t *testing.T, url, username, password string) *client {
	t.Helper()
	c := &client{t: t, url: url}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.json(http.MethodPost, "/api/v1/auth/login", map[string]string{"username": username, "password": password}, http.StatusOK, &tok)
	require.NotEmpty(t, tok.AccessToken)
	c.token = tok.AccessToken
	return c
}

// do sends a request and returns the status and body.
func (c *client) do(method, path, contentType string, body io.Reader) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, body)
	require.NoError(c.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res.StatusCode, data
}

// json sends in as JSON (nil: no body), expects status and decodes the
// answer into out (nil: ignored).
func (c *client) json(method, path string, in any, status int, out any) {
	c.t.Helper()
	var body io.Reader
	ct := ""
	if in != nil {
		data, err := json.Marshal(in)
		require.NoError(c.t, err)
		body, ct = bytes.NewReader(data), "application/json"
	}
	code, data := c.do(method, path, ct, body)
	require.Equal(c.t, status, code, "%s %s: %s", method, path, data)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(data, out), "%s %s: %s", method, path, data)
	}
}

// get reads path into out. A 503 is tried again after a moment, as a client
// that honours Retry-After does: after PostgreSQL restarts, each pooled
// connection that died with it fails one request before it is replaced.
func (c *client) get(path string, out any) {
	c.t.Helper()
	for range 50 {
		code, data := c.do(http.MethodGet, path, "", nil)
		if code == http.StatusServiceUnavailable {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		require.Equal(c.t, http.StatusOK, code, "GET %s: %s", path, data)
		require.NoError(c.t, json.Unmarshal(data, out), "GET %s: %s", path, data)
		return
	}
	c.t.Fatalf("GET %s: still 503 after 5 s", path)
}

// waitJob waits for a job to complete and returns it.
func (c *client) waitJob(id int64, timeout time.Duration) jobs.View {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var v jobs.View
		c.get(fmt.Sprintf("/api/v1/jobs/%d", id), &v)
		switch v.State {
		case "completed":
			return v
		case "discarded", "cancelled":
			c.t.Fatalf("job %d (%s) ended %s: %+v", id, v.Kind, v.State, v.Errors)
		}
		require.True(c.t, time.Now().Before(deadline), "job %d (%s) still %s after %v", id, v.Kind, v.State, timeout)
		time.Sleep(100 * time.Millisecond)
	}
}

// waitValidated waits until n current records are stored and every one has
// a report, and returns the statistics.
func (c *client) waitValidated(n int64, timeout time.Duration) store.RecordStats {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var s store.RecordStats
		c.get("/api/v1/stats", &s)
		if s.Records == n && s.Unvalidated == 0 {
			return s
		}
		require.True(c.t, time.Now().Before(deadline), "after %v: %d records, %d not validated", timeout, s.Records, s.Unvalidated)
		time.Sleep(100 * time.Millisecond)
	}
}

// page is one page of a list.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// records lists every current record matching query (url-encoded).
func (c *client) records(query string) []store.Record {
	c.t.Helper()
	var p page[store.Record]
	c.get("/api/v1/records?limit=200&"+query, &p)
	require.Nil(c.t, p.NextCursor, "more than one page")
	return p.Items
}

// zipOf packs records as the source systems write them: one
// customer_enquiry_<msisdn>.txt each.
func zipOf(t *testing.T, recs []gen.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range recs {
		w, err := zw.Create(r.FileName())
		require.NoError(t, err)
		_, err = w.Write(r.Doc)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}
