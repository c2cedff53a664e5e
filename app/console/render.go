package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/jobs"
)

// pages are the parsed templates: one set per page file, each with the
// layout and the shared partials.
type pages struct {
	sets map[string]*template.Template
}

func loadPages(as *assets) (*pages, error) {
	base, err := template.New("").Funcs(templateFuncs(as)).ParseFS(embedded, "templates/base/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	files, err := fs.Glob(embedded, "templates/*.html")
	if err != nil {
		return nil, err
	}
	ps := &pages{sets: map[string]*template.Template{}}
	for _, f := range files {
		set, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if set, err = set.ParseFS(embedded, f); err != nil {
			return nil, fmt.Errorf("console: template %s: %w", f, err)
		}
		ps.sets[strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")] = set
	}
	return ps, nil
}

// view is what every page template gets: the page's data and who is looking.
type view struct {
	Title string
	// Nav is the section of the navigation the page belongs to.
	Nav   string
	User  *principal
	Flash *flash
	// Flows says fix flows are on (BSS configured).
	Flows   bool
	Version string
	Data    any
}

// Can says whether the user holds at least the role: the templates show a
// control only to whom may use it.
func (v view) Can(role string) bool {
	if v.User == nil {
		return false
	}
	r, err := auth.ParseRole(role)
	return err == nil && v.User.Role.Allows(r)
}

// CanJob says whether the user may cancel or retry a job of the kind: the
// role that starting one needs, as the API checks.
func (v view) CanJob(kind string) bool {
	return v.User != nil && v.User.Role.Allows(jobs.RoleToStart(kind))
}

// page renders a whole page (the layout around the page's content).
func (c *Console) page(w http.ResponseWriter, r *http.Request, p *principal, status int, name, title, nav string, data any) error {
	v := view{Title: title, Nav: nav, User: p, Flows: c.cfg.Executions != nil, Version: c.cfg.Version, Data: data}
	if p != nil {
		v.Flash = takeFlash(w, r)
	}
	return c.execute(w, r, status, name, "layout", v)
}

// fragment renders one named template of a page, for htmx and events.
func (c *Console) fragment(name, tmpl string, v view) ([]byte, error) {
	set, ok := c.pages.sets[name]
	if !ok {
		return nil, fmt.Errorf("console: no page %q", name)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, tmpl, v); err != nil {
		return nil, fmt.Errorf("console: render %s/%s: %w", name, tmpl, err)
	}
	return buf.Bytes(), nil
}

func (c *Console) execute(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, v view) error {
	body, err := c.fragment(name, tmpl, v)
	if err != nil {
		return err
	}
	c.write(w, r, status, "text/html; charset=utf-8", body)
	return nil
}

func templateFuncs(as *assets) template.FuncMap {
	return template.FuncMap{
		"asset": as.url,
		"time":  fmtTime,
		"timep": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return fmtTime(*t)
		},
		"ago":      ago,
		"int":      fmtInt,
		"float":    func(prec int, f float64) string { return strconv.FormatFloat(f, 'f', prec, 64) },
		"pct":      pct,
		"pretty":   prettyJSON,
		"decision": decisionClass,
		"state":    stateClass,
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"score": func(f *float64) string {
			if f == nil {
				return "—"
			}
			return strconv.FormatFloat(*f, 'f', 3, 64)
		},
		"seconds": func(s float64) string {
			return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
		},
		"add": func(a, b int) int { return a + b },
		"int64": func(n any) int64 {
			v, _ := strconv.ParseInt(fmtIntRaw(n), 10, 64)
			return v
		},
		"mul100": func(f float64) float64 { return f * 100 },
		"deref64": func(f *float64) float64 {
			if f == nil {
				return 0
			}
			return *f
		},
		"join":   strings.Join,
		"anchor": pointerAnchor,
		"fields": strings.Fields,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// ago is a coarse age, for tables.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h ago"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days ago"
}

// fmtInt writes an integer with thousands separators: 100,000.
func fmtInt(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	case float64:
		n = int64(math.Round(x))
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtIntRaw is an integer of any type as plain digits.
func fmtIntRaw(v any) string { return strings.ReplaceAll(fmtInt(v), ",", "") }

func pct(part, whole int64) string {
	if whole == 0 {
		return "—"
	}
	return strconv.FormatFloat(100*float64(part)/float64(whole), 'f', 1, 64) + "%"
}

// prettyJSON indents a JSON value for a <pre>; what is not JSON is shown as is.
func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

func decisionClass(d string) string {
	switch d {
	case "ACCEPT":
		return "ok"
	case "REVIEW":
		return "warn"
	case "REJECT":
		return "bad"
	}
	return "muted"
}

// stateClass colours the states of jobs, executions, lines and models.
func stateClass(s string) string {
	switch s {
	case "completed", "succeeded", "done", "ready", "active", "applied", "ok":
		return "ok"
	case "running", "available", "scheduled", "pending", "retryable", "training", "planned", "queued":
		return "info"
	case "paused", "awaiting_approval", "needs_review", "waiting_approval":
		return "warn"
	case "failed", "discarded", "cancelled", "expr_error", "error":
		return "bad"
	}
	return "muted"
}
