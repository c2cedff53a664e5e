package main

// These tests check the Prometheus rules under deploy/prometheus: promtool
// validates and unit-tests them (Debian's prometheus package, which
// scripts/setup-prometheus.sh installs), and every alert carries what an
// operator needs when it fires. app/prometheus_test.go evaluates the same
// expressions, and the dashboards', on a real Prometheus scraping pff serve.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// promtool returns promtool's path. Without it the test skips, unless
// PFF_REQUIRE_PROMETHEUS is set (make test sets it): then it fails.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("PFF_REQUIRE_PROMETHEUS") != "" {
			t.Fatal("promtool is not installed and PFF_REQUIRE_PROMETHEUS is set: run scripts/setup-prometheus.sh")
		}
		t.Skip("promtool is not installed (Debian's prometheus package; scripts/setup-prometheus.sh installs it)")
	}
	return path
}

func TestPrometheusRules(t *testing.T) {
	t.Parallel()
	tool := promtool(t)
	rules, err := filepath.Glob("deploy/prometheus/rules/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, rules)
	out, err := exec.Command(tool, append([]string{"check", "rules"}, rules...)...).CombinedOutput()
	require.NoError(t, err, "promtool check rules:\n%s", out)

	tests, err := filepath.Glob("deploy/prometheus/tests/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, tests)
	out, err = exec.Command(tool, append([]string{"test", "rules"}, tests...)...).CombinedOutput()
	require.NoError(t, err, "promtool test rules:\n%s", out)

	out, err = exec.Command(tool, "check", "config", "deploy/prometheus/prometheus.yml").CombinedOutput()
	require.NoError(t, err, "promtool check config:\n%s", out)
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

const runbookBase = "https://github.com/pff/pff/blob/main/DEPLOYMENT.md#"

// TestEveryAlertHasARunbookAndATest: a severity that routes it, a summary,
// a description, a runbook_url whose anchor is a section of DEPLOYMENT.md,
// and a promtool test in which it fires.
func TestEveryAlertHasARunbookAndATest(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("deploy/prometheus/rules/alerts.yml")
	require.NoError(t, err)
	var alerts ruleFile
	require.NoError(t, yaml.Unmarshal(src, &alerts))

	deployment, err := os.ReadFile("DEPLOYMENT.md")
	require.NoError(t, err)
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#+ (.+)$`).FindAllStringSubmatch(string(deployment), -1) {
		anchors[githubAnchor(m[1])] = true
	}

	tests, err := filepath.Glob("deploy/prometheus/tests/*.yml")
	require.NoError(t, err)
	firing := map[string]bool{}
	for _, path := range tests {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		var f struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string `yaml:"alertname"`
					ExpAlerts []any  `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
			} `yaml:"tests"`
		}
		require.NoError(t, yaml.Unmarshal(src, &f), path)
		for _, tc := range f.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					firing[a.Alertname] = true
				}
			}
		}
	}

	n := 0
	for _, g := range alerts.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			require.Contains(t, []string{"page", "ticket"}, r.Labels["severity"], r.Alert)
			require.NotEmpty(t, r.Annotations["summary"], r.Alert)
			require.NotEmpty(t, r.Annotations["description"], r.Alert)
			url := r.Annotations["runbook_url"]
			anchor, ok := strings.CutPrefix(url, runbookBase)
			require.True(t, ok, "%s: runbook_url %q is not a section of DEPLOYMENT.md", r.Alert, url)
			require.True(t, anchors[anchor], "%s: DEPLOYMENT.md has no section #%s", r.Alert, anchor)
			require.True(t, firing[r.Alert], "%s: no promtool test makes it fire", r.Alert)
		}
	}
	require.GreaterOrEqual(t, n, 15)
}

// githubAnchor is the anchor GitHub gives a Markdown heading.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}
