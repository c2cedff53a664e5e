package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors returned when an access token is refused. Every one of them also
// matches ErrTokenInvalid, so an HTTP layer can answer 401 for all of them
// with a single errors.Is and still log which check failed.
var (
	ErrTokenInvalid     = errors.New("invalid token")
	ErrTokenMalformed   = errors.New("token malformed")
	ErrTokenAlgorithm   = errors.New("token signing algorithm not accepted")
	ErrTokenSignature   = errors.New("token signature invalid")
	ErrTokenExpired     = errors.New("token expired")
	ErrTokenNotYetValid = errors.New("token not valid yet")
	ErrTokenIssuer      = errors.New("token issuer not accepted")
	ErrTokenClaims      = errors.New("token claims invalid")
	ErrTokenRevoked     = errors.New("token revoked")
)

// Defaults for TokenConfig fields left zero.
const (
	DefaultTokenTTL    = 30 * time.Minute
	DefaultTokenLeeway = 10 * time.Second
)

const (
	minSecretLength = 32 // bytes: HS256 wants a key at least as long as its output
	maxTokenLength  = 4096
	tokenAlgorithm  = "HS256"
)

// TokenConfig configures Tokens.
type TokenConfig struct {
	// Secret is the HMAC-SHA256 key, at least 32 bytes of random data.
	Secret []byte
	// Issuer is written to and required in the iss claim.
	Issuer string
	// TTL is how long a token is valid; zero means DefaultTokenTTL.
	TTL time.Duration
	// Leeway is the clock skew tolerated when checking exp, nbf and iat;
	// zero means DefaultTokenLeeway.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Claims is what a verified access token says.
type Claims struct {
	UserID string // sub
	Role   Role   // role
	// TokenVersion (ver) must equal the user's current token version;
	// bumping that version revokes every token issued before.
	TokenVersion int64
	ID           string // jti, unique per token
	IssuedAt     time.Time
	NotBefore    time.Time
	ExpiresAt    time.Time
}

// jwtClaims is the token's JSON payload.
type jwtClaims struct {
	jwt.RegisteredClaims
	Role    string `json:"role"`
	Version *int64 `json:"ver"`
}

// Tokens issues and verifies HS256 access tokens (JWT). It is safe for
// concurrent use.
type Tokens struct {
	verified verifiedTokens
	secret   []byte
	issuer   string
	ttl      time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// NewTokens checks cfg and returns Tokens using it.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	if len(cfg.Secret) < minSecretLength {
		return nil, fmt.Errorf("auth: token secret is %d bytes, need at least %d", len(cfg.Secret), minSecretLength)
	}
	if cfg.Issuer == "" {
		return nil, errors.New("auth: token issuer is empty")
	}
	if cfg.TTL < 0 || cfg.Leeway < 0 {
		return nil, fmt.Errorf("auth: token TTL %v and leeway %v must not be negative", cfg.TTL, cfg.Leeway)
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTokenTTL
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultTokenLeeway
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Tokens{
		secret: append([]byte(nil), cfg.Secret...),
		issuer: cfg.Issuer,
		ttl:    cfg.TTL,
		now:    cfg.Now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{tokenAlgorithm}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithExpirationRequired(),
			jwt.WithNotBeforeRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(cfg.Leeway),
			jwt.WithTimeFunc(cfg.Now),
			jwt.WithStrictDecoding(),
		),
	}, nil
}

