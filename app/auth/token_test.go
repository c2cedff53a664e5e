package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-only")

const testIssuer = "pff-test"

func newTestTokens(t testing.TB, clock *testkit.Clock, mutate ...func(*TokenConfig)) *Tokens {
	t.Helper()
	cfg := TokenConfig{Secret: testSecret, Issuer: testIssuer, Now: clock.Now}
	for _, m := range mutate {
		m(&cfg)
	}
	tokens, err := NewTokens(cfg)
	require.NoError(t, err)
	return tokens
}

func TestTokensIssueVerify(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	tokens := newTestTokens(t, clock)

	raw, issued, err := tokens.Issue("user-42", RoleOperator, 7)
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(30*time.Minute), issued.ExpiresAt)

	got, err := tokens.Verify(raw)
	require.NoError(t, err)
	require.Equal(t, issued, got)
	require.Equal(t, "user-42", got.UserID)
	require.Equal(t, RoleOperator, got.Role)
	require.Equal(t, int64(7), got.TokenVersion)
	require.Len(t, got.ID, 22)

	_, other, err := tokens.Issue("user-42", RoleOperator, 7)
	require.NoError(t, err)
	require.NotEqual(t, issued.ID, other.ID)

	clock.Advance(30*time.Minute + DefaultTokenLeeway - time.Second)
	_, err = tokens.Verify(raw)
	require.NoError(t, err, "still valid within the leeway")
	clock.Advance(time.Second)
	_, err = tokens.Verify(raw)
	requireTokenError(t, err, ErrTokenExpired)
}

// tokenSentinels are the refusal kinds a test expects exactly one of.
var tokenSentinels = []error{
	ErrTokenMalformed, ErrTokenAlgorithm, ErrTokenSignature, ErrTokenExpired,
	ErrTokenNotYetValid, ErrTokenIssuer, ErrTokenClaims, ErrTokenRevoked,
}

func requireTokenError(t *testing.T, err, want error) {
	t.Helper()
	require.ErrorIs(t, err, ErrTokenInvalid)
	require.ErrorIs(t, err, want)
	for _, other := range tokenSentinels {
		if other != want { //nolint:errorlint // two sentinels of the list, not an error returned
			require.NotErrorIs(t, err, other)
		}
	}
}

func TestTokensVerifyRejects(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	tokens := newTestTokens(t, clock)
	valid, _, err := tokens.Issue("user-1", RoleViewer, 1)
	require.NoError(t, err)
	header, payload, signature := splitJWT(t, valid)
	now := clock.Now()

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	goodClaims := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": testIssuer, "sub": "user-1", "role": "admin", "ver": 1, "jti": "id-1",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	}
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		require.NoError(t, err)
		return s
	}
	without := func(name string) string {
		c := goodClaims()
		delete(c, name)
		return sign(jwt.SigningMethodHS256, testSecret, c)
	}
	with := func(name string, value any) string {
		c := goodClaims()
		c[name] = value
		return sign(jwt.SigningMethodHS256, testSecret, c)
	}

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrTokenMalformed},
		{"two segments", header + "." + payload, ErrTokenMalformed},
		{"garbage", "not.a.jwt", ErrTokenMalformed},
		{"oversized", strings.Repeat("a", 5000), ErrTokenMalformed},
		{"non-canonical base64", header + "." + payload + "." + signature[:len(signature)-1] + "B", ErrTokenMalformed},
		{"tampered signature", header + "." + payload + "." + flipChar(signature, 5), ErrTokenSignature},
		{"tampered payload", header + "." + encodeSegment(t, goodClaims()) + "." + signature, ErrTokenSignature},
		{"other secret", sign(jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes!!"), goodClaims()), ErrTokenSignature},
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims()), ErrTokenAlgorithm},
		{"alg none with our signature", encodeSegment(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + payload + "." + signature, ErrTokenAlgorithm},
		{"alg missing", encodeSegment(t, map[string]string{"typ": "JWT"}) + "." + payload + "." + signature, ErrTokenAlgorithm},
		{"alg unknown", encodeSegment(t, map[string]string{"alg": "XX999"}) + "." + payload + "." + signature, ErrTokenAlgorithm},
		{"HS512 with our secret", sign(jwt.SigningMethodHS512, testSecret, goodClaims()), ErrTokenAlgorithm},
		{"RS256", sign(jwt.SigningMethodRS256, rsaKey, goodClaims()), ErrTokenAlgorithm},
		{"ES256", sign(jwt.SigningMethodES256, ecKey, goodClaims()), ErrTokenAlgorithm},
		{"expired", with("exp", now.Add(-time.Minute).Unix()), ErrTokenExpired},
		{"not yet valid", with("nbf", now.Add(time.Minute).Unix()), ErrTokenNotYetValid},
		{"issued in the future", with("iat", now.Add(time.Minute).Unix()), ErrTokenNotYetValid},
		{"wrong issuer", with("iss", "someone-else"), ErrTokenIssuer},
		{"no issuer", without("iss"), ErrTokenClaims},
		{"no expiry", without("exp"), ErrTokenClaims},
		{"no not-before", without("nbf"), ErrTokenClaims},
		{"no issued-at", without("iat"), ErrTokenClaims},
		{"no subject", without("sub"), ErrTokenClaims},
		{"no token id", without("jti"), ErrTokenClaims},
		{"no version", without("ver"), ErrTokenClaims},
		{"unknown role", with("role", "root"), ErrTokenClaims},
		{"no role", without("role"), ErrTokenClaims},
		{"role of wrong type", with("role", 3), ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tokens.Verify(tt.token)
			requireTokenError(t, err, tt.want)
			require.Zero(t, c)
		})
	}
}

