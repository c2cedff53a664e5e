package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/pff/pff/app/config"
)

// telemetry is a process's tracer provider, or nothing when tracing is off:
// then no provider, exporter or batcher exists and instrumented code takes
// its no-op paths.
type telemetry struct {
	provider *sdktrace.TracerProvider // nil when off
}

// startTracing makes the tracer provider telemetry.otlp_endpoint asks for,
// exporting spans in batches over OTLP/HTTP. The exporter also reads the
// standard OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, _TIMEOUT, _COMPRESSION and
// _CERTIFICATE variables, the resource OTEL_RESOURCE_ATTRIBUTES, and the
// sampler OTEL_TRACES_SAMPLER(_ARG) when set.
func startTracing(ctx context.Context, cfg config.Config, build config.BuildInfo, process string) (*telemetry, error) {
	tc := cfg.Telemetry
	if !tc.Enabled() {
		return &telemetry{}, nil
	}
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tc.TracesURL()))
	if err != nil {
		return nil, fmt.Errorf("telemetry.otlp_endpoint: %w", err)
	}
	return &telemetry{provider: newTracerProvider(ctx, tc, build, process, sdktrace.WithBatcher(exporter))}, nil
}

// newTracerProvider makes a provider with PFF's resource and sampler around
// the given span processors (tests give a synchronous in-memory one).
func newTracerProvider(ctx context.Context, tc config.TelemetryConfig, build config.BuildInfo, process string,
	opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(attribute.String("service.name", tc.ServiceName), attribute.String("service.version", build.Version),
			attribute.String("pff.process", process)))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		res = resource.Default()
	}
	if os.Getenv("OTEL_TRACES_SAMPLER") == "" {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(tc.SampleRatio))))
	}
	return sdktrace.NewTracerProvider(append(opts, sdktrace.WithResource(res))...)
}

// Provider is the tracer provider, nil when tracing is off.
func (t *telemetry) Provider() trace.TracerProvider {
	if t == nil || t.provider == nil {
		return nil
	}
	return t.provider
}

// shutdown sends the spans still buffered, within ctx.
func (t *telemetry) shutdown(ctx context.Context, logger *slog.Logger) {
	if t == nil || t.provider == nil {
		return
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		logger.Warn("tracing: spans not sent at shutdown", "error", err)
	}
}
