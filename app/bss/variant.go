package bss

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// alreadyRule is an error answer meaning "already in that state".
type alreadyRule struct {
	status []int
	body   *regexp.Regexp // nil: any body
}

func (r alreadyRule) matches(status int, body []byte) bool {
	return slices.Contains(r.status, status) && (r.body == nil || r.body.Match(body))
}

// compileVariant checks one variant and compiles its templates. Verify
// specs are compiled once every method is known (compileVerifies).
func compileVariant(methodName string, vs *variantSpec) (*variant, error) {
	v := &variant{
		method: methodName, id: vs.ID,
		requires: slices.Clone(vs.Requires), optional: slices.Clone(vs.Optional),
		system: vs.System, httpMethod: strings.ToUpper(vs.Method),
		effect: Effect(vs.Effect), idempotent: vs.Idempotent,
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !isIdent(v.id) {
		bad("id %q: want a name (letters, digits, _)", v.id)
	}
	if !isSystemName(v.system) {
		bad("system %q: want a lower-case name such as bias, bae or cpm", v.system)
	}
	switch v.httpMethod {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		bad("method %q: want GET, POST, PUT, PATCH or DELETE", vs.Method)
	}
	switch v.effect {
	case EffectRead:
		if v.httpMethod != "" && v.httpMethod != http.MethodGet && v.httpMethod != http.MethodPost {
			bad("effect read with method %s: a read is a GET (or a POST search)", v.httpMethod)
		}
	case EffectWrite, EffectDestructive:
		if v.httpMethod == http.MethodGet {
			bad("effect %s with method GET: a GET must be a read", v.effect)
		}
	default:
		bad("effect %q: want read, write or destructive", vs.Effect)
	}
	switch vs.Result {
	case "":
	case "single":
		v.single = true
	default:
		bad("result %q: want single or nothing", vs.Result)
	}

	declared := map[string]bool{}
	for _, list := range [][]string{v.requires, v.optional} {
		for _, a := range list {
			if !isIdent(a) {
				bad("arg name %q: want letters, digits, _", a)
			}
			if declared[a] {
				bad("arg %s is declared twice", a)
			}
			declared[a] = true
		}
	}
	if len(vs.When) > 0 {
		v.when = make(map[string]any, len(vs.When))
		for k, x := range vs.When {
			switch x.(type) {
			case string, bool, int, float64:
			default:
				bad("when.%s: want a string, number or boolean", k)
			}
			if !isIdent(k) {
				bad("when: arg name %q: want letters, digits, _", k)
			}
			if declared[k] {
				bad("when.%s: the arg is also in requires or optional", k)
			}
			v.when[k] = x
		}
	}
	// uses checks that a template names only declared args; required says
	// whether each must be required (paths cannot leave a segment out).
	uses := func(where string, t template, required bool) {
		for _, a := range t.args() {
			switch {
			case !declared[a]:
				bad("%s: {%s} is not in requires or optional", where, a)
			case required && !slices.Contains(v.requires, a):
				bad("%s: {%s} must be a required arg", where, a)
			}
		}
	}

	path, err := parseTemplate(strings.TrimPrefix(vs.Path, "/"))
	switch {
	case err != nil:
		bad("path: %v", err)
	case vs.Path == "":
		bad("path is empty")
	case strings.ContainsAny(vs.Path, "?#"):
		bad("path %q: put the query in query", vs.Path)
	}
	v.path = path
	uses("path", path, true)

	var terr error
	if v.query, terr = compileNamed(vs.Query, "query", uses); terr != nil {
		errs = append(errs, terr)
	}
	if v.headers, terr = compileNamed(vs.Headers, "headers", uses); terr != nil {
		errs = append(errs, terr)
	}
	for _, h := range v.headers {
		if !validHeaderName(h.name) {
			bad("headers: %q is not a header name", h.name)
		}
	}
	if vs.Body != nil {
		if v.httpMethod == http.MethodGet || v.httpMethod == http.MethodDelete {
			bad("body: a %s has no body", v.httpMethod)
		}
		body, err := compileValue(vs.Body, 0)
		if err != nil {
			bad("body: %v", err)
		} else {
			body.walk(func(t template) { uses("body", t, false) })
			v.body = body
		}
	}

	for i, a := range vs.AlreadyDone {
		if !v.effect.IsWrite() {
			bad("already_done: only a write can be already done")
			break
		}
		if len(a.Status) == 0 {
			bad("already_done[%d]: no status codes", i)
		}
		for _, s := range a.Status {
			if s < 400 || s > 599 {
				bad("already_done[%d]: status %d: want an error status (400-599)", i, s)
			}
		}
		rule := alreadyRule{status: slices.Clone(a.Status)}
		if a.Body != "" {
			re, err := regexp.Compile(a.Body)
			if err != nil {
				bad("already_done[%d].body: %v", i, err)
			}
			rule.body = re
		}
		v.already = append(v.already, rule)
	}
	if vs.Verify != nil {
		if !v.effect.IsWrite() {
			bad("verify: only a write is verified")
		}
		v.verify = &verifySpec{method: vs.Verify.Method, argsSpec: vs.Verify.Args, src: vs.Verify.Expr}
	}
	if vs.Idempotent && !v.effect.IsWrite() {
		bad("idempotent: only said of writes (every read is)")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return v, nil
}

func compileNamed(m map[string]string, where string, uses func(string, template, bool)) ([]namedTemplate, error) {
	var out []namedTemplate
	var errs []error
	for name, raw := range m {
		t, err := parseTemplate(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: %w", where, name, err))
			continue
		}
		if name == "" {
			errs = append(errs, fmt.Errorf("%s: empty name", where))
		}
		uses(where+"."+name, t, false)
		out = append(out, namedTemplate{name: name, t: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, errors.Join(errs...)
}

func isSystemName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// validHeaderName accepts RFC 9110 tokens, which include dots
// (ERICSSON.External-User-Id).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
