package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

// owaspArgon2Configs are the argon2id settings the OWASP Password Storage
// Cheat Sheet rates as equally strong, largest memory first.
var owaspArgon2Configs = []Argon2Params{
	{Memory: 46 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	{Memory: 12 * 1024, Iterations: 3, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	{Memory: 9 * 1024, Iterations: 4, Parallelism: 1, SaltLength: 16, KeyLength: 32},
	{Memory: 7 * 1024, Iterations: 5, Parallelism: 1, SaltLength: 16, KeyLength: 32},
}

func paramsName(p Argon2Params) string {
	return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Iterations, p.Parallelism)
}

// BenchmarkPasswordVerify is the latency of one login's password check
// with each OWASP configuration, one at a time.
func BenchmarkPasswordVerify(b *testing.B) {
	for _, params := range owaspArgon2Configs {
		b.Run(paramsName(params), func(b *testing.B) {
			h, err := NewPasswordHasher(params, 0)
			require.NoError(b, err)
			encoded, err := h.Hash(b.Context(), "correct horse battery staple")
			require.NoError(b, err)
			for b.Loop() {
				ok, err := h.Verify(b.Context(), "correct horse battery staple", encoded)
				if err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// BenchmarkPasswordHash is the cost of hashing a new password with the
// default parameters.
func BenchmarkPasswordHash(b *testing.B) {
	h, err := NewPasswordHasher(DefaultArgon2Params(), 0)
	require.NoError(b, err)
	for b.Loop() {
		if _, err := h.Hash(b.Context(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordUnknownUserTiming alternates a wrong password for a
// real user with a login for a user that does not exist, and reports how
// long the second takes relative to the first ("unknown/wrong", ideally
// 1). Alternating keeps the shared machine's load the same for both.
func BenchmarkPasswordUnknownUserTiming(b *testing.B) {
	h, err := NewPasswordHasher(DefaultArgon2Params(), 0)
	require.NoError(b, err)
	encoded, err := h.Hash(b.Context(), "correct horse battery staple")
	require.NoError(b, err)
	var wrong, unknown time.Duration
	for b.Loop() {
		start := time.Now()
		if ok, err := h.Verify(b.Context(), "wrong horse battery staple", encoded); ok || err != nil {
			b.Fatal(ok, err)
		}
		mid := time.Now()
		if err := h.VerifyUnknownUser(b.Context(), "wrong horse battery staple"); err != nil {
			b.Fatal(err)
		}
		wrong, unknown = wrong+mid.Sub(start), unknown+time.Since(mid)
	}
	b.ReportMetric(float64(unknown)/float64(wrong), "unknown/wrong")
}

// BenchmarkConcurrentLogins runs 50 concurrent password checks, the
// benchmark the original system scored 15 logins/s on, and reports
// logins/s. "slots=N" is how many hashes run at once; the rest wait.
// slots=50 is what an unbounded hasher would do.
func BenchmarkConcurrentLogins(b *testing.B) {
	const clients = 50
	for _, params := range owaspArgon2Configs {
		for _, slots := range []int{0, clients} {
			name := paramsName(params) + "/slots=GOMAXPROCS"
			if slots != 0 {
				name = fmt.Sprintf("%s/slots=%d", paramsName(params), slots)
			}
			b.Run(name, func(b *testing.B) {
				h, err := NewPasswordHasher(params, slots)
				require.NoError(b, err)
				encoded, err := h.Hash(b.Context(), "correct horse battery staple")
				require.NoError(b, err)
				b.SetParallelism(clients)
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						ok, err := h.Verify(context.Background(), "correct horse battery staple", encoded)
						if err != nil || !ok {
							b.Error(ok, err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logins/s")
			})
		}
	}
}

// BenchmarkReferenceSHA256 hashes what an API key check hashes. The
// machine is shared, so compare other figures with this one from the same
// run rather than across runs.
func BenchmarkReferenceSHA256(b *testing.B) {
	secret := []byte(GenerateAPIKey().Reveal()[len(APIKeyPrefix)+apiKeyIDLength+1:])
	for b.Loop() {
		sha256.Sum256(secret)
	}
}

func BenchmarkTokensVerify(b *testing.B) {
	tokens := newTestTokens(b, testkit.NewClock())
	raw, _, err := tokens.Issue("user-42", RoleOperator, 3)
	require.NoError(b, err)
	for b.Loop() {
		if _, err := tokens.Verify(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAPIKeyVerify(b *testing.B) {
	key := GenerateAPIKey()
	store := memoryAPIKeyStore{key.ID(): {ID: key.ID(), Hash: key.Hash(), UserID: "svc", Role: RoleViewer}}
	verifier := NewAPIKeyVerifier(store, nil)
	presented := key.Reveal()
	for b.Loop() {
		if _, err := verifier.Verify(b.Context(), presented); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLimiterAllow measures one decision: in memory for one hot key,
// for many keys from parallel goroutines, and in Redis over loopback.
func BenchmarkLimiterAllow(b *testing.B) {
	limit := PerSecond(1_000_000)
	b.Run("memory/one-key", func(b *testing.B) {
		limiter := NewMemoryLimiter(MemoryLimiterConfig{})
		for b.Loop() {
			if _, err := limiter.Allow(b.Context(), "login:ip:203.0.113.7", limit); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memory/10k-keys-parallel", func(b *testing.B) {
		limiter := NewMemoryLimiter(MemoryLimiterConfig{})
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = fmt.Sprint("api:key:", i)
		}
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, err := limiter.Allow(context.Background(), keys[i%len(keys)], limit); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
	b.Run("redis", func(b *testing.B) {
		client := testRedis(b)
		limiter := NewRedisLimiter(client, testRedisPrefix(b, client), nil)
		for b.Loop() {
			if _, err := limiter.Allow(b.Context(), "login:ip:203.0.113.7", limit); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkLockoutAttempt(b *testing.B) {
	l, err := NewLockout(DefaultLockoutPolicy(), nil)
	require.NoError(b, err)
	client := netip.MustParseAddr("203.0.113.7")
	for b.Loop() {
		l.Attempt("alice", client)
		l.Succeeded("alice", client)
	}
}

func BenchmarkClientIP(b *testing.B) {
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8"})
	require.NoError(b, err)
	header := map[string][]string{"X-Forwarded-For": {"198.51.100.1, 203.0.113.7, 10.1.2.3"}}
	for b.Loop() {
		if _, err := proxies.ClientIP("10.0.0.2:80", header); err != nil {
			b.Fatal(err)
		}
	}
}
