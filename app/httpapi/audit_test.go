package httpapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
)

func TestLoginAttemptsAreAuditedWithTheClientAddress(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	for _, body := range []string{
		`{"username":"admin1","password":"wrong password"}`,
		`{"username":"admin1","password":"` + testPassword + `"}`,
		`{"username":"a\u0000b","password":"x"}`, // refused, and audited all the same
	} {
		ts.do(request{method: http.MethodPost, path: "/api/v1/auth/login", remoteAddr: "198.51.100.23:4711", body: body})
	}
	entries, err := ts.store.ListAudit(context.Background(), store.AuditFilter{Route: "/api/v1/auth/login", Limit: 10})
	require.NoError(t, err)
	require.Len(t, entries, 3)
	var statuses []string
	for _, e := range entries {
		require.Equal(t, "198.51.100.23", e.ClientIP)
		statuses = append(statuses, e.Status)
	}
	require.Equal(t, []string{"failed", "succeeded", "denied"}, statuses, "newest first")
	require.Equal(t, "login:admin1", entries[1].Actor)
}