func TestTokensClockSkew(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	verifier := newTestTokens(t, clock)
	aheadClock := testkit.NewClock()
	aheadClock.Advance(5 * time.Second)
	ahead := newTestTokens(t, aheadClock)

	raw, _, err := ahead.Issue("user-1", RoleAdmin, 0)
	require.NoError(t, err)
	_, err = verifier.Verify(raw)
	require.NoError(t, err, "5 s of skew is within the leeway")

	aheadClock.Advance(time.Minute)
	raw, _, err = ahead.Issue("user-1", RoleAdmin, 0)
	require.NoError(t, err)
	_, err = verifier.Verify(raw)
	requireTokenError(t, err, ErrTokenNotYetValid)

	clock.Advance(2 * time.Minute)
	_, err = verifier.Verify(raw)
	require.NoError(t, err)
	clock.Advance(DefaultTokenTTL)
	_, err = verifier.Verify(raw)
	requireTokenError(t, err, ErrTokenExpired)
}

type versionsFunc func(ctx context.Context, userID string) (int64, error)

func (f versionsFunc) TokenVersion(ctx context.Context, userID string) (int64, error) {
	return f(ctx, userID)
}

func TestTokensAuthenticate(t *testing.T) {
	t.Parallel()
	tokens := newTestTokens(t, testkit.NewClock())
	raw, _, err := tokens.Issue("user-9", RoleViewer, 3)
	require.NoError(t, err)
	storeDown := errors.New("store down")
	tests := []struct {
		name    string
		current int64
		lookup  error
		want    error
	}{
		{name: "current", current: 3},
		{name: "revoked", current: 4, want: ErrTokenRevoked},
		{name: "store error", lookup: storeDown, want: storeDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			versions := versionsFunc(func(_ context.Context, userID string) (int64, error) {
				require.Equal(t, "user-9", userID)
				return tt.current, tt.lookup
			})
			c, err := tokens.Authenticate(t.Context(), raw, versions)
			switch {
			case tt.want == nil:
				require.NoError(t, err)
				require.Equal(t, "user-9", c.UserID)
			case errors.Is(tt.want, ErrTokenRevoked):
				requireTokenError(t, err, ErrTokenRevoked)
			default:
				require.ErrorIs(t, err, tt.want)
				require.NotErrorIs(t, err, ErrTokenInvalid, "an outage is not a bad token")
			}
		})
	}

	_, err = tokens.Authenticate(t.Context(), "garbage", versionsFunc(func(context.Context, string) (int64, error) {
		t.Fatal("no lookup for a token that does not verify")
		return 0, nil
	}))
	requireTokenError(t, err, ErrTokenMalformed)
}

func TestNewTokensConfig(t *testing.T) {
	t.Parallel()
	tests := map[string]TokenConfig{
		"short secret":    {Secret: []byte("short"), Issuer: "pff"},
		"no issuer":       {Secret: testSecret},
		"negative TTL":    {Secret: testSecret, Issuer: "pff", TTL: -time.Second},
		"negative leeway": {Secret: testSecret, Issuer: "pff", Leeway: -time.Second},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := NewTokens(cfg)
			require.Error(t, err)
		})
	}
}

func TestTokensIssueRejectsBadInput(t *testing.T) {
	t.Parallel()
	tokens := newTestTokens(t, testkit.NewClock())
	_, _, err := tokens.Issue("", RoleAdmin, 0)
	require.Error(t, err)
	_, _, err = tokens.Issue("user-1", 0, 0)
	require.ErrorIs(t, err, ErrUnknownRole)
}

func splitJWT(t *testing.T, token string) (header, payload, signature string) {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	return parts[0], parts[1], parts[2]
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// flipChar replaces the base64url character at i with a different one.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestVerifiedTokensAreRememberedUntilTheyExpire(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	tokens, err := NewTokens(TokenConfig{Secret: []byte("0123456789abcdef0123456789abcdef"), Issuer: "pff", Now: clock, TTL: time.Minute})
	require.NoError(t, err)
	token, _, err := tokens.Issue("u1", RoleViewer, 3)
	require.NoError(t, err)
	first, err := tokens.Verify(token)
	require.NoError(t, err)
	again, err := tokens.Verify(token)
	require.NoError(t, err)
	require.Equal(t, first, again)
	_, err = tokens.Verify(token[:len(token)-2] + "xx")
	require.ErrorIs(t, err, ErrTokenInvalid, "a different string is verified in full")

	now = now.Add(time.Minute + DefaultTokenLeeway + time.Second)
	_, err = tokens.Verify(token)
	require.ErrorIs(t, err, ErrTokenExpired, "a remembered token still expires")
}
