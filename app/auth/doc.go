// Package auth is PFF's security domain: who may do what, and how that is
// proven. It is plain Go: no HTTP and no SQL. Where it needs storage it
// asks for a small interface (TokenVersions, APIKeyStore) or a Redis
// client.
//
//   - Role: viewer ⊆ operator ⊆ admin, with Role.Allows.
//   - PasswordHasher: argon2id in PHC strings, bounded concurrency, a dummy
//     check for unknown users, NeedsRehash; PasswordPolicy for new ones.
//   - Tokens: HS256 access tokens (JWT) pinned to their algorithm and
//     issuer, revoked by bumping the user's token version.
//   - APIKey, APIKeyVerifier: pff_<id>_<secret> keys for machines,
//     SHA-256 at rest, one indexed lookup to verify.
//   - Limiter: GCRA rate limits, MemoryLimiter for one process and
//     RedisLimiter shared by replicas.
//   - Lockout: slows down and locks password guessing per client and per
//     username without letting an attacker lock the real user out.
//   - TrustedProxies.ClientIP: the client's address, believing forwarding
//     headers only from trusted proxies; ClientKey to count clients by.
//
// A password login puts them together like this:
//
//	client, err := proxies.ClientIP(req.RemoteAddr, req.Header)
//	if d, err := limiter.Allow(ctx, "login:"+auth.ClientKey(client), limit); !d.Allowed {
//		// 429 with Retry-After: d.RetryAfter (or 503 if err != nil)
//	}
//	if v := lockout.Attempt(username, client); !v.Allowed {
//		// 429 with Retry-After: v.RetryAfter; do not check the password
//	}
//	user, found := … // look the user up
//	if !found {
//		hasher.VerifyUnknownUser(ctx, password) // same time as a wrong password
//		// 401
//	}
//	if ok, err := hasher.Verify(ctx, password, user.PasswordHash); !ok {
//		// 401 (500 if err != nil)
//	}
//	lockout.Succeeded(username, client)
//	if hasher.NeedsRehash(user.PasswordHash) { … store hasher.Hash(ctx, password) }
//	token, claims, err := tokens.Issue(user.ID, user.Role, user.TokenVersion)
//
// A rate-limit Decision maps onto response headers as RateLimit-Limit:
// Limit, RateLimit-Remaining: Remaining, RateLimit-Reset: ResetAfter and,
// when refused, Retry-After: RetryAfter, durations rounded up to seconds.
package auth
