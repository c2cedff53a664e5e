package auth

import (
	"math"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

func FuzzParseAPIKey(f *testing.F) {
	f.Add(GenerateAPIKey().Reveal())
	f.Add("pff_aaaaaaaa_" + "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst")
	f.Add("pff_")
	f.Add("")
	f.Add("pff_aaaaaaaa_aaaa\x00")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseAPIKey(s)
		if err != nil {
			require.ErrorIs(t, err, ErrAPIKeyFormat)
			return
		}
		require.Equal(t, s, key.Reveal())
		require.Len(t, key.ID(), apiKeyIDLength)
		again, err := ParseAPIKey(key.Reveal())
		require.NoError(t, err)
		require.True(t, again.Matches(key.Hash()))
	})
}

func FuzzTokensVerify(f *testing.F) {
	clock := testkit.NewClock()
	tokens := newTestTokens(f, clock)
	valid, _, err := tokens.Issue("user-1", RoleAdmin, 1)
	require.NoError(f, err)
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x"}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(f, err)
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"sub": "x"}).SignedString(testSecret)
	require.NoError(f, err)
	for _, seed := range []string{valid, none, hs512, "", ".", "..", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", valid + "x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := tokens.Verify(token)
		if err != nil {
			require.ErrorIs(t, err, ErrTokenInvalid)
			require.Zero(t, c)
			return
		}
		// Only a token we signed can get here.
		require.NotEmpty(t, c.UserID)
		require.True(t, c.Role.Valid())
		require.NotEmpty(t, c.ID)
	})
}

func FuzzClientIP(f *testing.F) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "::1"})
	require.NoError(f, err)
	f.Add("10.0.0.2:80", "198.51.100.1, 203.0.113.7, 10.1.2.3", "")
	f.Add("[::1]:80", "[2001:db8::7]:5555,,", "203.0.113.7")
	f.Add("203.0.113.7:1", "10.0.0.1", "10.0.0.1")
	f.Fuzz(func(t *testing.T, remote, forwarded, realIP string) {
		header := map[string][]string{"X-Forwarded-For": {forwarded}, "X-Real-Ip": {realIP}}
		got, err := proxies.ClientIP(remote, header)
		if err != nil {
			return
		}
		require.True(t, got.IsValid())
		if peer, err := parseHopAddr(remote); err == nil && !proxies.Contains(peer) {
			require.Equal(t, peer, got, "headers from an untrusted peer are ignored")
		}
	})
}

func FuzzMemoryLimiter(f *testing.F) {
	f.Add(10, int64(time.Minute), 3, int64(time.Second))
	f.Add(math.MaxInt, int64(time.Hour), 0, int64(0))
	f.Add(1, int64(366*24*time.Hour), 1, int64(-time.Hour))
	f.Fuzz(func(t *testing.T, rate int, period int64, burst int, step int64) {
		limit := Limit{Rate: rate, Period: time.Duration(period), Burst: burst}
		clock := testkit.NewClock()
		limiter := NewMemoryLimiter(MemoryLimiterConfig{Now: clock.Now})
		for range 3 {
			d, err := limiter.Allow(t.Context(), "k", limit)
			if err != nil {
				require.ErrorIs(t, err, ErrInvalidLimit)
				return
			}
			require.Equal(t, limit.burst(), d.Limit)
			require.True(t, 0 <= d.Remaining && d.Remaining < d.Limit)
			require.GreaterOrEqual(t, d.ResetAfter, time.Duration(0))
			require.GreaterOrEqual(t, d.RetryAfter, time.Duration(0))
			require.Equal(t, d.Allowed, d.RetryAfter == 0)
			clock.Advance(time.Duration(step))
		}
	})
}
