package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoginAttempts is what the login lockout knows of a username over all
// clients (the row of client ""), or of one client of it: failures, the
// latest, a lock, and, for the username, the clients it logged in from.
// Zero values mean nothing known.
type LoginAttempts struct {
	Failures     int
	Last         time.Time
	BlockedUntil time.Time
	Trusted      map[string]time.Time
}

func (a LoginAttempts) empty() bool {
	return a.Failures == 0 && a.Last.IsZero() && a.BlockedUntil.IsZero() && len(a.Trusted) == 0
}

// UpdateLoginAttempts loads the attempts of username and of (username,
// client), lets update change them, and saves them, in one transaction that
// holds both rows: every replica's updates of one username happen one after
// the other. Rows left empty are deleted.
func (s *Store) UpdateLoginAttempts(ctx context.Context, username, client string, update func(user, pair *LoginAttempts) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The username's row, then the client's: one order for every
		// transaction, so two cannot deadlock.
		if _, err := tx.Exec(ctx, `
INSERT INTO login_attempts (username, client) VALUES ($1, ''), ($1, $2) ON CONFLICT DO NOTHING`, username, client); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
SELECT client, failures, last_at, blocked_until, trusted
FROM login_attempts WHERE username = $1 AND client IN ('', $2) ORDER BY client FOR UPDATE`, username, client)
		if err != nil {
			return err
		}
		states := map[string]*LoginAttempts{"": {}, client: {}}
		var c string
		var a LoginAttempts
		var last, blocked *time.Time
		var trusted []byte
		_, err = pgx.ForEachRow(rows, []any{&c, &a.Failures, &last, &blocked, &trusted}, func() error {
			st := &LoginAttempts{Failures: a.Failures}
			if last != nil {
				st.Last = *last
			}
			if blocked != nil {
				st.BlockedUntil = *blocked
			}
			if err := json.Unmarshal(trusted, &st.Trusted); err != nil {
				return err
			}
			states[c] = st
			return nil
		})
		if err != nil {
			return err
		}
		user, pair := states[""], states[client]
		if err := update(user, pair); err != nil {
			return err
		}
		for _, row := range []struct {
			client string
			a      *LoginAttempts
		}{{"", user}, {client, pair}} {
			if err := saveLoginAttempts(ctx, tx, username, row.client, row.a); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap(err, "update login attempts")
}

func saveLoginAttempts(ctx context.Context, tx pgx.Tx, username, client string, a *LoginAttempts) error {
	if a.empty() {
		_, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE username = $1 AND client = $2`, username, client)
		return err
	}
	trusted := a.Trusted
	if trusted == nil {
		trusted = map[string]time.Time{}
	}
	data, err := json.Marshal(trusted)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
UPDATE login_attempts SET failures = $3, last_at = $4, blocked_until = $5, trusted = $6
WHERE username = $1 AND client = $2`, username, client, a.Failures, nullTime(a.Last), nullTime(a.BlockedUntil), data)
	return err
}

// ClearLoginAttempts forgets the failures and locks of username, from
// every client, keeping the clients it logged in from.
func (s *Store) ClearLoginAttempts(ctx context.Context, username string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_attempts WHERE username = $1 AND client <> ''`, username); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
UPDATE login_attempts SET failures = 0, last_at = NULL, blocked_until = NULL WHERE username = $1 AND client = ''`, username)
		return err
	})
	return wrap(err, "clear login attempts")
}

// PruneLoginAttempts deletes what no longer matters: rows without a
// failure since idleSince or a lock still running, whose trusted clients
// (if any) logged in before trustedSince.
func (s *Store) PruneLoginAttempts(ctx context.Context, now, idleSince, trustedSince time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
DELETE FROM login_attempts
WHERE coalesce(last_at, '-infinity') < $2 AND coalesce(blocked_until, '-infinity') <= $1
	AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(trusted) t WHERE t.value::timestamptz >= $3)`, now, idleSince, trustedSince)
	if err != nil {
		return 0, wrap(err, "prune login attempts")
	}
	return tag.RowsAffected(), nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
