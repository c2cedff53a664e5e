package main

// These tests read the deployment files (Dockerfile, .dockerignore,
// compose.yaml, .github/workflows/ci.yml) and check the properties a
// deployment relies on. No Docker engine is needed: the files are parsed.

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/pff/pff/app/config"
)

// ---- Dockerfile ----

// dockerInstruction is one Dockerfile instruction, continuation lines joined.
type dockerInstruction struct {
	line    int      // first physical line, for failure messages
	keyword string   // upper case: FROM, RUN, COPY, ...
	flags   []string // leading options such as --mount=type=cache,target=/go/pkg/mod
	args    string   // everything after the flags
}

func (in dockerInstruction) String() string {
	return fmt.Sprintf("line %d: %s %s", in.line, in.keyword, in.args)
}

// dockerStage is a FROM and the instructions up to the next FROM.
type dockerStage struct {
	base         string // image reference after FROM
	name         string // the AS name, or ""
	instructions []dockerInstruction
}

// parseDockerfile splits a Dockerfile into stages. It knows what these tests
// need: comments, blank lines, backslash continuations (with comment lines
// inside them, which Docker drops), instruction flags and FROM ... AS name.
// Heredocs and the escape parser directive are not supported.
func parseDockerfile(src string) ([]dockerStage, error) {
	var (
		stages  []dockerStage
		pending strings.Builder // the logical line being joined
		start   int             // its first physical line
	)
	finish := func() error {
		logical := strings.TrimSpace(pending.String())
		pending.Reset()
		if logical == "" {
			return nil
		}
		in := parseDockerInstruction(start, logical)
		if in.keyword == "FROM" {
			stage, err := parseFrom(in)
			if err != nil {
				return err
			}
			stages = append(stages, stage)
			return nil
		}
		if len(stages) == 0 {
			if in.keyword == "ARG" { // global build arguments may precede FROM
				return nil
			}
			return fmt.Errorf("dockerfile: line %d: %s before the first FROM", in.line, in.keyword)
		}
		last := &stages[len(stages)-1]
		last.instructions = append(last.instructions, in)
		return nil
	}

	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimRight(line, " \t\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // a comment or blank line, also inside a continuation
		}
		if pending.Len() == 0 {
			start = n + 1
		} else {
			pending.WriteByte(' ')
		}
		body, continued := strings.CutSuffix(line, `\`)
		pending.WriteString(strings.TrimSpace(body))
		if !continued {
			if err := finish(); err != nil {
				return nil, err
			}
		}
	}
	if err := finish(); err != nil { // a trailing backslash on the last line
		return nil, err
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("dockerfile: no FROM instruction")
	}
	return stages, nil
}

func parseDockerInstruction(line int, logical string) dockerInstruction {
	keyword, rest := cutSpace(logical)
	in := dockerInstruction{line: line, keyword: strings.ToUpper(keyword)}
	for strings.HasPrefix(rest, "--") {
		var flag string
		flag, rest = cutSpace(rest)
		in.flags = append(in.flags, flag)
	}
	in.args = rest
	return in
}

// cutSpace splits s at its first run of spaces or tabs.
func cutSpace(s string) (head, tail string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

func parseFrom(in dockerInstruction) (dockerStage, error) {
	fields := strings.Fields(in.args)
	switch {
	case len(fields) == 1:
		return dockerStage{base: fields[0]}, nil
	case len(fields) == 3 && strings.EqualFold(fields[1], "AS"):
		return dockerStage{base: fields[0], name: fields[2]}, nil
	}
	return dockerStage{}, fmt.Errorf("dockerfile: line %d: want FROM image [AS name], got %q", in.line, in.args)
}

// execForm returns args as a JSON array (exec form), or false when args is in
// shell form.
func execForm(args string) ([]string, bool) {
	var argv []string
	if !strings.HasPrefix(args, "[") || json.Unmarshal([]byte(args), &argv) != nil {
		return nil, false
	}
	return argv, true
}

// only returns the stage's single instruction with keyword.
func (s dockerStage) only(t *testing.T, keyword string) dockerInstruction {
	t.Helper()
	var found []dockerInstruction
	for _, in := range s.instructions {
		if in.keyword == keyword {
			found = append(found, in)
		}
	}
	require.Len(t, found, 1, "stage FROM %s: want exactly one %s", s.base, keyword)
	return found[0]
}

// declaredArgs returns the names the stage's ARG instructions declare before
// position end.
func (s dockerStage) declaredArgs(end int) []string {
	var names []string
	for _, in := range s.instructions[:end] {
		if in.keyword != "ARG" {
			continue
		}
		for _, field := range strings.Fields(in.args) {
			name, _, _ := strings.Cut(field, "=")
			names = append(names, name)
		}
	}
	return names
}

func loadDockerfile(t *testing.T) []dockerStage {
	t.Helper()
	src, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	stages, err := parseDockerfile(string(src))
	require.NoError(t, err)
	return stages
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	src := "# syntax=docker/dockerfile:1\n" +
		"ARG GO=1.26\n" +
		"FROM --platform=$BUILDPLATFORM golang:${GO} AS build\n" +
		"RUN --mount=type=cache,target=/go/pkg/mod \\\n" +
		"    # dropped, as Docker drops it\n" +
		"\n" +
		"    go build \\\n" +
		"      -o /pff .\r\n" +
		"COPY\t--from=x /a /b\n" +
		"from scratch\n" +
		"HEALTHCHECK --interval=5s CMD [\"/pff\", \"healthcheck\"]\n"

	stages, err := parseDockerfile(src)
	require.NoError(t, err)
	require.Len(t, stages, 2)
	require.Equal(t, "golang:${GO}", stages[0].base)
	require.Equal(t, "build", stages[0].name)
	require.Equal(t, []dockerInstruction{{
		line:    4,
		keyword: "RUN",
		flags:   []string{"--mount=type=cache,target=/go/pkg/mod"},
		args:    "go build -o /pff .",
	}, {
		line:    9,
		keyword: "COPY",
		flags:   []string{"--from=x"},
		args:    "/a /b",
	}}, stages[0].instructions)
	require.Equal(t, "scratch", stages[1].base)
	health := stages[1].only(t, "HEALTHCHECK")
	require.Equal(t, []string{"--interval=5s"}, health.flags)
	argv, ok := execForm(strings.TrimPrefix(health.args, "CMD "))
	require.True(t, ok)
	require.Equal(t, []string{"/pff", "healthcheck"}, argv)
}

func TestParseDockerfileErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"empty":              "",
		"only comments":      "# nothing\n\n",
		"RUN before FROM":    "RUN true\nFROM scratch\n",
		"FROM without image": "FROM\n",
		"FROM with junk":     "FROM golang AS build extra\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := parseDockerfile(src)
			require.Error(t, err)
		})
	}
}

func FuzzParseDockerfile(f *testing.F) {
	if src, err := os.ReadFile("Dockerfile"); err == nil {
		f.Add(string(src))
	}
	f.Add("FROM a AS b\nRUN x \\\n# c\n y\n")
	f.Add("ARG X\nFROM scratch\nCMD [\"serve\"]\\")
	f.Fuzz(func(t *testing.T, src string) {
		stages, err := parseDockerfile(src)
		if err != nil {
			return
		}
		for _, s := range stages {
			require.NotEmpty(t, s.base)
			for _, in := range s.instructions {
				require.NotEmpty(t, in.keyword)
				require.Equal(t, strings.ToUpper(in.keyword), in.keyword)
				require.Positive(t, in.line)
			}
		}
	})
}

func TestDockerfileBuilderStage(t *testing.T) {
	t.Parallel()
	stages := loadDockerfile(t)
	require.GreaterOrEqual(t, len(stages), 2, "want a multi-stage build")
	build := stages[0]
	require.Regexp(t, `^golang:1\.26-(bookworm|alpine)`, build.base)
	require.NotEmpty(t, build.name, "the runtime stage copies from the builder by name")

	download := slices.IndexFunc(build.instructions, func(in dockerInstruction) bool {
		return in.keyword == "RUN" && strings.Contains(in.args, "go mod download")
	})
	copySource := slices.IndexFunc(build.instructions, func(in dockerInstruction) bool {
		return in.keyword == "COPY" && strings.HasPrefix(in.args, ". ")
	})
	compile := slices.IndexFunc(build.instructions, func(in dockerInstruction) bool {
		return in.keyword == "RUN" && strings.Contains(in.args, "go build")
	})
	require.NotEqual(t, -1, download, "want a RUN go mod download")
	require.NotEqual(t, -1, copySource, "want COPY . <dir>")
	require.NotEqual(t, -1, compile, "want a RUN go build")
	require.Less(t, download, copySource, "modules must be downloaded before the source is copied, so source edits keep that layer")
	require.Less(t, copySource, compile)

	modCache := "--mount=type=cache,target=/go/pkg/mod"
	require.Contains(t, build.instructions[download].flags, modCache)
	require.Contains(t, build.instructions[compile].flags, modCache)
	require.Contains(t, build.instructions[compile].flags, "--mount=type=cache,target=/root/.cache/go-build")

	goBuild := build.instructions[compile].args
	require.Contains(t, goBuild, "CGO_ENABLED=0", "the runtime image has no libc")
	require.Contains(t, goBuild, "-trimpath")
	require.Contains(t, goBuild, "-o /pff")

	// Each version variable is set with -X from a build argument declared above.
	stamped := map[string]string{} // main.<var> -> build argument
	for _, m := range regexp.MustCompile(`-X main\.(\w+)=\$\{?(\w+)\}?`).FindAllStringSubmatch(goBuild, -1) {
		stamped[m[1]] = m[2]
	}
	declared := build.declaredArgs(compile)
	for _, variable := range []string{"version", "commit", "buildDate"} {
		arg, ok := stamped[variable]
		require.True(t, ok, "-ldflags must set main.%s with -X", variable)
		require.Contains(t, declared, arg, "main.%s comes from ARG %s, which must be declared before the build", variable, arg)
	}
}

func TestDockerfileRuntimeStage(t *testing.T) {
	t.Parallel()
	stages := loadDockerfile(t)
	build, runtime := stages[0], stages[len(stages)-1]
	require.Regexp(t, `^(gcr\.io/distroless/static-debian\d+:nonroot|scratch)$`, runtime.base)

	copyBinary := runtime.only(t, "COPY")
	require.Equal(t, []string{"--from=" + build.name}, copyBinary.flags)
	require.Equal(t, "/pff /pff", copyBinary.args)

	user := runtime.only(t, "USER").args
	require.NotContains(t, []string{"root", "0", "0:0", "root:root"}, user)
	if runtime.base == "scratch" {
		require.Regexp(t, `^[1-9]\d*(:[1-9]\d*)?$`, user, "scratch has no /etc/passwd: use a numeric uid")
	}

	require.Contains(t, strings.Fields(runtime.only(t, "EXPOSE").args), "8000")

	health := runtime.only(t, "HEALTHCHECK")
	probe, ok := strings.CutPrefix(health.args, "CMD ")
	require.True(t, ok, "%s: want HEALTHCHECK [options] CMD [...]", health)
	argv, ok := execForm(probe)
	require.True(t, ok, "%s: the image has no shell, so HEALTHCHECK needs the exec form", health)
	require.Equal(t, []string{"/pff", "healthcheck"}, argv[:min(2, len(argv))])

	tests := []struct {
		keyword string
		want    []string
	}{
		{"ENTRYPOINT", []string{"/pff"}},
		{"CMD", []string{"serve"}},
	}
	for _, tt := range tests {
		in := runtime.only(t, tt.keyword)
		argv, ok := execForm(in.args)
		require.True(t, ok, "%s: want exec form", in)
		require.Equal(t, tt.want, argv, "%s", in)
	}
}

func TestDockerignore(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(".dockerignore")
	require.NoError(t, err)
	var patterns []string
	for line := range strings.Lines(string(src)) {
		if p := strings.TrimSpace(line); p != "" && !strings.HasPrefix(p, "#") {
			patterns = append(patterns, p)
		}
	}
	for _, want := range []string{
		".git", // history: large, and changes on every commit
		".env", // local secrets must not reach the build context
		"bin/", // local builds
		"**/testdata/",
	} {
		require.Contains(t, patterns, want)
	}
}

// ---- compose.yaml ----

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Networks map[string]any            `yaml:"networks"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Command     []string                     `yaml:"command"`
	Profiles    []string                     `yaml:"profiles"`
	Environment map[string]string            `yaml:"environment"`
	Volumes     []string                     `yaml:"volumes"`
	Ports       []string                     `yaml:"ports"`
	Networks    []string                     `yaml:"networks"`
	DependsOn   map[string]composeDependency `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Restart string `yaml:"restart"`
	Deploy  struct {
		Resources struct {
			Limits struct {
				CPUs   string `yaml:"cpus"`
				Memory string `yaml:"memory"`
			} `yaml:"limits"`
		} `yaml:"resources"`
	} `yaml:"deploy"`
}

type composeDependency struct {
	Condition string `yaml:"condition"`
}

// loadCompose decodes the parts of compose.yaml these tests check. YAML merge
// keys (<<: *pff) are resolved as compose resolves them.
func loadCompose(t *testing.T) composeFile {
	t.Helper()
	src, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var c composeFile
	require.NoError(t, yaml.Unmarshal(src, &c))
	require.NotEmpty(t, c.Services)
	return c
}

func (c composeFile) service(t *testing.T, name string) composeService {
	t.Helper()
	s, ok := c.Services[name]
	require.True(t, ok, "compose.yaml: no service %q", name)
	return s
}

func TestComposePostgres(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	pg := c.service(t, "postgres")
	require.Equal(t, "pgvector/pgvector:pg16", pg.Image)
	require.NotNil(t, pg.Healthcheck)
	require.Contains(t, strings.Join(pg.Healthcheck.Test, " "), "pg_isready")

	require.Len(t, pg.Volumes, 1)
	volume, target, ok := strings.Cut(pg.Volumes[0], ":")
	require.True(t, ok)
	require.Contains(t, c.Volumes, volume, "the data directory must be a named volume")
	require.Equal(t, "/var/lib/postgresql/data", target)
}

func TestComposeRedisIsAnOptionalCache(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	redis := c.service(t, "redis")
	require.Equal(t, []string{"redis"}, redis.Profiles, "Redis starts only with --profile redis")
	cmd := strings.Join(redis.Command, " ")
	require.Regexp(t, `--maxmemory \d+[kmg]b`, cmd)
	require.Contains(t, cmd, "--maxmemory-policy allkeys-lru", "a cache evicts; it never refuses writes")

	for name, s := range c.Services {
		if len(s.Profiles) == 0 {
			require.NotContains(t, s.DependsOn, "redis", "service %s always starts, so it cannot depend on the redis profile", name)
		}
	}
}

func TestComposeMigrateRunsOnce(t *testing.T) {
	t.Parallel()
	migrate := loadCompose(t).service(t, "migrate")
	require.Equal(t, []string{"migrate", "up"}, migrate.Command)
	require.Equal(t, "no", migrate.Restart)
	require.Equal(t, "service_healthy", migrate.DependsOn["postgres"].Condition)
}

func TestComposeLongRunningServices(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	tests := []struct {
		service     string
		command     string // first element of the command
		healthcheck []string
	}{
		{"api", "serve", []string{"CMD", "/pff", "healthcheck"}},
		{"worker", "worker", []string{"CMD", "/pff", "healthcheck", "--url", "http://127.0.0.1:8001/health"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			t.Parallel()
			s := c.service(t, tt.service)
			require.NotEmpty(t, s.Command)
			require.Equal(t, tt.command, s.Command[0])
			require.Equal(t, map[string]composeDependency{
				"postgres": {Condition: "service_healthy"},
				"migrate":  {Condition: "service_completed_successfully"},
			}, s.DependsOn)
			require.NotNil(t, s.Healthcheck)
			require.Equal(t, tt.healthcheck, s.Healthcheck.Test)
			require.Equal(t, "production", defaultOf(s.Environment["PFF_ENV"]))
		})
	}
	require.Contains(t, c.service(t, "api").Ports, "${PFF_HTTP_PORT:-8000}:8000")
}

func TestComposeRestartsAndLimits(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for name, s := range c.Services {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name != "migrate" {
				require.Equal(t, "unless-stopped", s.Restart)
			}
			require.Regexp(t, `^\d+(\.\d+)?$`, s.Deploy.Resources.Limits.CPUs)
			require.Regexp(t, `^\d+[KMG]$`, s.Deploy.Resources.Limits.Memory)
		})
	}
}

func TestComposeOneNetwork(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	require.Len(t, c.Networks, 1)
	for network := range c.Networks {
		for name, s := range c.Services {
			require.Equal(t, []string{network}, s.Networks, "service %s", name)
		}
	}
}

func TestComposeHasNoHardCodedSecrets(t *testing.T) {
	t.Parallel()
	// ${NAME:?message}: compose refuses to start without NAME.
	requiredVar := regexp.MustCompile(`^\$\{\w+:\?[^}]*\}$`)
	// ${NAME:-}: from the environment, empty when unset; the form a profile's
	// service uses (TestComposeObservabilityProfile says why).
	optionalVar := regexp.MustCompile(`^\$\{\w+:-\}$`)
	secretName := regexp.MustCompile(`PASSWORD|SECRET|TOKEN|_KEY$`)
	urlPassword := regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^:/@]*:([^@]*)@`)
	for name, s := range loadCompose(t).Services {
		for key, value := range s.Environment {
			if secretName.MatchString(key) && len(s.Profiles) > 0 {
				require.Regexp(t, optionalVar, value, "service %s: %s must come from a ${VAR:-} without a default", name, key)
			} else if secretName.MatchString(key) {
				require.Regexp(t, requiredVar, value, "service %s: %s must come from a required ${VAR:?}", name, key)
			}
			if m := urlPassword.FindStringSubmatch(value); m != nil {
				require.Regexp(t, requiredVar, m[1], "service %s: the password in %s must come from a required ${VAR:?}", name, key)
			}
		}
	}
}

