package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/pff/pff/app/config"
	"github.com/pff/pff/internal/tracing"
)

// newLogger logs JSON in production and text elsewhere, unless log.format
// says otherwise.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level)) // validated by config.Load
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Log.Format
	if format == "" {
		format = "text"
		if cfg.Production() {
			format = "json"
		}
	}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	if cfg.Telemetry.Enabled() {
		// Lines logged inside a span say which: trace_id and span_id.
		h = tracing.LogHandler{Handler: h}
	}
	return slog.New(lineSink{Handler: h, w: w, json: format == "json"})
}

// lineSink is a handler that also takes whole lines in its own format: the
// HTTP access log formats its lines itself (httpapi.AccessLogSink), which is
// several times cheaper than a slog record. Handlers derived from it
// (With, WithGroup) are plain slog handlers, so their lines keep their
// attributes.
type lineSink struct {
	slog.Handler
	w    io.Writer
	json bool
}

func (s lineSink) AccessLog() (io.Writer, bool) { return s.w, s.json }

// atLeast lets through only records of level min and above: River's
// progress logs would drown a command's own output.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return atLeast{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{Handler: h.Handler.WithGroup(name), min: h.min}
}
