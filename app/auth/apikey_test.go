package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

func TestGenerateAPIKey(t *testing.T) {
	t.Parallel()
	key := GenerateAPIKey()
	full := key.Reveal()
	require.Regexp(t, regexp.MustCompile(`^pff_[a-z2-7]{8}_[a-z2-7]{52}$`), full)

	parsed, err := ParseAPIKey(full)
	require.NoError(t, err)
	require.Equal(t, key, parsed)
	require.Equal(t, key.ID(), parsed.ID())
	require.True(t, parsed.Matches(key.Hash()))
	require.Len(t, key.Hash(), 32)

	other := GenerateAPIKey()
	require.NotEqual(t, key.ID(), other.ID())
	require.False(t, other.Matches(key.Hash()))
	require.False(t, key.Matches(nil))
}

func TestAPIKeyNeverPrintsSecret(t *testing.T) {
	t.Parallel()
	key := GenerateAPIKey()
	secret := strings.TrimPrefix(key.Reveal(), APIKeyPrefix+key.ID()+"_")

	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("made", "key", key)
	for _, shown := range []string{
		key.String(), fmt.Sprint(key), fmt.Sprintf("%v %+v %#v %s", key, key, key, key), logged.String(),
	} {
		require.Contains(t, shown, key.ID())
		require.NotContains(t, shown, secret)
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	t.Parallel()
	good := GenerateAPIKey().Reveal()
	tests := map[string]string{
		"empty":              "",
		"other prefix":       "sk_" + good[3:] + "a",
		"upper-case prefix":  "PFF_" + good[4:],
		"one short":          good[:len(good)-1],
		"one long":           good + "a",
		"no separator":       good[:12] + "a" + good[13:],
		"upper-case secret":  good[:13] + strings.ToUpper(good[13:]),
		"digit 1 in id":      good[:4] + "1" + good[5:],
		"digit 0 in secret":  good[:20] + "0" + good[21:],
		"space":              good[:len(good)-1] + " ",
		"non-ASCII":          good[:len(good)-2] + "é",
		"bearer prefix kept": "Bearer " + good,
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseAPIKey(s)
			require.ErrorIs(t, err, ErrAPIKeyFormat)
			require.ErrorIs(t, err, ErrAPIKeyInvalid)
			if len(s) > 13 {
				require.NotContains(t, err.Error(), s[13:], "errors never quote the secret")
			}
		})
	}
}

type memoryAPIKeyStore map[string]StoredAPIKey

func (m memoryAPIKeyStore) APIKeyByID(_ context.Context, id string) (StoredAPIKey, error) {
	k, ok := m[id]
	if !ok {
		return StoredAPIKey{}, fmt.Errorf("select api key %q: %w", id, ErrAPIKeyNotFound)
	}
	return k, nil
}

type failingAPIKeyStore struct{ err error }

func (f failingAPIKeyStore) APIKeyByID(context.Context, string) (StoredAPIKey, error) {
	return StoredAPIKey{}, f.err
}

func TestAPIKeyVerifier(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	store := memoryAPIKeyStore{}
	add := func(mutate func(*StoredAPIKey)) string {
		key := GenerateAPIKey()
		stored := StoredAPIKey{ID: key.ID(), Hash: key.Hash(), UserID: "svc-1", Role: RoleOperator}
		if mutate != nil {
			mutate(&stored)
		}
		store[key.ID()] = stored
		return key.Reveal()
	}
	active := add(nil)
	expiring := add(func(k *StoredAPIKey) { k.ExpiresAt = clock.Now().Add(time.Hour) })
	expired := add(func(k *StoredAPIKey) { k.ExpiresAt = clock.Now() })
	revoked := add(func(k *StoredAPIKey) { k.Revoked = true })
	wrongSecret := active[:len(active)-4] + "aaaa"
	if wrongSecret == active {
		wrongSecret = active[:len(active)-4] + "bbbb"
	}
	revokedWrongSecret := revoked[:len(revoked)-4] + "2222"
	unknown := GenerateAPIKey().Reveal()
	verifier := NewAPIKeyVerifier(store, clock.Now)

	tests := []struct {
		name, key string
		want      error
	}{
		{name: "active", key: active},
		{name: "not yet expired", key: expiring},
		{name: "expired", key: expired, want: ErrAPIKeyExpired},
		{name: "revoked", key: revoked, want: ErrAPIKeyRevoked},
		{name: "wrong secret", key: wrongSecret, want: ErrAPIKeyUnknown},
		{name: "revoked key with wrong secret says nothing of revocation", key: revokedWrongSecret, want: ErrAPIKeyUnknown},
		{name: "unknown id", key: unknown, want: ErrAPIKeyUnknown},
		{name: "malformed", key: "pff_nope", want: ErrAPIKeyFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := verifier.Verify(t.Context(), tt.key)
			if tt.want == nil {
				require.NoError(t, err)
				require.Equal(t, "svc-1", got.UserID)
				require.Equal(t, RoleOperator, got.Role)
				return
			}
			require.ErrorIs(t, err, ErrAPIKeyInvalid)
			require.ErrorIs(t, err, tt.want)
			require.Zero(t, got)
		})
	}

	down := errors.New("connection refused")
	_, err := NewAPIKeyVerifier(failingAPIKeyStore{err: down}, nil).Verify(t.Context(), active)
	require.ErrorIs(t, err, down)
	require.NotErrorIs(t, err, ErrAPIKeyInvalid, "an outage is not a bad key")
}
