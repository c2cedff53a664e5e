package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTelemetryIsOffByDefault(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{})
	require.NoError(t, err)
	require.False(t, cfg.Telemetry.Enabled())
	require.Equal(t, "pff", cfg.Telemetry.ServiceName)
	require.InDelta(t, 1.0, cfg.Telemetry.SampleRatio, 0)
}

func TestTelemetryEndpointFromKeysAndStandardVariables(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		environ []string
		want    string
	}{
		"key":              {[]string{"PFF_TELEMETRY__OTLP_ENDPOINT=http://collector:4318"}, "http://collector:4318/v1/traces"},
		"key with a path":  {[]string{"PFF_TELEMETRY__OTLP_ENDPOINT=https://collector/otlp/traces"}, "https://collector/otlp/traces"},
		"base variable":    {[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318/"}, "http://collector:4318/v1/traces"},
		"traces variable":  {[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://b:4318/t"}, "http://b:4318/t"},
		"PFF_ wins":        {[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://a:4318", "PFF_TELEMETRY__OTLP_ENDPOINT=http://c:4318"}, "http://c:4318/v1/traces"},
		"sdk disabled":     {[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://a:4318", "OTEL_SDK_DISABLED=true"}, ""},
		"nothing (off)":    {nil, ""},
		"empty is nothing": {[]string{"OTEL_EXPORTER_OTLP_ENDPOINT="}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(Sources{Environ: tc.environ})
			require.NoError(t, err)
			require.Equal(t, tc.want != "", cfg.Telemetry.Enabled())
			if tc.want != "" {
				require.Equal(t, tc.want, cfg.Telemetry.TracesURL())
			}
		})
	}
	cfg, err := Load(Sources{Environ: []string{"OTEL_SERVICE_NAME=pff-eu"}})
	require.NoError(t, err)
	require.Equal(t, "pff-eu", cfg.Telemetry.ServiceName)
}

func TestTelemetryProblemsNameTheKey(t *testing.T) {
	t.Parallel()
	for environ, want := range map[string]string{
		"PFF_TELEMETRY__OTLP_ENDPOINT=collector:4318":        `config: telemetry.otlp_endpoint: "collector:4318" is not an http:// or https:// URL such as http://otel-collector:4318`,
		"PFF_TELEMETRY__OTLP_ENDPOINT=grpc://collector:4317": `config: telemetry.otlp_endpoint: "grpc://collector:4317" is not an http:// or https:// URL`,
		"PFF_TELEMETRY__SAMPLE_RATIO=1.5":                    "config: telemetry.sample_ratio: 1.5 is outside 0..1",
		"PFF_TELEMETRY__SAMPLE_RATIO=half":                   `config: telemetry.sample_ratio: "half" is not a number`,
	} {
		_, err := Load(Sources{Environ: []string{environ}})
		require.ErrorContains(t, err, want, environ)
	}
	_, err := Load(Sources{Environ: []string{"PFF_TELEMETRY__OTLP_ENDPOINT=http://c:4318", "PFF_TELEMETRY__SERVICE_NAME="}})
	require.ErrorContains(t, err, "config: telemetry.service_name: is required when telemetry.otlp_endpoint is set")
}

func TestTelemetryEndpointIsRedacted(t *testing.T) {
	t.Parallel()
	cfg, err := Load(Sources{Environ: []string{"PFF_TELEMETRY__OTLP_ENDPOINT=https://pff:hunter2@collector:4318"}})
	require.NoError(t, err)
	require.NotContains(t, cfg.Redacted().Telemetry.OTLPEndpoint, "hunter2")
}
