package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// API keys authenticate machines. A key reads
//
//	pff_<id>_<secret>
//
// where id is 8 and secret 52 characters of lower-case base32 (a–z, 2–7):
// 40 random bits that name the key in clear, and 256 random bits that
// prove possession. The prefix lets secret scanners and people recognise a
// leaked key; '_' keeps the whole key one word for double-click selection.
//
// Only SHA-256(secret) is stored. A slow password hash is unnecessary here:
// it protects low-entropy human passwords from offline guessing, whereas
// guessing a 256-bit random secret from its SHA-256 is infeasible at any
// speed. A fast hash keeps verification, which runs on every request, at a
// few hundred nanoseconds. The id makes verification one indexed lookup
// followed by one constant-time comparison.
const (
	APIKeyPrefix       = "pff_"
	apiKeyIDBytes      = 5
	apiKeySecretBytes  = 32
	apiKeyIDLength     = 8  // base32 characters for apiKeyIDBytes
	apiKeySecretLength = 52 // base32 characters for apiKeySecretBytes
	apiKeyLength       = len(APIKeyPrefix) + apiKeyIDLength + 1 + apiKeySecretLength
)

var apiKeyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Errors about API keys. Every rejection by APIKeyVerifier matches
// ErrAPIKeyInvalid as well as the specific reason.
var (
	ErrAPIKeyInvalid = errors.New("invalid api key")
	ErrAPIKeyFormat  = errors.New("api key malformed")
	ErrAPIKeyUnknown = errors.New("api key not recognised")
	ErrAPIKeyExpired = errors.New("api key expired")
	ErrAPIKeyRevoked = errors.New("api key revoked")
	// ErrAPIKeyNotFound is what an APIKeyStore returns (wrapped or not)
	// when no key has the id.
	ErrAPIKeyNotFound = errors.New("api key not found")
)

// APIKey is a parsed or freshly generated key. Its String, GoString and
// LogValue show only the public part, so logging one does not leak it; call
// Reveal for the full key, once, when handing it to its owner.
type APIKey struct {
	id     string
	secret string
}

// GenerateAPIKey returns a new random key. The store must keep ids unique;
// if saving fails on a duplicate id (with a thousand keys stored, about one
// chance in a billion), generate another.
func GenerateAPIKey() APIKey {
	id := make([]byte, apiKeyIDBytes)
	secret := make([]byte, apiKeySecretBytes)
	_, _ = rand.Read(id)
	_, _ = rand.Read(secret)
	return APIKey{id: apiKeyEncoding.EncodeToString(id), secret: apiKeyEncoding.EncodeToString(secret)}
}

// ParseAPIKey checks that s has the form of an API key and splits it. Its
// errors match ErrAPIKeyFormat and never quote the secret.
func ParseAPIKey(s string) (APIKey, error) {
	fail := func(format string, args ...any) (APIKey, error) {
		return APIKey{}, fmt.Errorf("auth: %w: %w: "+format, append([]any{ErrAPIKeyInvalid, ErrAPIKeyFormat}, args...)...)
	}
	if len(s) != apiKeyLength {
		return fail("%d characters, want %d", len(s), apiKeyLength)
	}
	rest, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok {
		return fail("does not start with %q", APIKeyPrefix)
	}
	id, secret := rest[:apiKeyIDLength], rest[apiKeyIDLength+1:]
	if rest[apiKeyIDLength] != '_' {
		return fail("no '_' after the %d-character id", apiKeyIDLength)
	}
	if i := strings.IndexFunc(id, notAPIKeyChar); i >= 0 {
		return fail("id has a character outside a-z and 2-7 at offset %d", i)
	}
	if i := strings.IndexFunc(secret, notAPIKeyChar); i >= 0 {
		return fail("secret has a character outside a-z and 2-7 at offset %d", i)
	}
	return APIKey{id: id, secret: secret}, nil
}

func notAPIKeyChar(r rune) bool { return !('a' <= r && r <= 'z' || '2' <= r && r <= '7') }

// ID returns the key's public id, the column to look it up by.
func (k APIKey) ID() string { return k.id }

// Hash returns SHA-256 of the secret, the value to store.
func (k APIKey) Hash() []byte {
	sum := sha256.Sum256([]byte(k.secret))
	return sum[:]
}

// Matches reports, in constant time, whether stored is this key's Hash.
func (k APIKey) Matches(stored []byte) bool {
	sum := sha256.Sum256([]byte(k.secret))
	return subtle.ConstantTimeCompare(sum[:], stored) == 1
}

// Reveal returns the full key. Show it to its owner once; never log it.
func (k APIKey) Reveal() string { return APIKeyPrefix + k.id + "_" + k.secret }

// String returns the key with its secret elided.
func (k APIKey) String() string { return APIKeyPrefix + k.id + "_…" }

// GoString keeps %#v from printing the secret.
func (k APIKey) GoString() string { return "auth.APIKey{" + k.String() + "}" }

// LogValue implements slog.LogValuer, logging only the public part.
func (k APIKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// StoredAPIKey is what the store keeps about a key.
type StoredAPIKey struct {
	ID        string
	Hash      []byte    // APIKey.Hash
	UserID    string    // the principal the key acts as
	Role      Role      // what the key may do
	ExpiresAt time.Time // zero means it never expires
	Revoked   bool
}

// APIKeyStore finds stored keys by id. It returns an error matching
// ErrAPIKeyNotFound when there is none.
type APIKeyStore interface {
	APIKeyByID(ctx context.Context, id string) (StoredAPIKey, error)
}

// APIKeyVerifier checks presented API keys against an APIKeyStore.
type APIKeyVerifier struct {
	store APIKeyStore
	now   func() time.Time
}

// NewAPIKeyVerifier returns a verifier reading from store; now is the
// clock for expiry, nil meaning time.Now.
func NewAPIKeyVerifier(store APIKeyStore, now func() time.Time) *APIKeyVerifier {
	if now == nil {
		now = time.Now
	}
	return &APIKeyVerifier{store: store, now: now}
}

// Verify parses presented, looks its id up and compares the secret. An
// unknown id and a wrong secret give the same error (ErrAPIKeyUnknown);
// whether a key is expired or revoked is only told to someone holding its
// secret. Store failures are returned wrapped and do not match
// ErrAPIKeyInvalid.
func (v *APIKeyVerifier) Verify(ctx context.Context, presented string) (StoredAPIKey, error) {
	key, err := ParseAPIKey(presented)
	if err != nil {
		return StoredAPIKey{}, err
	}
	stored, err := v.store.APIKeyByID(ctx, key.id)
	if errors.Is(err, ErrAPIKeyNotFound) {
		return StoredAPIKey{}, apiKeyError(ErrAPIKeyUnknown, key)
	}
	if err != nil {
		return StoredAPIKey{}, fmt.Errorf("auth: look up api key %s: %w", key, err)
	}
	switch {
	case !key.Matches(stored.Hash):
		return StoredAPIKey{}, apiKeyError(ErrAPIKeyUnknown, key)
	case stored.Revoked:
		return StoredAPIKey{}, apiKeyError(ErrAPIKeyRevoked, key)
	case !stored.ExpiresAt.IsZero() && !v.now().Before(stored.ExpiresAt):
		return StoredAPIKey{}, apiKeyError(ErrAPIKeyExpired, key)
	}
	return stored, nil
}

func apiKeyError(kind error, key APIKey) error {
	return fmt.Errorf("auth: %w: %w: %s", ErrAPIKeyInvalid, kind, key)
}
