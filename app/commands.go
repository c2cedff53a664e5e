package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pff/pff/app/config"
)

func healthcheckCommand() *command {
	var url string
	return &command{
		name:    "healthcheck",
		summary: "Exit 0 if the server's /health answers 200 within 3 s, else 1.",
		details: `The container HEALTHCHECK probe: the runtime image has no shell and no curl.
Without --url it probes /health on the port of http.addr on 127.0.0.1.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&url, "url", "", "`URL` to probe (default http://127.0.0.1:<port of http.addr>/health)")
		},
		run: func(ctx context.Context, inv *invocation) error {
			if len(inv.args) > 0 {
				return usagef("unexpected argument %q", inv.args[0])
			}
			if url == "" {
				cfg, err := inv.config()
				if err != nil {
					return err
				}
				_, port, _ := net.SplitHostPort(cfg.HTTP.Addr) // validated by config.Load
				url = "http://127.0.0.1:" + port + "/health"
			}
			return probeHealth(ctx, url)
		},
	}
}

func probeHealth(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return usagef("invalid --url %q", url)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s did not answer within 3s", url)
		}
		return fmt.Errorf("%s: %w", url, errors.Unwrap(err))
	}
	_ = res.Body.Close() // only the status is read
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, res.Status)
	}
	return nil
}

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "Print the version, commit, build date and Go version.",
		run: func(_ context.Context, inv *invocation) error {
			fmt.Fprintln(inv.Stdout, inv.Build)
			return nil
		},
	}
}

func configCommand() *command {
	var out, envFile string
	return &command{
		name:    "config",
		args:    "[init]",
		summary: "Print the effective configuration as YAML, secrets redacted; init writes a starter one.",
		details: "Without an action: shows what defaults, the YAML file, PFF_* variables and flags add up to.\n\n" + configInitDetails,
		flags: func(fs *flag.FlagSet, _ *invocation) {
			fs.StringVar(&out, "out", "pff.yaml", "configuration `file` init writes")
			fs.StringVar(&envFile, "env-file", ".env", "secrets `file` init writes (empty: none)")
		},
		run: func(_ context.Context, inv *invocation) error {
			switch {
			case len(inv.args) == 1 && inv.args[0] == "init":
				return configInit(inv, out, envFile)
			case len(inv.args) > 0:
				return usagef("unknown action %q: want init, or nothing to print the configuration", inv.args[0])
			}
			cfg, err := inv.config()
			if err != nil {
				return err
			}
			out, err := yaml.Marshal(configTree(reflect.ValueOf(cfg.Redacted())))
			if err != nil {
				return fmt.Errorf("render config: %w", err)
			}
			_, err = inv.Stdout.Write(out)
			return err
		},
	}
}

// configTree turns a config struct into nested maps keyed by the koanf keys,
// with durations and sizes written as they are typed in a file, and any
// value under a key named like a secret redacted (keys ending in _env name
// the variable that holds a secret, not the secret).
func configTree(v reflect.Value) any {
	if s, ok := v.Interface().(fmt.Stringer); ok && v.Kind() != reflect.Struct {
		return s.String()
	}
	switch v.Kind() {
	case reflect.Struct:
		tree := map[string]any{}
		for i := range v.NumField() {
			key := v.Type().Field(i).Tag.Get("koanf")
			if key == "" || key == "-" {
				continue
			}
			tree[key] = redactValue(key, configTree(v.Field(i)))
		}
		return tree
	case reflect.Map:
		tree := map[string]any{}
		for _, k := range v.MapKeys() {
			tree[fmt.Sprint(k.Interface())] = configTree(v.MapIndex(k))
		}
		return tree
	}
	return v.Interface()
}

// redactValue hides a non-empty value under a key named like a secret.
func redactValue(key string, value any) any {
	if s, ok := value.(string); ok && s != "" && !strings.HasSuffix(key, "_env") && config.IsSecretName(key) &&
		!strings.HasPrefix(s, "(") {
		return "(redacted)"
	}
	return value
}
