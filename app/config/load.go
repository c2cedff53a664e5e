package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	koanfyaml "github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/v2"
	"go.yaml.in/yaml/v3"

	"github.com/pff/pff/app/suggest"
)

// Sources are the inputs of Load besides the defaults, lowest precedence
// first.
type Sources struct {
	// File is an optional YAML file; empty means PFF_CONFIG from Environ, if set.
	File string
	// Environ is the environment as KEY=value pairs (os.Environ()).
	Environ []string
	// Flags are the command-line flags the user set, by config key.
	Flags map[string]any
}

// origins remembers the file and line of each key set in the configuration
// file, so an error about its value says where to fix it. (A key set in the
// environment is its own origin: PFF_HTTP__ADDR is http.addr.)
type origins map[string]string

func (o origins) of(key string) string {
	if where, ok := o[key]; ok {
		return where + ": "
	}
	return ""
}

// Load layers defaults, the YAML file, the environment (PFF_* with "__"
// between nested keys, plus the conventional DATABASE_URL and REDIS_URL, which
// PFF_DATABASE__URL and PFF_REDIS__URL override) and flags, then validates.
// Errors are one line naming where the value came from and the key.
func Load(src Sources) (Config, error) {
	k := koanf.New(".")
	if err := k.Load(confmap.Provider(defaults(), "."), nil); err != nil {
		return Config{}, fmt.Errorf("config: defaults: %w", err)
	}
	known := k.All()
	from := origins{}

	path := src.File
	if path == "" {
		path = lookupEnv(src.Environ, "PFF_CONFIG")
	}
	if path != "" {
		layer, lines, err := loadFile(path)
		if err != nil {
			return Config{}, err
		}
		for _, key := range layer.Keys() {
			from[key] = fmt.Sprintf("%s:%d", path, lines[key])
		}
		if err := merge(k, layer, known, from, nil); err != nil {
			return Config{}, err
		}
	}

	conventional := koanf.New(".")
	for name, key := range map[string]string{"DATABASE_URL": "database.url", "REDIS_URL": "redis.url",
		"OTEL_SERVICE_NAME": "telemetry.service_name"} {
		if v := lookupEnv(src.Environ, name); v != "" {
			_ = conventional.Set(key, v)
			delete(from, key)
		}
	}
	if v := otlpTracesEndpoint(src.Environ); v != "" {
		_ = conventional.Set("telemetry.otlp_endpoint", v)
		delete(from, "telemetry.otlp_endpoint")
	}
	if err := k.Merge(conventional); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}

	layer := koanf.New(".")
	if err := layer.Load(env.Provider(".", env.Opt{
		Prefix:      "PFF_",
		EnvironFunc: func() []string { return src.Environ },
		TransformFunc: func(name, value string) (string, any) {
			if name == "PFF_CONFIG" {
				return "", nil
			}
			key := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, "PFF_"), "__", "."))
			if _, isList := known[key].([]string); isList {
				return key, splitList(value)
			}
			return key, value
		},
	}), nil); err != nil {
		return Config{}, fmt.Errorf("config: environment: %w", err)
	}
	if err := merge(k, layer, known, from, envName); err != nil {
		return Config{}, err
	}
	for _, key := range layer.Keys() {
		delete(from, key)
	}

	if len(src.Flags) > 0 {
		if err := k.Load(confmap.Provider(src.Flags, "."), nil); err != nil {
			return Config{}, fmt.Errorf("config: flags: %w", err)
		}
		for key := range src.Flags {
			delete(from, key)
		}
	}

	var cfg Config
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return Config{}, decodeProblem(err, from, k)
	}
	if strings.EqualFold(strings.TrimSpace(lookupEnv(src.Environ, "OTEL_SDK_DISABLED")), "true") {
		cfg.Telemetry.OTLPEndpoint = ""
	}
	if err := cfg.validate(); err != nil {
		var p *keyProblem
		if errors.As(err, &p) {
			p.where = from.of(p.key)
		}
		return Config{}, err
	}
	return cfg, nil
}

