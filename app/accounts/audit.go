package accounts

import (
	"context"

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

// Record appends an entry to the audit log.
func (a *Accounts) Record(ctx context.Context, e store.AuditEntry) error {
	return a.store.InsertAudit(ctx, e)
}
