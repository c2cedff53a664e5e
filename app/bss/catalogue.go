package bss

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"go.yaml.in/yaml/v3"
)

//go:embed catalogue.yaml
var builtinCatalogue []byte

// Effect is what an operation does to BSS: "read", "write" or
// "destructive" (a write that removes or terminates something).
type Effect string

// The effects, weakest first.
const (
	EffectRead        Effect = "read"
	EffectWrite       Effect = "write"
	EffectDestructive Effect = "destructive"
)

func (e Effect) rank() int {
	switch e {
	case EffectRead:
		return 1
	case EffectWrite:
		return 2
	case EffectDestructive:
		return 3
	}
	return 0
}

// IsWrite reports whether the effect changes BSS.
func (e Effect) IsWrite() bool { return e == EffectWrite || e == EffectDestructive }

// Catalogue is the set of BSS operations flows may call, by flow method
// name. It is immutable once loaded and safe for concurrent use.
type Catalogue struct {
	methods map[string]*method
	names   []string // sorted
}

type method struct {
	name        string
	description string
	params      []string // sorted union of every variant's args
	effect      Effect   // the strongest of its variants'
	variants    []*variant
}

type variant struct {
	method     string
	id         string
	requires   []string
	optional   []string
	when       map[string]any
	system     string
	httpMethod string
	path       template
	query      []namedTemplate // sorted by name
	headers    []namedTemplate // sorted by name
	body       valueTemplate   // nil: no body
	effect     Effect
	idempotent bool
	single     bool
	already    []alreadyRule
	verify     *verifySpec
}

type namedTemplate struct {
	name string
	t    template
}

// maxCatalogueBytes bounds one catalogue file.
const maxCatalogueBytes = 1 << 20

// LoadCatalogue returns the built-in catalogue, extended or overridden by
// each of extra in turn (YAML in the format of catalogue.yaml): a method an
// extra file names replaces the built-in one entirely, and `remove: true`
// drops it. Every problem found is reported, each with where it is.
func LoadCatalogue(extra ...[]byte) (*Catalogue, error) {
	merged := map[string]*methodSpec{}
	sources := append([][]byte{builtinCatalogue}, extra...)
	for i, src := range sources {
		name := "built-in catalogue"
		if i > 0 {
			name = fmt.Sprintf("catalogue file %d", i)
		}
		spec, err := decodeCatalogue(src)
		if err != nil {
			return nil, fmt.Errorf("bss: %s: %w", name, err)
		}
		for m, ms := range spec.Methods {
			if ms == nil || ms.Remove {
				delete(merged, m)
				continue
			}
			merged[m] = ms
		}
	}
	return compileCatalogue(merged)
}

// catalogueSpec is the YAML form of a catalogue file.
type catalogueSpec struct {
	Version int                    `yaml:"version"`
	Methods map[string]*methodSpec `yaml:"methods"`
}

type methodSpec struct {
	Description string        `yaml:"description"`
	Remove      bool          `yaml:"remove"`
	Variants    []variantSpec `yaml:"variants"`
}

type variantSpec struct {
	ID          string            `yaml:"id"`
	When        map[string]any    `yaml:"when"`
	Requires    []string          `yaml:"requires"`
	Optional    []string          `yaml:"optional"`
	System      string            `yaml:"system"`
	Method      string            `yaml:"method"`
	Path        string            `yaml:"path"`
	Query       map[string]string `yaml:"query"`
	Headers     map[string]string `yaml:"headers"`
	Body        any               `yaml:"body"`
	Effect      string            `yaml:"effect"`
	Idempotent  bool              `yaml:"idempotent"`
	Result      string            `yaml:"result"`
	AlreadyDone []alreadySpec     `yaml:"already_done"`
	Verify      *verifyYAML       `yaml:"verify"`
}

type alreadySpec struct {
	Status []int  `yaml:"status"`
	Body   string `yaml:"body"`
}

type verifyYAML struct {
	Method string         `yaml:"method"`
	Args   map[string]any `yaml:"args"`
	Expr   string         `yaml:"expr"`
}

