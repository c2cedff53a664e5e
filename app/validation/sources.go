package validation

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pff/pff/app/checks"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
)

//go:embed defaults/rules.json defaults/checks.yaml
var defaults embed.FS

//go:embed defaults/real-schema.json
var productionSchema []byte

// ProductionSchema returns the JSON Schema the operations team inferred from
// its 14,550 production records: the best description of real records PFF
// ships. The default status vocabulary is taken from it. It is not applied
// by default: its enums of reason codes and bill cycles are what those
// records happened to hold, and a schema error counts against a record.
func ProductionSchema() []byte { return bytes.Clone(productionSchema) }

// Sources are rule and check definitions before compiling: what rule files
// hold.
type Sources struct {
	Rules  []rules.Rule
	Checks []checks.Check
}

// Add returns the definitions of both.
func (s Sources) Add(o Sources) Sources {
	return Sources{
		Rules:  append(append([]rules.Rule(nil), s.Rules...), o.Rules...),
		Checks: append(append([]checks.Check(nil), s.Checks...), o.Checks...),
	}
}

// Compile compiles the rules and the checks.
func (s Sources) Compile() (*rules.Set, *checks.Set, error) {
	rs, err := rules.Compile(s.Rules)
	if err != nil {
		return nil, nil, err
	}
	cs, err := checks.Compile(s.Checks)
	if err != nil {
		return nil, nil, err
	}
	return rs, cs, nil
}

// DefaultSources returns the embedded default rules and checks.
func DefaultSources() (Sources, error) {
	var s Sources
	for _, name := range []string{"defaults/rules.json", "defaults/checks.yaml"} {
		data, err := defaults.ReadFile(name)
		if err != nil {
			return Sources{}, fmt.Errorf("validation: %w", err)
		}
		if err := s.parse(name, data).Err(); err != nil {
			return Sources{}, fmt.Errorf("validation: default rules: %w", err)
		}
	}
	return s, nil
}

// Defaults returns the default rule and check sets, compiled.
func Defaults() (*rules.Set, *checks.Set, error) {
	s, err := DefaultSources()
	if err != nil {
		return nil, nil, err
	}
	return s.Compile()
}

// ReadSources reads rule files by extension: .json (the original system's
// rules) and .tsv (AnyBURL's) hold Horn rules, .yaml and .yml expression
// checks. The diagnostics list every problem in the files, with line and
// column; the error is for a file that cannot be read.
func ReadSources(paths ...string) (Sources, rules.Diagnostics, error) {
	var (
		s     Sources
		diags rules.Diagnostics
	)
	for _, path := range paths {
		data, err := os.ReadFile(path) // #nosec G304 -- a rules file the operator named
		if err != nil {
			return Sources{}, nil, fmt.Errorf("validation: read rules: %w", err)
		}
		diags = append(diags, s.parse(path, data)...)
	}
	return s, diags, nil
}

// LintFile returns every problem of a rule or check file, check expressions
// type-checked.
func LintFile(path string, data []byte) rules.Diagnostics {
	if isChecksFile(path) {
		return checks.Lint(path, data)
	}
	return rules.Lint(path, data)
}

func (s *Sources) parse(name string, data []byte) rules.Diagnostics {
	if isChecksFile(name) {
		cs, diags := checks.Parse(name, data)
		s.Checks = append(s.Checks, cs...)
		return diags
	}
	rs, diags := rules.Parse(name, data)
	s.Rules = append(s.Rules, rs...)
	return diags
}

func isChecksFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// ReadSchema reads and compiles a JSON Schema file.
func ReadSchema(path string) (*schema.Schema, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- a schema file the operator named
	if err != nil {
		return nil, fmt.Errorf("validation: read schema: %w", err)
	}
	return schema.Compile(filepath.Base(path), data)
}