// Issue returns a signed token for the user and the claims it carries.
func (t *Tokens) Issue(userID string, role Role, tokenVersion int64) (string, Claims, error) {
	if userID == "" {
		return "", Claims{}, errors.New("auth: issue token: empty user id")
	}
	if !role.Valid() {
		return "", Claims{}, fmt.Errorf("auth: issue token: %w %d", ErrUnknownRole, uint8(role))
	}
	// JWT times are whole seconds; truncating here (and using UTC, as
	// Verify does) makes the returned claims equal to what Verify reads.
	now := t.now().UTC().Truncate(time.Second)
	c := Claims{
		UserID:       userID,
		Role:         role,
		TokenVersion: tokenVersion,
		ID:           newTokenID(),
		IssuedAt:     now,
		NotBefore:    now,
		ExpiresAt:    now.Add(t.ttl),
	}
	payload := jwtClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   c.UserID,
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
			NotBefore: jwt.NewNumericDate(c.NotBefore),
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ID:        c.ID,
		},
		Role:    role.String(),
		Version: &c.TokenVersion,
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, payload).SignedString(t.secret)
	if err != nil {
		return "", Claims{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, c, nil
}

// Verify checks the token's algorithm (HS256 only), signature, issuer,
// expiry, not-before and issued-at times (within the leeway) and the
// presence of every claim Issue writes. It does not check revocation: see
// Authenticate.
func (t *Tokens) Verify(token string) (Claims, error) {
	if c, ok := t.verified.get(token); ok && t.now().Before(c.ExpiresAt) {
		return c, nil
	}
	c, err := t.verify(token)
	if err == nil {
		t.verified.put(token, c)
	}
	return c, err
}

func (t *Tokens) verify(token string) (Claims, error) {
	if len(token) > maxTokenLength {
		return Claims{}, tokenError(ErrTokenMalformed, fmt.Errorf("%d bytes, at most %d accepted", len(token), maxTokenLength))
	}
	var payload jwtClaims
	parsed, err := t.parser.ParseWithClaims(token, &payload, t.key)
	if err != nil {
		return Claims{}, classifyJWTError(parsed, err)
	}
	role, err := ParseRole(payload.Role)
	if err != nil {
		return Claims{}, tokenError(ErrTokenClaims, fmt.Errorf("role %q", payload.Role))
	}
	switch {
	case payload.Subject == "":
		return Claims{}, tokenError(ErrTokenClaims, errors.New("no subject"))
	case payload.ID == "":
		return Claims{}, tokenError(ErrTokenClaims, errors.New("no token id"))
	case payload.Version == nil:
		return Claims{}, tokenError(ErrTokenClaims, errors.New("no token version"))
	}
	// WithIssuedAt only checks iat when present.
	if payload.IssuedAt == nil {
		return Claims{}, tokenError(ErrTokenClaims, errors.New("no issued-at time"))
	}
	return Claims{
		UserID:       payload.Subject,
		Role:         role,
		TokenVersion: *payload.Version,
		ID:           payload.ID,
		IssuedAt:     payload.IssuedAt.UTC(),
		NotBefore:    payload.NotBefore.UTC(),
		ExpiresAt:    payload.ExpiresAt.UTC(),
	}, nil
}

// verifiedTokens remembers tokens that passed verification until they
// expire, so a client sending the same token with every request pays for
// parsing it and checking its signature once. Only the exact token string
// hits, so the cache can never accept a token that was not verified; the
// revocation check (Authenticate) still runs on every request.
type verifiedTokens struct {
	mu     sync.Mutex
	claims map[string]Claims
}

// maxVerifiedTokens bounds the cache; a full cache drops an arbitrary entry.
const maxVerifiedTokens = 10_000

func (v *verifiedTokens) get(token string) (Claims, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.claims[token]
	return c, ok
}

func (v *verifiedTokens) put(token string, c Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.claims == nil {
		v.claims = map[string]Claims{}
	}
	if len(v.claims) >= maxVerifiedTokens {
		for k := range v.claims {
			delete(v.claims, k)
			break
		}
	}
	v.claims[token] = c
}

// TokenVersions looks up a user's current token version. The store bumps
// it when the user logs out everywhere, changes password or role, or is
// disabled, which revokes every token issued before.
type TokenVersions interface {
	TokenVersion(ctx context.Context, userID string) (int64, error)
}

// Authenticate verifies token and then checks, with one lookup, that it
// has not been revoked. An error from versions is returned as is (wrapped),
// so a store outage is not mistaken for a bad token.
func (t *Tokens) Authenticate(ctx context.Context, token string, versions TokenVersions) (Claims, error) {
	c, err := t.Verify(token)
	if err != nil {
		return Claims{}, err
	}
	current, err := versions.TokenVersion(ctx, c.UserID)
	if err != nil {
		return Claims{}, fmt.Errorf("auth: token version of user %q: %w", c.UserID, err)
	}
	if c.TokenVersion != current {
		return Claims{}, tokenError(ErrTokenRevoked, fmt.Errorf("version %d, user is at %d", c.TokenVersion, current))
	}
	return c, nil
}

func (t *Tokens) key(*jwt.Token) (any, error) { return t.secret, nil }

func tokenError(kind, detail error) error {
	return fmt.Errorf("auth: %w: %w: %w", ErrTokenInvalid, kind, detail)
}

// classifyJWTError maps the jwt library's error to this package's
// sentinels. An algorithm other than HS256 (including "none") fails the
// library's method check as a signature error, so it is told apart by the
// algorithm the header named.
func classifyJWTError(parsed *jwt.Token, err error) error {
	var kind error
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		kind = ErrTokenMalformed
	case parsed != nil && (parsed.Method == nil || parsed.Method.Alg() != tokenAlgorithm):
		kind = ErrTokenAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		kind = ErrTokenSignature
	case errors.Is(err, jwt.ErrTokenExpired):
		kind = ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		kind = ErrTokenNotYetValid
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		kind = ErrTokenIssuer
	default:
		kind = ErrTokenClaims
	}
	return tokenError(kind, err)
}

// newTokenID returns 128 random bits, enough that ids never collide and a
// denylist keyed by jti would be sound.
func newTokenID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
