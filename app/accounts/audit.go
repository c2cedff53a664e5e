package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/pff/pff/app/problem"
	"github.com/pff/pff/store"
)

// Audit lists audit entries newest first: who did what, to what, and how it
// ended.
func (a *Accounts) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	switch f.Status {
	case "", "succeeded", "failed", "denied":
	default:
		return nil, problem.FieldError("status", "must be succeeded, failed or denied")
	}
	return a.store.ListAudit(ctx, f)
}

// Record appends an entry to the audit log. An entry quotes what a caller
// sent (a username tried, an id in a path), which may be anything: every
// text is made storable first, so that hostile requests are audited too.
func (a *Accounts) Record(ctx context.Context, e store.AuditEntry) error {
	for _, s := range []*string{&e.Actor, &e.Method, &e.Route, &e.Action, &e.Target, &e.Status, &e.RequestID, &e.ClientIP} {
		*s = auditText(*s)
	}
	e.Detail = auditDetail(e.Detail)
	return a.store.InsertAudit(ctx, e)
}

// maxAuditText bounds one text of an audit entry.
const maxAuditText = 512

// auditText is s as PostgreSQL can store it: valid UTF-8 without NUL, cut
// to maxAuditText bytes at a character boundary.
func auditText(s string) string {
	if len(s) > maxAuditText {
		cut := maxAuditText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// auditDetail is a detail that jsonb accepts: every string in it, keys
// included, made text.
func auditDetail(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(`{"unreadable":true}`)
	}
	clean, err := json.Marshal(cleanValue(v))
	if err != nil {
		return json.RawMessage(`{"unreadable":true}`)
	}
	return clean
}

func cleanValue(v any) any {
	switch v := v.(type) {
	case string:
		return auditText(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[auditText(k)] = cleanValue(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = cleanValue(e)
		}
		return v
	}
	return v
}
