package knowledge

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pff/pff/app/checks"
	"github.com/pff/pff/app/constraints"
	"github.com/pff/pff/app/rules"
	"github.com/pff/pff/app/schema"
	"github.com/pff/pff/app/validation"
	"github.com/pff/pff/store"
)

// Store is what a Source reads: the active versions, and their content.
type Store interface {
	ActiveKnowledgeVersions(ctx context.Context) ([]store.ActiveKnowledge, error)
	KnowledgeByID(ctx context.Context, kind string, id int64) (store.Knowledge, error)
}

// SourceConfig says where a Source reads knowledge and how it validates.
type SourceConfig struct {
	Store Store
	// Recheck is how long a validator is handed out before the active
	// versions are read again: an activation reaches every process within
	// it. Zero reads them on every call (one query of at most three rows).
	Recheck time.Duration
	// Validation holds the thresholds, schema confidence, model policy and
	// clock; its Schema, Rules, Checks, Constraints and Plausibility are the
	// Source's to set.
	Validation validation.Config
	// Now is the clock of Recheck; nil means time.Now.
	Now func() time.Time
	// Plausibility loads the active model (kind "model" among the active
	// versions) as the validator's plausibility model; nil validates
	// without one. A loader that returns no model and no error says the
	// active model cannot judge records; reports then say so.
	Plausibility func(ctx context.Context, modelID int64) (validation.Plausibility, error)
}

// KindModel is the kind of the active model among the active versions.
const KindModel = "model"

// Source hands out the validator built from the active knowledge, building
// a new one only when the active versions change. It is safe for
// concurrent use; the validators it returns are immutable.
type Source struct {
	cfg SourceConfig
	// defaults are the embedded rules and checks: a set in mode add is
	// compiled with them, as pff validate --rules does.
	defaults      validation.Sources
	defaultRules  *rules.Set
	defaultChecks *checks.Set

	current atomic.Pointer[snapshot]
	// invalidations counts Invalidate calls, so a read of the versions that
	// raced with a change is not trusted for a whole Recheck.
	invalidations atomic.Uint64
	// mu makes one caller at a time read the versions and rebuild; the
	// others wait for its result rather than build the same validator.
	mu sync.Mutex
}

// Current is a validator and the stored versions it was built from.
type Current struct {
	Validator *validation.Validator
	// Active are the versions in use, by kind; a kind without one validates
	// with the embedded defaults (rules, checks) or not at all (schema).
	Active []store.ActiveKnowledge
}

type snapshot struct {
	Current
	checked time.Time
}

// NewSource compiles the embedded defaults and returns a Source; the
// database is first read on the first call.
func NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("knowledge: source without a store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	defaults, err := validation.DefaultSources()
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, defaults: defaults}
	if s.defaultRules, err = rules.Compile(defaults.Rules); err != nil {
		return nil, fmt.Errorf("knowledge: default rules: %w", err)
	}
	if s.defaultChecks, err = checks.Compile(defaults.Checks); err != nil {
		return nil, fmt.Errorf("knowledge: default checks: %w", err)
	}
	return s, nil
}

// Validator returns the validator of the active knowledge.
func (s *Source) Validator(ctx context.Context) (*validation.Validator, error) {
	c, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	return c.Validator, nil
}