func decodeCatalogue(src []byte) (catalogueSpec, error) {
	var spec catalogueSpec
	if len(src) > maxCatalogueBytes {
		return spec, fmt.Errorf("%d bytes is more than %d", len(src), maxCatalogueBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil && !errors.Is(err, io.EOF) {
		return spec, err
	}
	if spec.Version != 0 && spec.Version != 1 {
		return spec, fmt.Errorf("version %d: want 1", spec.Version)
	}
	return spec, nil
}

func compileCatalogue(specs map[string]*methodSpec) (*Catalogue, error) {
	c := &Catalogue{methods: make(map[string]*method, len(specs))}
	var errs []error
	for name, ms := range specs {
		m, err := compileMethod(name, ms)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.methods[name] = m
		c.names = append(c.names, name)
	}
	sort.Strings(c.names)
	if len(errs) == 0 {
		errs = c.compileVerifies()
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, fmt.Errorf("bss: catalogue: %w", errors.Join(errs...))
	}
	return c, nil
}

func sortErrors(errs []error) {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
}

func compileMethod(name string, ms *methodSpec) (*method, error) {
	where := "methods." + name
	if !validMethodName(name) {
		return nil, fmt.Errorf("%s: not a method name (lower-case words joined by dots, e.g. line.get_contract)", where)
	}
	if len(ms.Variants) == 0 {
		return nil, fmt.Errorf("%s: no variants", where)
	}
	m := &method{name: name, description: ms.Description}
	params := map[string]bool{}
	ids := map[string]bool{}
	var errs []error
	for i := range ms.Variants {
		vs := &ms.Variants[i]
		vwhere := fmt.Sprintf("%s.variants[%d]", where, i)
		if vs.ID != "" {
			vwhere += " (" + vs.ID + ")"
		}
		v, err := compileVariant(name, vs)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", vwhere, err))
			continue
		}
		if ids[v.id] {
			errs = append(errs, fmt.Errorf("%s: id %q is used twice", vwhere, v.id))
		}
		ids[v.id] = true
		for _, p := range v.params() {
			params[p] = true
		}
		if v.effect.rank() > m.effect.rank() {
			m.effect = v.effect
		}
		m.variants = append(m.variants, v)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for p := range params {
		m.params = append(m.params, p)
	}
	sort.Strings(m.params)
	return m, nil
}

func validMethodName(s string) bool {
	if s == "" || len(s) > 128 || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || (c == '.' && s[i-1] != '.')
		if !ok {
			return false
		}
	}
	return true
}

// params returns every arg the variant knows.
func (v *variant) params() []string {
	ps := slices.Concat(v.requires, v.optional)
	for k := range v.when {
		ps = append(ps, k)
	}
	return ps
}

// MethodInfo describes a flow method, for linting flows.
type MethodInfo struct {
	Name        string
	Description string
	// Params are every arg the method accepts, sorted.
	Params []string
	// Effect is the strongest effect of its variants.
	Effect   Effect
	Variants []VariantInfo
}

// VariantInfo describes one way of calling a method.
type VariantInfo struct {
	ID string
	// When are the arg values that select the variant.
	When       map[string]any
	Requires   []string
	Optional   []string
	System     string
	HTTPMethod string
	// Path is the path template, relative to a cluster's base URL.
	Path       string
	Effect     Effect
	Idempotent bool
	// Verifiable is whether a write names how to check it was applied.
	Verifiable bool
}

// Methods returns every method, sorted by name.
func (c *Catalogue) Methods() []MethodInfo {
	out := make([]MethodInfo, 0, len(c.names))
	for _, n := range c.names {
		out = append(out, c.methods[n].info())
	}
	return out
}

// Method returns one method.
func (c *Catalogue) Method(name string) (MethodInfo, bool) {
	m, ok := c.methods[name]
	if !ok {
		return MethodInfo{}, false
	}
	return m.info(), true
}

// Systems returns the names of the systems the catalogue calls, sorted.
func (c *Catalogue) Systems() []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range c.methods {
		for _, v := range m.variants {
			if !seen[v.system] {
				seen[v.system] = true
				out = append(out, v.system)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (m *method) info() MethodInfo {
	mi := MethodInfo{Name: m.name, Description: m.description, Params: slices.Clone(m.params), Effect: m.effect}
	for _, v := range m.variants {
		vi := VariantInfo{
			ID: v.id, Requires: slices.Clone(v.requires), Optional: slices.Clone(v.optional),
			System: v.system, HTTPMethod: v.httpMethod, Path: v.path.raw,
			Effect: v.effect, Idempotent: v.idempotent, Verifiable: v.verify != nil,
		}
		if len(v.when) > 0 {
			vi.When = make(map[string]any, len(v.when))
			for k, x := range v.when {
				vi.When[k] = x
			}
		}
		mi.Variants = append(mi.Variants, vi)
	}
	return mi
}
