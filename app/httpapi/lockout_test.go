package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/app/accounts"
	"github.com/pff/pff/app/auth"
	"github.com/pff/pff/app/config"
)

// TestUnlockOnOneReplicaHoldsOnAnother runs two API instances on one
// database, as two replicas: a lock earned through one holds on the other,
// and an admin's unlock sent to one lifts it on both.
func TestUnlockOnOneReplicaHoldsOnAnother(t *testing.T) {
	t.Parallel()
	first := newTestServer(t, nil)
	second := newTestServer(t, func(cfg *config.Config) { cfg.Database.URL = first.cfg.Database.URL })
	login := func(ts *testServer, client, password string) *httptest.ResponseRecorder {
		return ts.do(request{method: http.MethodPost, path: Prefix + "/auth/login", remoteAddr: client + ":1000",
			body: `{"username":"operator1","password":"` + password + `"}`})
	}
	// A guess from each of 25 clients locks the username for 15 minutes
	// (the replicas' clocks are seconds apart) for clients it never logged
	// in from.
	for n := range 25 {
		require.Equal(t, http.StatusUnauthorized, login(first, fmt.Sprintf("192.0.2.%d", n+1), "wrong password").Code)
	}
	require.Equal(t, http.StatusTooManyRequests, login(first, "198.51.100.7", testPassword).Code)
	rec := login(second, "198.51.100.7", testPassword)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "the other replica knows of the lock")
	require.Equal(t, "login_locked", errorCode(t, rec))

	rec = first.do(request{method: http.MethodPost, path: Prefix + "/users/" + first.ids[auth.RoleOperator] + "/unlock",
		header: bearer(first.bearers[auth.RoleAdmin])})
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	require.Equal(t, http.StatusOK, login(second, "198.51.100.7", testPassword).Code, "unlocked on every replica")
}

// TestWrongCurrentPasswordsCountTowardsTheLockout guesses at the current
// password through the password change: it is slowed down like a login,
// and the login from the same client waits too.
func TestWrongCurrentPasswordsCountTowardsTheLockout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	viewer := bearer(ts.bearers[auth.RoleViewer])
	change := func(current string) *httptest.ResponseRecorder {
		return ts.do(request{method: http.MethodPost, path: Prefix + "/auth/password", header: viewer, remoteAddr: "203.0.113.9:5000",
			body: `{"current_password":"` + current + `","new_password":"a much better passphrase"}`})
	}
	for range 3 {
		rec := change("a guess")
		require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
		require.Contains(t, rec.Body.String(), "current_password")
	}
	rec := change("another guess")
	require.Equal(t, http.StatusTooManyRequests, rec.Code, rec.Body.String())
	require.Equal(t, "login_locked", errorCode(t, rec))
	require.NotEmpty(t, rec.Header().Get("Retry-After"))
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/auth/login", remoteAddr: "203.0.113.9:5000",
		body: `{"username":"viewer1","password":"` + testPassword + `"}`})
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "the guesses count for logins from that client too")
}

func TestAPIKeysCannotChangePasswordsOrLogOut(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	rec := ts.do(request{method: http.MethodPost, path: Prefix + "/api-keys", header: bearer(ts.bearers[auth.RoleAdmin]),
		body: `{"username":"operator1","name":"ci"}`})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var created accounts.CreatedAPIKey
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
	key := map[string]string{"X-API-Key": created.Key}

	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/auth/password", header: key,
		body: `{"current_password":"` + testPassword + `","new_password":"a much better passphrase"}`})
	require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/auth/logout", header: key})
	require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())

	me := request{method: http.MethodGet, path: Prefix + "/auth/me", header: bearer(ts.bearers[auth.RoleOperator])}
	require.Equal(t, http.StatusOK, ts.do(me).Code, "the person's tokens were not revoked")
	rec = ts.do(request{method: http.MethodPost, path: Prefix + "/auth/login",
		body: `{"username":"operator1","password":"` + testPassword + `"}`})
	require.Equal(t, http.StatusOK, rec.Code, "nor their password changed")
}