// Current returns the validator of the active knowledge with the versions
// it was built from.
func (s *Source) Current(ctx context.Context) (Current, error) {
	if snap := s.fresh(); snap != nil {
		return snap.Current, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap := s.fresh(); snap != nil { // refreshed while this caller waited
		return snap.Current, nil
	}
	checked, generation := s.cfg.Now(), s.invalidations.Load()
	active, err := s.cfg.Store.ActiveKnowledgeVersions(ctx)
	if err != nil {
		return Current{}, fmt.Errorf("knowledge: %w", err)
	}
	if s.invalidations.Load() != generation {
		checked = time.Time{} // read again next time
	}
	prev := s.current.Load()
	if prev != nil && slices.Equal(prev.Active, active) {
		s.current.Store(&snapshot{Current: prev.Current, checked: checked})
		return prev.Current, nil
	}
	v, err := s.build(ctx, active)
	if err != nil {
		return Current{}, err
	}
	c := Current{Validator: v, Active: active}
	s.current.Store(&snapshot{Current: c, checked: checked})
	return c, nil
}

// Invalidate makes the next call read the active versions again, so a
// change made through this process takes effect at once; other processes
// see it within Recheck.
func (s *Source) Invalidate() {
	s.invalidations.Add(1)
	if snap := s.current.Load(); snap != nil {
		s.current.CompareAndSwap(snap, &snapshot{Current: snap.Current})
	}
}

// fresh returns the current snapshot if it needs no recheck.
func (s *Source) fresh() *snapshot {
	snap := s.current.Load()
	if snap == nil || s.cfg.Recheck <= 0 || s.cfg.Now().Sub(snap.checked) >= s.cfg.Recheck {
		return nil
	}
	return snap
}

func (s *Source) build(ctx context.Context, active []store.ActiveKnowledge) (*validation.Validator, error) {
	cfg := s.cfg.Validation
	cfg.Schema, cfg.Rules, cfg.Checks, cfg.Constraints = nil, s.defaultRules, s.defaultChecks, nil
	for _, a := range active {
		if a.Kind == KindModel {
			if s.cfg.Plausibility == nil {
				continue
			}
			p, err := s.cfg.Plausibility(ctx, a.ID)
			if err != nil {
				return nil, fmt.Errorf("knowledge: active model %s: %w", a.Name, err)
			}
			if p == nil {
				cfg.NoModelNote = fmt.Sprintf("the active model %s was not trained on records and cannot judge them: the score is from the schema, rules and checks alone", a.Name)
				continue
			}
			cfg.Plausibility = p
			continue
		}
		if !Kind(a.Kind).judges() {
			continue
		}
		k, err := s.cfg.Store.KnowledgeByID(ctx, a.Kind, a.ID)
		if err != nil {
			return nil, fmt.Errorf("knowledge: %w", err)
		}
		if err := s.compileInto(&cfg, k); err != nil {
			return nil, fmt.Errorf("knowledge: active %s %s v%d: %w", k.Kind, k.Name, k.Version, err)
		}
	}
	return validation.New(cfg)
}

// compileInto compiles a stored version into its place in cfg: a rule or
// check set in mode add with the embedded defaults, in mode replace alone.
func (s *Source) compileInto(cfg *validation.Config, k store.Knowledge) error {
	file := fileName(k.Name, k.Version, Format(k.Format))
	data := []byte(k.Content)
	var err error
	switch Kind(k.Kind) {
	case KindSchema:
		cfg.Schema, err = schema.Compile(file, data)
	case KindRules:
		parsed, diags := rules.Parse(file, data)
		if err := diags.Err(); err != nil {
			return err
		}
		if Mode(k.Mode) != ModeReplace {
			parsed = append(slices.Clone(s.defaults.Rules), parsed...)
		}
		cfg.Rules, err = rules.Compile(parsed)
	case KindChecks:
		parsed, diags := checks.Parse(file, data)
		if err := diags.Err(); err != nil {
			return err
		}
		if Mode(k.Mode) != ModeReplace {
			parsed = append(slices.Clone(s.defaults.Checks), parsed...)
		}
		cfg.Checks, err = checks.Compile(parsed)
	case KindConstraints:
		cfg.Constraints, err = constraints.Load(file, data)
	default:
		err = fmt.Errorf("unknown kind %q", k.Kind)
	}
	return err
}

// fileName names a stored version in diagnostics, with the extension its
// parser expects: core-v3.tsv.
func fileName(name string, version int, format Format) string {
	return fmt.Sprintf("%s-v%d.%s", name, version, format)
}
