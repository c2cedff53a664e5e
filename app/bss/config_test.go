package bss_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/bss"
	"github.com/pff/pff/app/bss/bsssim"
)

func TestConfigValidateNamesTheKey(t *testing.T) {
	t.Parallel()
	ok := bss.SystemConfig{Clusters: []string{"https://bias-a:8443", "https://bias-b:8443/api/"}}
	tests := []struct {
		name string
		sys  map[string]bss.SystemConfig
		want []string
	}{
		{"valid", map[string]bss.SystemConfig{"bias": ok}, nil},
		{"nothing", nil, []string{"bss.systems: no systems configured"}},
		{"no clusters", map[string]bss.SystemConfig{"bias": {}}, []string{"bss.systems.bias.clusters: at least one base URL is required"}},
		{"bad cluster", map[string]bss.SystemConfig{"bae": {Clusters: []string{"ftp://x", "https://u:p@h", "https://h", "https://h"}}},
			[]string{`bss.systems.bae.clusters[0]: "ftp://x": want an http or https URL`,
				"bss.systems.bae.clusters[1]", `bss.systems.bae.clusters[3]: "https://h" is listed twice`}},
		{"negatives", map[string]bss.SystemConfig{"cpm": {Clusters: ok.Clusters, Timeout: -time.Second, Rate: -1,
			Breaker: bss.BreakerConfig{Probes: -1}}},
			[]string{"bss.systems.cpm.timeout: -1s is negative", "bss.systems.cpm.rate: -1 is negative",
				"bss.systems.cpm.breaker.probes: -1 is negative"}},
		{"rate too high", map[string]bss.SystemConfig{"cpm": {Clusters: ok.Clusters, Rate: 10_000_000}}, []string{"bss.systems.cpm.rate:"}},
		{"half a certificate", map[string]bss.SystemConfig{"bias": {Clusters: ok.Clusters, TLS: bss.TLSConfig{CertFile: "c.pem"}}},
			[]string{"bss.systems.bias.tls: set both cert_file and key_file, or neither"}},
		{"auth", map[string]bss.SystemConfig{
			"bias": {Clusters: ok.Clusters, Auth: bss.AuthConfig{Type: "basic"}},
			"bae":  {Clusters: ok.Clusters, Auth: bss.AuthConfig{Type: "oauth"}},
			"cpm":  {Clusters: ok.Clusters, Auth: bss.AuthConfig{TokenEnv: "X"}},
		}, []string{"bss.systems.bias.auth.username_env: required for basic auth", "bss.systems.bias.auth.password_env",
			`bss.systems.bae.auth.type: "oauth": want none, basic or bearer`, "bss.systems.cpm.auth.type: is none"}},
		{"system name", map[string]bss.SystemConfig{"BIAS": ok}, []string{`bss.systems.BIAS: "BIAS" is not a system name`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := bss.Config{Systems: tt.sys}.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestNewClientNeedsEverySystemTheCatalogueCalls(t *testing.T) {
	t.Parallel()
	cat, err := bss.LoadCatalogue()
	require.NoError(t, err)
	_, err = bss.NewClient(cat, bss.Config{Systems: map[string]bss.SystemConfig{"bias": {Clusters: []string{"http://h"}}}})
	require.ErrorContains(t, err, "bss.systems.bae: the catalogue calls bae, which is not configured")
	require.ErrorContains(t, err, "bss.systems.cpm")
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	metrics, err := bss.NewMetrics(reg)
	require.NoError(t, err)
	_, err = bss.NewMetrics(reg)
	require.Error(t, err, "registering twice on one registry fails, not panics")

	f := newFixture(t, fixtureOptions{
		config: func(c *bss.Config) { c.Metrics = metrics },
		system: func(c *bss.SystemConfig) { c.Breaker = bss.BreakerConfig{Failures: 1, CoolDown: time.Hour} },
	})
	// Before the first call, every operation's outcomes are 0 on the system it
	// calls, so that rate() sees a first failure as a rise from 0.
	require.Equal(t, 0.0, metricValue(t, reg, "pff_bss_calls_total", "operation=line.read_contract,outcome=transient,system=cpm"))
	require.Equal(t, 0.0, metricValue(t, reg, "pff_bss_calls_total", "operation=line.set_contract_status,outcome=unknown,system=bae"))
	require.Equal(t, 0.0, metricValue(t, reg, "pff_bss_failovers_total", "system=cpm"))
	require.Equal(t, 0.0, metricValue(t, reg, "pff_bss_call_duration_seconds", "operation=line.read_contract,system=cpm"))
	require.Equal(t, 0.0, metricValue(t, reg, "pff_bss_rate_limit_wait_seconds", "system=cpm"))

	require.Equal(t, bss.Success, f.call(t, "line.read_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}).Outcome)
	require.Equal(t, bss.AlreadyDone, f.call(t, "line.set_contract_status",
		map[string]any{"customer_id": singleCustomer, "contract_id": singleContract, "status": "ContractActive"}).Outcome)
	_, err = f.sim.AddFault(bsssim.Fault{Kind: bsssim.FaultError, Status: 500, Path: "/cpm/**"})
	require.NoError(t, err)
	require.Equal(t, bss.Transient, f.call(t, "line.read_contract", map[string]any{"customer_id": singleCustomer, "contract_id": singleContract}).Outcome)

	require.Equal(t, 1.0, metricValue(t, reg, "pff_bss_calls_total", "operation=line.read_contract,outcome=success,system=cpm"))
	require.Equal(t, 1.0, metricValue(t, reg, "pff_bss_calls_total", "operation=line.read_contract,outcome=transient,system=cpm"))
	require.Equal(t, 1.0, metricValue(t, reg, "pff_bss_calls_total", "operation=line.set_contract_status,outcome=already_done,system=bae"))
	require.Equal(t, 0.0, metricValue(t, reg, "pff_bss_breaker_state", "system=bae"))
	require.Equal(t, 2.0, metricValue(t, reg, "pff_bss_breaker_state", "system=cpm"), "open")
	require.Equal(t, 2.0, metricValue(t, reg, "pff_bss_call_duration_seconds", "operation=line.read_contract,system=cpm"), "observations")
}

// metricValue returns a counter's or gauge's value, or a histogram's count,
// of the series whose labels are exactly labels ("k=v,k=v", sorted).
func metricValue(t *testing.T, reg *prometheus.Registry, name, labels string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, l.GetName()+"="+l.GetValue())
			}
			if strings.Join(parts, ",") != labels {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s{%s}", name, labels)
	return 0
}
