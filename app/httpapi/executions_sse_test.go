package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/knowledge"
	"github.com/pff/pff/store"
)

// TestEventStreamLosesAndRepeatsNothingOverTenThousandLines follows a
// 10,000-line execution's events over a real connection while its lines are
// worked, dropping the connection every 3,000 events and reconnecting with
// Last-Event-ID, as a browser does: every event arrives once, in order,
// without a gap, up to the execution's last.
func TestEventStreamLosesAndRepeatsNothingOverTenThousandLines(t *testing.T) {
	t.Parallel()
	const lines, dropEvery = 10_000, 3_000
	ts := newTestServer(t, nil)
	ts.workLines(t)
	admin, operator, viewer := bearer(ts.bearers[auth.RoleAdmin]), bearer(ts.bearers[auth.RoleOperator]), bearer(ts.bearers[auth.RoleViewer])

	// A flow without BSS calls: the stream, not the simulator, is tested.
	// A step id makes it a flow of PFF's language, which runs without a
	// reviewed plan.
	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/flows", header: admin,
		body: jsonBody(t, knowledge.CreateRequest{Name: "notes", Content: "Note:\n  - id: note\n    set: seen\n    value: \"{{ msisdn }}\"\n"})})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/flows/%d/activate", Prefix, decodeBody[knowledge.Created](t, rec).ID), header: admin})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	start := executions.StartRequest{Flow: "Note", Lines: make([]executions.LineInput, lines)}
	for i := range start.Lines {
		start.Lines[i].MSISDN = fmt.Sprintf("5511%09d", i)
	}
	body, err := json.Marshal(start)
	require.NoError(t, err)
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/executions", header: operator, body: string(body)})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	id := decode[store.Execution](t, rec.Body.Bytes()).ID
	// So many lines need a second person.
	rec = ts.do(request{method: http.MethodPost, path: fmt.Sprintf("%s/executions/%d/approve", Prefix, id), header: admin})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	srv := httptest.NewServer(ts.e)
	t.Cleanup(srv.Close)
	var last, connections int
	for ended := false; !ended; {
		connections++
		ended = followEvents(t, srv.URL+fmt.Sprintf("%s/executions/%d/events", Prefix, id), viewer["Authorization"], &last, dropEvery)
	}
	// The stream ends only once the execution has settled.
	rec = ts.do(request{method: http.MethodGet, path: fmt.Sprintf("%s/executions/%d", Prefix, id), header: viewer})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	final := decode[store.Execution](t, rec.Body.Bytes())
	require.Equal(t, store.ExecSucceeded, final.State)
	require.Equal(t, int(final.LastEvent), last, "the stream ended at the execution's last event")
	require.GreaterOrEqual(t, last, 2*lines, "each line's events were streamed")
	require.Greater(t, connections, 3, "the client reconnected several times")
}

// followEvents reads one connection of an event stream from after *last,
// holding every id to be *last+1, and leaves after max events. It says
// whether the server ended the stream.
func followEvents(t *testing.T, url, authorization string, last *int, max int) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", authorization)
	if *last > 0 {
		req.Header.Set("Last-Event-ID", strconv.Itoa(*last))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	lines := bufio.NewScanner(res.Body)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; lines.Scan(); {
		v, ok := strings.CutPrefix(lines.Text(), "id: ")
		if !ok {
			continue
		}
		id, err := strconv.Atoi(v)
		require.NoError(t, err)
		require.Equal(t, *last+1, id, "after event %d comes %d: none lost, none repeated", *last, *last+1)
		*last = id
		if n++; n == max {
			return false
		}
	}
	require.NoError(t, lines.Err())
	return true
}
