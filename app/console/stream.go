package console

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/executions"
	"github.com/pff/pff/app/problem"
)

// Server-sent events: how long one stream lasts before the browser
// reconnects (a proxy's or the server's write deadline is lifted for that
// long), and how often an idle stream sends a comment to stay open.
const (
	streamFor       = time.Hour
	streamKeepAlive = 15 * time.Second
)

// stream answers with server-sent events: poll runs every interval and
// sends HTML fragments (event name, markup) until it says it is done, the
// browser leaves or streamFor passes. Errors after the headers end the
// stream. When poll is done the stream says so with a "done" event, which
// the page's sse-close attribute answers by closing the stream itself: a
// stream the server ended would be reopened, and logged as an error.
func (c *Console) stream(w http.ResponseWriter, r *http.Request, every time.Duration, poll func(send func(event string, html []byte) error) (bool, error)) error {
	rc := http.NewResponseController(w)
	// Writers that cannot set deadlines (test recorders) have none to lift.
	_ = rc.SetWriteDeadline(time.Now().Add(streamFor + time.Minute))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx would hold the events back
	w.WriteHeader(http.StatusOK)
	lastWrite := time.Now()
	send := func(event string, html []byte) error {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "event: %s\n", event)
		for line := range bytes.Lines(html) {
			buf.WriteString("data: ")
			buf.Write(bytes.TrimRight(line, "\r\n"))
			buf.WriteByte('\n')
		}
		buf.WriteByte('\n')
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		lastWrite = time.Now()
		return rc.Flush()
	}
	ctx, cancel := context.WithTimeout(r.Context(), streamFor)
	defer cancel()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		done, err := poll(send)
		if err != nil {
			if ctx.Err() == nil {
				c.logger.Warn("console event stream ended", "error", err, "path", r.URL.Path)
			}
			return nil
		}
		if done {
			if err := send("done", []byte("end")); err != nil {
				return nil
			}
			// The browser closes the stream on "done"; it gets a moment to.
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
			}
			return nil
		}
		if time.Since(lastWrite) >= streamKeepAlive {
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
			lastWrite = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

const roleAdmin = auth.RoleAdmin

func fieldError(field, format string, args ...any) error {
	return problem.FieldError(field, format, args...)
}

func asProblem(err error) (*problem.Error, bool) { return problem.As(err) }

// approveFlows lets the flow file of a finished plan run for real: an
// admin's decision, as in the API.
func (c *Console) approveFlows(ctx context.Context, svc *executions.Service, planID int64, a *act) error {
	if !a.Role.Allows(auth.RoleAdmin) {
		return problem.Forbiddenf("approving a flow file needs the admin role; you have %s", a.Role)
	}
	e, err := svc.Get(ctx, planID)
	if err != nil {
		return err
	}
	return svc.ApproveFlows(ctx, e.FlowsID, planID, a.Actor())
}