// otlpTracesEndpoint is the traces endpoint the standard OpenTelemetry
// variables name: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
// OTEL_EXPORTER_OTLP_ENDPOINT, a base URL, with /v1/traces appended.
func otlpTracesEndpoint(environ []string) string {
	if v := strings.TrimSpace(lookupEnv(environ, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")); v != "" {
		return v
	}
	base := strings.TrimSpace(lookupEnv(environ, "OTEL_EXPORTER_OTLP_ENDPOINT"))
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + "/v1/traces"
}

// envName is the environment variable that sets key.
func envName(key string) string {
	return "PFF_" + strings.ToUpper(strings.ReplaceAll(key, ".", "__"))
}

// loadFile reads the YAML file into a koanf layer, with the line of each key.
func loadFile(path string) (*koanf.Koanf, map[string]int, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the operator names the configuration file
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml's messages start "yaml: line N: ..."; keep the line, name the file.
		return nil, nil, fmt.Errorf("config: %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	lines := map[string]int{}
	if len(doc.Content) > 0 {
		keyLines(doc.Content[0], "", lines)
	}
	layer := koanf.New(".")
	if err := layer.Load(rawBytes(data), koanfyaml.Parser()); err != nil {
		return nil, nil, fmt.Errorf("config: %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return layer, lines, nil
}

// keyLines records the line of every leaf key under n, by dotted path.
func keyLines(n *yaml.Node, prefix string, lines map[string]int) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		path := key.Value
		if prefix != "" {
			path = prefix + "." + key.Value
		}
		lines[path] = key.Line
		keyLines(value, path, lines)
	}
}

// rawBytes is a koanf provider of bytes already read.
type rawBytes []byte

func (b rawBytes) ReadBytes() ([]byte, error) { return b, nil }
func (b rawBytes) Read() (map[string]any, error) {
	return nil, errors.New("config: raw bytes need a parser")
}

// merge adds layer to k after checking that it sets only known keys, so a
// typo such as PFF_HTTP__ADR is an error instead of a silently ignored value.
func merge(k, layer *koanf.Koanf, known map[string]any, from origins, name func(key string) string) error {
	keys := layer.Keys()
	slices.Sort(keys)
	for _, key := range keys {
		if _, ok := known[key]; !ok {
			source := ""
			if name != nil {
				source = " from " + name(key)
			}
			return fmt.Errorf("config: %sunknown key %q%s%s", from.of(key), key, source, suggestKey(key, known))
		}
	}
	if err := k.Merge(layer); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// suggestKey names the known key closest to a misspelt one.
func suggestKey(key string, known map[string]any) string {
	if near := suggest.Nearest(key, slices.Collect(maps.Keys(known))); near != "" {
		return fmt.Sprintf(" (did you mean %s?)", near)
	}
	return ""
}

// decodeProblem turns the decoder's multi-line error into one line naming the
// first key that could not be read, where it was set, its value and what it
// should be.
func decodeProblem(err error, from origins, k *koanf.Koanf) error {
	var de *mapstructure.DecodeError
	if !errors.As(err, &de) {
		return fmt.Errorf("config: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	key := de.Name()
	want := "a valid value"
	if field, ok := fieldType(reflect.TypeOf(Config{}), key); ok {
		want = describeType(field)
	}
	value := k.Get(key)
	if s, ok := value.(string); ok {
		return fmt.Errorf("config: %s%s: %q is not %s", from.of(key), key, s, want)
	}
	return fmt.Errorf("config: %s%s: %v is not %s", from.of(key), key, value, want)
}

// fieldType finds the Go type of a dotted koanf key.
func fieldType(t reflect.Type, key string) (reflect.Type, bool) {
	name, rest, nested := strings.Cut(key, ".")
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("koanf") != name {
			continue
		}
		if nested {
			return fieldType(f.Type, rest)
		}
		return f.Type, true
	}
	return nil, false
}

func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(ByteSize(0)):
		return "a size such as 10MiB"
	case t.String() == "time.Duration":
		return "a duration such as 30s"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	}
	return "a string"
}

// splitList reads a list from one environment variable: comma-separated.
func splitList(value string) []string {
	var out []string
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range slices.Backward(environ) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
