package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one audited action: who did what to which target, and how it ended.
type AuditEntry struct {
	ID         int64           `json:"id"`
	OccurredAt time.Time       `json:"occurred_at"`
	ActorID    *string         `json:"actor_id"`
	Actor      string          `json:"actor"`
	Method     string          `json:"method"`
	Route      string          `json:"route"`
	Action     string          `json:"action"`
	Target     string          `json:"target"`
	Status     string          `json:"status"`
	StatusCode *int            `json:"status_code"`
	RequestID  string          `json:"request_id"`
	Detail     json.RawMessage `json:"detail"`
	// ClientIP is the address the call came from, as the API saw it.
	ClientIP string `json:"client_ip"`
}

// InsertAudit appends an entry to the audit log.
func (s *Store) InsertAudit(ctx context.Context, e AuditEntry) error {
	detail := e.Detail
	if len(detail) == 0 {
		detail = json.RawMessage(`{}`)
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO audit_log (actor_id, actor, method, route, action, target, status, status_code, request_id, detail, client_ip)
		VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ActorID, e.Actor, e.Method, e.Route, e.Action, e.Target, e.Status, e.StatusCode, e.RequestID, detail, e.ClientIP)
	return wrap(err, "insert audit entry %s", e.Action)
}

// AuditFilter selects entries for ListAudit. Zero values select everything.
type AuditFilter struct {
	Actor  string
	Route  string
	Status string
	Since  time.Time
	Until  time.Time
	// Before is the id the previous page ended with; newest entries come first.
	Before int64
	Limit  int
}

// ListAudit lists entries newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var since, until *time.Time
	if !f.Since.IsZero() {
		since = &f.Since
	}
	if !f.Until.IsZero() {
		until = &f.Until
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, occurred_at, actor_id::text, actor, method, route, action, target, status, status_code, request_id, detail, client_ip
		FROM audit_log
		WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR route = $2) AND ($3 = '' OR status = $3)
			AND ($4::timestamptz IS NULL OR occurred_at >= $4) AND ($5::timestamptz IS NULL OR occurred_at < $5)
			AND ($6 = 0 OR id < $6)
		ORDER BY id DESC LIMIT $7`, f.Actor, f.Route, f.Status, since, until, f.Before, f.Limit)
	if err != nil {
		return nil, wrap(err, "list audit entries")
	}
	entries, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
	return entries, wrap(err, "list audit entries")
}
