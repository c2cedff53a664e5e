package flows

import (
	"fmt"
	"slices"
)

// Effect is what a method does to the systems it calls.
type Effect string

const (
	EffectRead        Effect = "read"        // reads only
	EffectWrite       Effect = "write"       // changes a system in a way that can be undone
	EffectDestructive Effect = "destructive" // deletes or terminates
	EffectLocal       Effect = "local"       // touches nothing outside the run
)

// MethodInfo describes a method flows may call.
type MethodInfo struct {
	Name string
	// Params are the argument names the method takes.
	Params []string
	Effect Effect
}

// Catalog tells lint which methods exist.
type Catalog interface {
	Method(name string) (MethodInfo, bool)
}

// Methods is a Catalog held in a map by method name.
type Methods map[string]MethodInfo

// Method implements Catalog.
func (m Methods) Method(name string) (MethodInfo, bool) {
	info, ok := m[name]
	return info, ok
}

// searchInDictInfo describes the method the interpreter runs itself.
func searchInDictInfo() MethodInfo {
	return MethodInfo{Name: MethodSearchInDict, Params: []string{"data", "criteria"}, Effect: EffectLocal}
}

// method looks a method up, the interpreter's own first.
func method(cat Catalog, name string) (MethodInfo, bool) {
	if name == MethodSearchInDict {
		return searchInDictInfo(), true
	}
	if cat == nil {
		return MethodInfo{}, false
	}
	return cat.Method(name)
}

// Lint returns the diagnostics Parse found and, besides, unknown methods
// (errors) and arguments (warnings) according to cat, variables that no
// step saves or sets and that are not builtins (warnings: they may be
// input columns), and steps that cannot run because an unconditional fail
// or end comes before them (warnings). A nil cat skips the method checks.
func Lint(f *File, cat Catalog) Diagnostics {
	l := linter{diags: slices.Clone(f.diags), known: map[string]bool{}}
	jumpTargets := map[*Step]bool{}
	for _, fl := range f.Flows {
		for _, st := range fl.Steps {
			for _, name := range []string{st.SaveAs, st.Set} {
				if name != "" {
					l.known[name] = true
				}
			}
			if i, ok := fl.ids[st.OnError]; ok {
				jumpTargets[fl.Steps[i]] = true
			}
		}
	}
	for _, fl := range f.Flows {
		var terminal *Step // the last unconditional fail or end
		for _, st := range fl.Steps {
			if jumpTargets[st] {
				terminal = nil
			}
			if terminal != nil {
				l.warnf(st.Pos, CodeUnreachable, "step is unreachable: the step at line %d always %s", terminal.Pos.Line, terminalVerb(terminal))
			}
			if (st.Fail != nil || st.End != nil) && st.When == nil && st.LoopOver == nil {
				terminal = st
			}
			if cat != nil {
				l.method(st, cat)
			}
			l.variables(st)
		}
	}
	l.diags.sort()
	return l.diags
}

func terminalVerb(st *Step) string {
	if st.Fail != nil {
		return "fails the line"
	}
	return "ends the line"
}

type linter struct {
	diags Diagnostics
	known map[string]bool // names some step saves or sets
}

func (l *linter) method(st *Step, cat Catalog) {
	if st.Method == "" {
		return
	}
	info, ok := method(cat, st.Method)
	if !ok {
		l.diags = append(l.diags, Diagnostic{Pos: st.valuePos["method"], Severity: Error, Code: CodeUnknownMethod,
			Message: fmt.Sprintf("unknown method %q", st.Method)})
		return
	}
	for _, a := range st.Args {
		if !slices.Contains(info.Params, a.Name) {
			l.warnf(a.Pos, CodeUnknownArg, "method %s takes no argument %q (it takes %v)", st.Method, a.Name, info.Params)
		}
	}
}

func (l *linter) variables(st *Step) {
	for _, e := range stepExprs(st) {
		for _, v := range e.vars {
			if !l.known[v.name] && !isBuiltinVar(v.name) {
				l.warnf(v.pos, CodeUnknownVar, "unknown variable %q: no step saves or sets it (fine if it is an input column)", v.name)
			}
		}
	}
}

// stepExprs lists every expression of a step.
func stepExprs(st *Step) []*Expr {
	var out []*Expr
	for _, e := range []*Expr{st.When, st.LoopOver} {
		if e != nil {
			out = append(out, e)
		}
	}
	for _, a := range st.Args {
		out = append(out, a.Value.exprs()...)
	}
	if st.Value != nil {
		out = append(out, st.Value.exprs()...)
	}
	for _, t := range []*Template{st.Approve, st.Fail, st.End} {
		if t != nil {
			out = append(out, t.exprs()...)
		}
	}
	return out
}

func (l *linter) warnf(pos Pos, code, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{Pos: pos, Severity: Warning, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Write is a step that may change a system.
type Write struct {
	Step *Step
	// Method is the catalog's description; a method the catalog does not
	// know is taken as destructive.
	Method MethodInfo
	// Via are the flows from the one asked about to the step's own,
	// through next_sequence.
	Via []string
}

// Writes lists, in file order of the calls, every step that flow, directly
// or through next_sequence, may run that writes or destroys: what a plan or
// an approval shows. Conditions are not evaluated.
func Writes(f *File, flow string, cat Catalog) []Write {
	var out []Write
	var walk func(fl *Flow, via []string)
	walk = func(fl *Flow, via []string) {
		if slices.Contains(via, fl.Name) {
			return // a cycle, which Parse reports
		}
		via = append(slices.Clone(via), fl.Name)
		for _, st := range fl.Steps {
			if st.Method != "" {
				info, ok := method(cat, st.Method)
				switch {
				case !ok:
					out = append(out, Write{Step: st, Method: MethodInfo{Name: st.Method, Effect: EffectDestructive}, Via: via})
				case info.Effect != EffectRead && info.Effect != EffectLocal:
					if info.Effect != EffectWrite {
						info.Effect = EffectDestructive
					}
					out = append(out, Write{Step: st, Method: info, Via: via})
				}
			}
			if callee := f.Flow(st.NextSequence); callee != nil {
				walk(callee, via)
			}
		}
	}
	if fl := f.Flow(flow); fl != nil {
		walk(fl, nil)
	}
	return out
}

// CanDestroy reports whether flow, directly or through next_sequence, may
// call a destructive method (or one the catalog does not know).
func CanDestroy(f *File, flow string, cat Catalog) bool {
	return slices.ContainsFunc(Writes(f, flow, cat), func(w Write) bool { return w.Method.Effect == EffectDestructive })
}