// TestComposeObservabilityProfile: Prometheus with PFF's rules, Alertmanager,
// Grafana with PFF's dashboards, an OpenTelemetry collector and Jaeger, all
// behind the observability profile, pinned, and wired to each other and to
// the files of deploy/ that exist.
func TestComposeObservabilityProfile(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	observability := []string{"prometheus", "alertmanager", "grafana", "otel-collector", "jaeger"}
	pinned := regexp.MustCompile(`^[a-z0-9./-]+:v?\d+\.\d+\.\d+$`)
	mounts := map[string]map[string]string{} // service → target → source
	for _, name := range observability {
		s := c.service(t, name)
		require.Equal(t, []string{"observability"}, s.Profiles, "%s starts only with --profile observability", name)
		require.Regexp(t, pinned, s.Image, "%s: pin the image to a release", name)
		mounts[name] = map[string]string{}
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			require.GreaterOrEqual(t, len(parts), 2, "%s: volume %q", name, v)
			source, target := parts[0], parts[1]
			mounts[name][target] = source
			if strings.HasPrefix(source, "./") {
				_, err := os.Stat(source)
				require.NoError(t, err, "%s mounts %s, which does not exist", name, source)
				require.Equal(t, "ro", parts[len(parts)-1], "%s: mount %s read-only", name, source)
			} else {
				require.Contains(t, c.Volumes, source, "%s: %s must be a named volume", name, source)
			}
		}
		for _, p := range s.Ports {
			require.True(t, strings.HasPrefix(p, "${PFF_OBS_BIND:-127.0.0.1}:"), "%s: port %s listens on 127.0.0.1 by default", name, p)
		}
		// Compose resolves ${VAR:?} in every service before it applies
		// profiles: one here would stop `docker compose up` without the profile.
		for key, value := range s.Environment {
			require.NotContains(t, value, ":?", "%s: %s: a required variable in a profile breaks a plain up", name, key)
		}
	}
	for name, s := range c.Services {
		if len(s.Profiles) == 0 {
			for _, dep := range observability {
				require.NotContains(t, s.DependsOn, dep, "service %s always starts, so it cannot depend on %s", name, dep)
			}
		}
	}

	// Prometheus: its configuration and rules, scraping the api and workers.
	require.Equal(t, "./deploy/prometheus/prometheus.yml", mounts["prometheus"]["/etc/prometheus/prometheus.yml"])
	require.Equal(t, "./deploy/prometheus/rules", mounts["prometheus"]["/etc/prometheus/rules"])
	require.Contains(t, c.service(t, "prometheus").Command, "--config.file=/etc/prometheus/prometheus.yml")
	var prom struct {
		RuleFiles []string `yaml:"rule_files"`
		Alerting  struct {
			Alertmanagers []struct {
				StaticConfigs []struct {
					Targets []string `yaml:"targets"`
				} `yaml:"static_configs"`
			} `yaml:"alertmanagers"`
		} `yaml:"alerting"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
			DNSSDConfigs []struct {
				Names []string `yaml:"names"`
				Port  int      `yaml:"port"`
			} `yaml:"dns_sd_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, "deploy/prometheus/prometheus.yml", &prom)
	require.Equal(t, []string{"rules/*.yml"}, prom.RuleFiles, "relative to /etc/prometheus, where the rules are mounted")
	rules, err := filepath.Glob("deploy/prometheus/rules/*.yml")
	require.NoError(t, err)
	require.NotEmpty(t, rules)
	require.Equal(t, []string{"alertmanager:9093"}, prom.Alerting.Alertmanagers[0].StaticConfigs[0].Targets)
	jobs := map[string]string{}
	for _, sc := range prom.ScrapeConfigs {
		for _, s := range sc.StaticConfigs {
			jobs[sc.JobName] = strings.Join(s.Targets, ",")
		}
		for _, d := range sc.DNSSDConfigs {
			jobs[sc.JobName] = fmt.Sprintf("%s:%d", strings.Join(d.Names, ","), d.Port)
		}
	}
	require.Equal(t, "api:8000", jobs["pff-api"])
	require.Equal(t, "worker:8001", jobs["pff-worker"])

	// Alertmanager and the collector: their configuration files.
	require.Equal(t, "./deploy/alertmanager/alertmanager.yml", mounts["alertmanager"]["/etc/alertmanager/alertmanager.yml"])
	require.Equal(t, "./deploy/otel/collector.yaml", mounts["otel-collector"]["/etc/otelcol/collector.yaml"])
	var otel struct {
		Exporters map[string]struct {
			Endpoint string `yaml:"endpoint"`
		} `yaml:"exporters"`
	}
	readYAML(t, "deploy/otel/collector.yaml", &otel)
	require.Equal(t, "jaeger:4317", otel.Exporters["otlp/jaeger"].Endpoint)

	// Grafana: the data source is the compose Prometheus, the dashboards are
	// where the provider looks, and every dashboard names that data source.
	grafana := c.service(t, "grafana")
	require.Equal(t, "./deploy/grafana/provisioning/datasources", mounts["grafana"]["/etc/grafana/provisioning/datasources"])
	require.Equal(t, "./deploy/grafana/provisioning/dashboards", mounts["grafana"]["/etc/grafana/provisioning/dashboards"])
	var datasources struct {
		Datasources []struct {
			UID, Type, URL string
		} `yaml:"datasources"`
	}
	readYAML(t, "deploy/grafana/provisioning/datasources/prometheus.yml", &datasources)
	require.Len(t, datasources.Datasources, 1)
	require.Equal(t, "prometheus", datasources.Datasources[0].Type)
	require.Equal(t, "http://prometheus:9090", datasources.Datasources[0].URL)
	var providers struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "deploy/grafana/provisioning/dashboards/pff.yml", &providers)
	require.Len(t, providers.Providers, 1)
	require.Equal(t, "./deploy/grafana/dashboards", mounts["grafana"][providers.Providers[0].Options.Path])
	dashboards, err := filepath.Glob("deploy/grafana/dashboards/*.json")
	require.NoError(t, err)
	require.Len(t, dashboards, 6, "overview, API, jobs and validation, learning, fix flows, BSS systems")
	uids := map[string]bool{}
	for _, path := range dashboards {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		var d struct {
			UID    string `json:"uid"`
			Title  string `json:"title"`
			Panels []struct {
				Title      string `json:"title"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		require.NoError(t, json.Unmarshal(src, &d), path)
		require.NotEmpty(t, d.Title, path)
		require.False(t, uids[d.UID], "%s: uid %q is taken", path, d.UID)
		uids[d.UID] = true
		require.NotEmpty(t, d.Panels, path)
		for _, p := range d.Panels {
			require.Equal(t, datasources.Datasources[0].UID, p.Datasource.UID, "%s: panel %q", path, p.Title)
			require.NotEmpty(t, p.Targets, "%s: panel %q", path, p.Title)
		}
	}
	require.Contains(t, grafana.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"], providers.Providers[0].Options.Path)

	// PFF sends traces to the collector when told to; off by default.
	for _, name := range []string{"api", "worker"} {
		require.Equal(t, "", defaultOf(c.service(t, name).Environment["PFF_TELEMETRY__OTLP_ENDPOINT"]), name)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(src, v), path)
}

// defaultOf returns the default of a ${NAME:-default} reference, or value itself.
func defaultOf(value string) string {
	m := regexp.MustCompile(`^\$\{\w+:-([^}]*)\}$`).FindStringSubmatch(value)
	if m == nil {
		return value
	}
	return m[1]
}

// ---- .github/workflows/ci.yml ----

type workflow struct {
	Env         map[string]string `yaml:"env"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress string `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	If       string   `yaml:"if"`
	Needs    []string `yaml:"needs"`
	RunsOn   string   `yaml:"runs-on"`
	Strategy struct {
		Matrix map[string][]string `yaml:"matrix"`
	} `yaml:"strategy"`
	Permissions map[string]string `yaml:"permissions"`
	Services    map[string]struct {
		Image   string `yaml:"image"`
		Options string `yaml:"options"`
	} `yaml:"services"`
	Env   map[string]string `yaml:"env"`
	Steps []workflowStep    `yaml:"steps"`
}

type workflowStep struct {
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
}

// step returns the job's first step using the action (owner/name, no @ref).
func (j workflowJob) step(t *testing.T, action string) workflowStep {
	t.Helper()
	for _, s := range j.Steps {
		if name, _, _ := strings.Cut(s.Uses, "@"); name == action {
			return s
		}
	}
	require.Failf(t, "missing step", "no step uses %s", action)
	return workflowStep{}
}

// scripts returns every run: block of the job, joined.
func (j workflowJob) scripts() string {
	var b strings.Builder
	for _, s := range j.Steps {
		b.WriteString(s.Run)
		b.WriteByte('\n')
	}
	return b.String()
}

func loadWorkflow(t *testing.T) workflow {
	t.Helper()
	src, err := os.ReadFile(".github/workflows/ci.yml")
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(src, &w))
	return w
}

func TestWorkflowJobs(t *testing.T) {
	t.Parallel()
	w := loadWorkflow(t)
	tests := []struct {
		job     string
		actions []string // owner/name of actions the job must use
		scripts []string // text its run: blocks must contain
	}{
		{"lint", []string{"actions/setup-go", "golangci/golangci-lint-action"}, []string{"gofmt -l", "go vet ./...", "actionlint"}},
		{"test", []string{"actions/setup-go"}, []string{"go test -race -count=1"}},
		{"security", []string{"actions/setup-go"}, []string{"govulncheck", "gosec"}},
		{"build", []string{"docker/setup-buildx-action", "docker/build-push-action"}, nil},
		{"cross-platform", []string{"actions/setup-go"}, []string{"scripts/test-windows.sh --list", "go test -count=1"}},
		{"release", []string{"actions/setup-go", "docker/setup-buildx-action", "docker/login-action", "goreleaser/goreleaser-action"}, []string{"cyclonedx-gomod"}},
	}
	require.Len(t, w.Jobs, len(tests))
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			t.Parallel()
			job, ok := w.Jobs[tt.job]
			require.True(t, ok, "ci.yml: no job %q", tt.job)
			for _, action := range tt.actions {
				job.step(t, action)
			}
			for _, want := range tt.scripts {
				require.Contains(t, job.scripts(), want)
			}
		})
	}
}

func TestWorkflowTestJobServices(t *testing.T) {
	t.Parallel()
	job := loadWorkflow(t).Jobs["test"]
	require.Equal(t, "pgvector/pgvector:pg16", job.Services["postgres"].Image)
	require.Contains(t, job.Services["postgres"].Options, "--health-cmd")
	require.Contains(t, job.Services["redis"].Image, "redis")
	require.Contains(t, job.Services["redis"].Options, "--health-cmd")
	// The tests create their databases from the admin database at
	// TEST_DATABASE_URL; the service needs a password, so the default URL
	// (no password) would not connect.
	require.Regexp(t, `^postgres://postgres:[^@]+@127\.0\.0\.1:5432/postgres\b`, job.Env["TEST_DATABASE_URL"])
}

func TestWorkflowBuildAndDeploy(t *testing.T) {
	t.Parallel()
	w := loadWorkflow(t)

	build := w.Jobs["build"].step(t, "docker/build-push-action")
	require.Equal(t, false, build.With["push"])
	require.Equal(t, "type=gha", build.With["cache-from"])
	require.Contains(t, build.With["cache-to"], "type=gha")

	// A v* tag that passed every other job is released by GoReleaser: the
	// GitHub release (contents: write) and the image (packages: write).
	release := w.Jobs["release"]
	require.Contains(t, release.If, "startsWith(github.ref, 'refs/tags/v')")
	require.ElementsMatch(t, []string{"lint", "test", "security", "build", "cross-platform"}, release.Needs)
	require.Equal(t, map[string]string{"contents": "write", "packages": "write"}, release.Permissions)
	require.Equal(t, "ghcr.io", release.step(t, "docker/login-action").With["registry"])
	require.Equal(t, 0, release.step(t, "actions/checkout").With["fetch-depth"], "GoReleaser needs the tags")
	goreleaser := release.step(t, "goreleaser/goreleaser-action")
	require.Equal(t, "release --clean", goreleaser.With["args"])
	require.Equal(t, "${{ env.GORELEASER_VERSION }}", goreleaser.With["version"])
	require.Regexp(t, `^v2\.\d+\.\d+$`, w.Env["GORELEASER_VERSION"], "pin GoReleaser (schema version 2)")
	require.Equal(t, "v1.10.0", w.Env["CYCLONEDX_GOMOD_VERSION"])
}

func TestWorkflowCrossPlatformTests(t *testing.T) {
	t.Parallel()
	job := loadWorkflow(t).Jobs["cross-platform"]
	require.Equal(t, "${{ matrix.os }}", job.RunsOn)
	require.ElementsMatch(t, []string{"windows-latest", "macos-latest"}, job.Strategy.Matrix["os"])
	require.Empty(t, job.Services, "the packages it tests need no database")
	// A checkout with CRLF line endings would break golden files and scripts.
	require.Contains(t, job.Steps[0].Run, "core.autocrlf false")
}

func TestWorkflowHygiene(t *testing.T) {
	t.Parallel()
	w := loadWorkflow(t)
	require.Equal(t, map[string]string{"contents": "read"}, w.Permissions)
	require.Contains(t, w.Concurrency.Group, "github.ref")
	require.NotEmpty(t, w.Concurrency.CancelInProgress)

	majorPin := regexp.MustCompile(`^[\w.-]+/[\w.-]+@v\d+$`)
	for name, job := range w.Jobs {
		for _, s := range job.Steps {
			if s.Uses == "" {
				continue
			}
			require.Regexp(t, majorPin, s.Uses, "job %s: pin actions to a major version", name)
			if strings.HasPrefix(s.Uses, "actions/setup-go@") {
				require.Equal(t, "go.mod", s.With["go-version-file"], "job %s: take Go from go.mod", name)
			}
		}
	}
}

// ---- .goreleaser.yaml, release.Dockerfile and make dist ----

type goreleaserFile struct {
	Version int `yaml:"version"`
	Builds  []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Archives []struct {
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	SBOMs []struct {
		Artifacts string   `yaml:"artifacts"`
		Cmd       string   `yaml:"cmd"`
		Args      []string `yaml:"args"`
		Documents []string `yaml:"documents"`
	} `yaml:"sboms"`
	DockersV2 []struct {
		Dockerfile string            `yaml:"dockerfile"`
		Images     []string          `yaml:"images"`
		Tags       []string          `yaml:"tags"`
		Platforms  []string          `yaml:"platforms"`
		BuildArgs  map[string]string `yaml:"build_args"`
	} `yaml:"dockers_v2"`
}

func loadGoreleaser(t *testing.T) goreleaserFile {
	t.Helper()
	var g goreleaserFile
	readYAML(t, ".goreleaser.yaml", &g)
	require.Equal(t, 2, g.Version, "GoReleaser v2's schema")
	require.Len(t, g.Builds, 1, "one binary, pff")
	return g
}

// makeVariable returns the value of a `NAME := value` or `NAME ?= value`
// line of the Makefile.
func makeVariable(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile("Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + name + `\s*[:?]?=\s*(.*)$`).FindStringSubmatch(string(src))
	require.NotNil(t, m, "Makefile: no %s", name)
	return strings.TrimSpace(m[1])
}

// ldflags splits linker flags into the -X variables they set (name to value)
// and the other flags.
func ldflags(flags string) (set map[string]string, other []string) {
	set = map[string]string{}
	fields := strings.Fields(flags)
	for i := 0; i < len(fields); i++ {
		if fields[i] == "-X" && i+1 < len(fields) {
			name, value, _ := strings.Cut(fields[i+1], "=")
			set[name] = value
			i++
			continue
		}
		other = append(other, fields[i])
	}
	return set, other
}

func TestGoreleaserBuildsTheSixPlatformsOfMakeDist(t *testing.T) {
	t.Parallel()
	build := loadGoreleaser(t).Builds[0]
	require.Equal(t, "pff", build.Binary)
	require.Equal(t, ".", build.Main)
	require.Contains(t, build.Env, "CGO_ENABLED=0", "static binaries, cross-compiled without a C toolchain")
	require.Contains(t, build.Flags, "-trimpath")

	var platforms []string
	for _, goos := range build.Goos {
		for _, goarch := range build.Goarch {
			platforms = append(platforms, goos+"/"+goarch)
		}
	}
	want := []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}
	require.ElementsMatch(t, want, platforms)
	require.ElementsMatch(t, want, strings.Fields(makeVariable(t, "DIST_PLATFORMS")), "make dist builds what a release builds")
}

func TestGoreleaserStampsTheVersionLikeTheMakefile(t *testing.T) {
	t.Parallel()
	build := loadGoreleaser(t).Builds[0]
	released, releasedOther := ldflags(strings.Join(build.Ldflags, " "))
	made, madeOther := ldflags(makeVariable(t, "LDFLAGS"))
	require.ElementsMatch(t, madeOther, releasedOther, "the same linker flags (-s -w) besides -X")
	require.Equal(t, slices.Sorted(maps.Keys(made)), slices.Sorted(maps.Keys(released)), "the same variables stamped")
	for name, value := range released {
		require.Regexp(t, `^\{\{ *\.\w+ *\}\}$`, value, "%s: one GoReleaser value", name)
	}

	// The variables exist in package main, so -X does not silently set nothing.
	src, err := os.ReadFile("main.go")
	require.NoError(t, err)
	for name := range made {
		variable, ok := strings.CutPrefix(name, "main.")
		require.True(t, ok, "%s: the version variables live in package main", name)
		require.Regexp(t, `(?m)^\s*`+variable+`\s*= "`, string(src), "main.go must declare %s", variable)
	}
}

func TestGoreleaserPublishesArchivesChecksumsSBOMsAndTheImage(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)

	require.Len(t, g.Archives, 1)
	archive := g.Archives[0]
	require.Equal(t, []string{"tar.gz"}, archive.Formats)
	require.Len(t, archive.FormatOverrides, 1)
	require.Equal(t, "windows", archive.FormatOverrides[0].Goos)
	require.Equal(t, []string{"zip"}, archive.FormatOverrides[0].Formats, "Windows users open zips")

	require.NotEmpty(t, g.Checksum.NameTemplate)
	require.Equal(t, "sha256", g.Checksum.Algorithm)

	require.Len(t, g.SBOMs, 1)
	sbom := g.SBOMs[0]
	require.Equal(t, "binary", sbom.Artifacts, "one SBOM per binary: what each platform compiles")
	require.Equal(t, "cyclonedx-gomod", sbom.Cmd)
	require.Equal(t, "app", sbom.Args[0], "app: only the modules the binary imports, build constraints evaluated")
	require.Contains(t, sbom.Args, "$document")
	require.Len(t, sbom.Documents, 1)

	require.Len(t, g.DockersV2, 1)
	image := g.DockersV2[0]
	require.Equal(t, "release.Dockerfile", image.Dockerfile)
	require.ElementsMatch(t, []string{"linux/amd64", "linux/arm64"}, image.Platforms)
	require.Len(t, image.Images, 1)
	require.Contains(t, image.Images[0], `"IMAGE"`, "the release job names the repository")
	require.Contains(t, image.Tags, "{{ .Version }}")
}

// TestReleaseDockerfileIsTheRuntimeStage checks the image GoReleaser builds
// from its binaries is the Dockerfile's runtime stage: the same base, which
// .goreleaser.yaml reads from the Dockerfile, and the same user, ports,
// probe and command.
func TestReleaseDockerfileIsTheRuntimeStage(t *testing.T) {
	t.Parallel()
	stages := loadDockerfile(t)
	runtime := stages[len(stages)-1]

	src, err := os.ReadFile("release.Dockerfile")
	require.NoError(t, err)
	release, err := parseDockerfile(string(src))
	require.NoError(t, err)
	require.Len(t, release, 1, "no build stage: GoReleaser built the binaries")
	require.Regexp(t, `^ARG RUNTIME$`, regexp.MustCompile(`(?m)^ARG RUNTIME$`).FindString(string(src)))
	require.Equal(t, "${RUNTIME}", release[0].base)

	// What the build argument's template does: the Dockerfile's only FROM
	// line with a single word, less "FROM ".
	arg := loadGoreleaser(t).DockersV2[0].BuildArgs["RUNTIME"]
	require.Contains(t, arg, `mustReadFile "Dockerfile"`)
	require.Contains(t, arg, `"^FROM [^ ]+$"`)
	dockerfile, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	froms := regexp.MustCompile(`(?m)^FROM [^ ]+$`).FindAllString(string(dockerfile), -1)
	require.Equal(t, []string{"FROM " + runtime.base}, froms, "the template must find the runtime stage's FROM, and only it")

	copyBinary := release[0].only(t, "COPY")
	require.Equal(t, "${TARGETPLATFORM}/pff /pff", copyBinary.args, "GoReleaser's context holds <os>/<arch>/pff")
	copyAt := slices.IndexFunc(release[0].instructions, func(in dockerInstruction) bool { return in.line == copyBinary.line })
	require.Contains(t, release[0].declaredArgs(copyAt), "TARGETPLATFORM")
	for _, keyword := range []string{"USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD"} {
		want, got := runtime.only(t, keyword), release[0].only(t, keyword)
		require.Equal(t, want.flags, got.flags, keyword)
		require.Equal(t, want.args, got.args, keyword)
	}
}

// ---- .env.example, .gitignore, dependabot ----

func TestEnvExampleExplainsEveryComposeVariable(t *testing.T) {
	t.Parallel()
	compose, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	example, err := os.ReadFile(".env.example")
	require.NoError(t, err)

	// NAME=value lines, each below a comment.
	listed := map[string]string{}
	lines := strings.Split(string(example), "\n")
	for i, line := range lines {
		name, value, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		require.Regexp(t, `^[A-Z][A-Z0-9_]*$`, name)
		listed[name] = value
		j := i - 1
		for j >= 0 && regexp.MustCompile(`^[A-Z][A-Z0-9_]*=`).MatchString(lines[j]) {
			j-- // a group of related variables shares its comment
		}
		require.True(t, j >= 0 && strings.HasPrefix(lines[j], "#"), ".env.example: %s needs a comment above it", name)
	}

	for line := range strings.Lines(string(compose)) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue // comments may mention ${VAR} forms
		}
		for _, m := range regexp.MustCompile(`\$\{(\w+)`).FindAllStringSubmatch(line, -1) {
			require.Contains(t, listed, m[1], ".env.example must list %s, which compose.yaml reads", m[1])
		}
	}
	for name, value := range listed {
		if config.IsSecretName(name) || strings.HasSuffix(name, "_PASSWORD") {
			require.Regexp(t, `^replace-with-`, value, "%s: a placeholder, never a usable secret", name)
		}
	}

	ignore, err := os.ReadFile(".gitignore")
	require.NoError(t, err)
	ignored := strings.Fields(string(ignore))
	require.Contains(t, ignored, ".env", "local secrets are never committed")
	require.Contains(t, ignored, "/dist/", "make dist and GoReleaser write there")
}

func TestDependabotWatchesModulesImagesAndActions(t *testing.T) {
	t.Parallel()
	var d struct {
		Version int `yaml:"version"`
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Directory string `yaml:"directory"`
			Schedule  struct {
				Interval string `yaml:"interval"`
			} `yaml:"schedule"`
		} `yaml:"updates"`
	}
	readYAML(t, ".github/dependabot.yml", &d)
	require.Equal(t, 2, d.Version)
	var ecosystems []string
	for _, u := range d.Updates {
		ecosystems = append(ecosystems, u.Ecosystem)
		require.Equal(t, "/", u.Directory, u.Ecosystem)
		require.NotEmpty(t, u.Schedule.Interval, u.Ecosystem)
	}
	require.ElementsMatch(t, []string{"gomod", "docker", "github-actions"}, ecosystems)
}
