package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the argon2id cost parameters. They are stored in every
// hash, so changing them only affects new hashes; NeedsRehash tells when an
// old hash should be replaced after a successful login.
type Argon2Params struct {
	Memory      uint32 // KiB of memory per hash
	Iterations  uint32 // passes over the memory
	Parallelism uint8  // lanes; 1 maximises throughput when many logins run at once
	SaltLength  uint32 // bytes of random salt
	KeyLength   uint32 // bytes of derived key
}

// DefaultArgon2Params returns m=9 MiB, t=4, p=1, one of the argon2id
// configurations the OWASP Password Storage Cheat Sheet rates as equally
// strong (46 MiB×1, 19 MiB×2, 12 MiB×3, 9 MiB×4, 7 MiB×5 passes). The work
// per hash is the same, but on the 2-core target the small-memory ones
// gave the most concurrent logins per second (BenchmarkConcurrentLogins),
// as two hashes of 7–9 MiB stay in the shared cache and two of 19 or 46 MiB
// do not; 9 MiB keeps a margin above OWASP's 7 MiB floor. p=1 because
// logins run side by side; more lanes would only add scheduling.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 9 * 1024, Iterations: 4, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Bounds on parameters, checked for configured parameters and for those
// read back from stored hashes, so a corrupted row cannot make one login
// allocate gigabytes or run for minutes.
const (
	minArgon2Memory = 7 * 1024    // KiB; OWASP's smallest configuration (with t=5)
	maxArgon2Memory = 1024 * 1024 // KiB = 1 GiB
	maxIterations   = 64
	minSaltLength   = 8
	minKeyLength    = 16
	maxSaltOrKey    = 256
)

// Validate reports whether p is usable: memory of 7 MiB–1 GiB, 1–64
// iterations, at least one lane, a salt of 8–256 bytes and a key of 16–256
// bytes.
func (p Argon2Params) Validate() error {
	if err := p.check(); err != nil {
		return fmt.Errorf("auth: argon2 parameters: %w", err)
	}
	return nil
}

func (p Argon2Params) check() error {
	switch {
	case p.Memory < minArgon2Memory || p.Memory > maxArgon2Memory:
		return fmt.Errorf("memory %d KiB outside [%d, %d]", p.Memory, minArgon2Memory, maxArgon2Memory)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations %d outside [1, %d]", p.Iterations, maxIterations)
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism):
		return fmt.Errorf("memory %d KiB below 8 KiB per lane", p.Memory)
	case p.SaltLength < minSaltLength || p.SaltLength > maxSaltOrKey:
		return fmt.Errorf("salt length %d outside [%d, %d]", p.SaltLength, minSaltLength, maxSaltOrKey)
	case p.KeyLength < minKeyLength || p.KeyLength > maxSaltOrKey:
		return fmt.Errorf("key length %d outside [%d, %d]", p.KeyLength, minKeyLength, maxSaltOrKey)
	}
	return nil
}

// ErrInvalidHash is returned when a stored password hash is not a PHC
// argon2id string this package can verify.
var ErrInvalidHash = errors.New("auth: invalid password hash")

// PasswordHasher hashes and verifies passwords with argon2id. It limits how
// many hashes run at once: argon2id is CPU- and memory-bound, so running more
// than there are cores only multiplies memory use (a login flood would
// otherwise allocate Memory × requests) and lowers throughput through cache
// thrashing. Callers beyond the limit wait, honouring their context.
//
// A PasswordHasher is safe for concurrent use.
type PasswordHasher struct {
	params Argon2Params
	slots  chan struct{}
	// dummySalt and dummyKey stand in for a stored hash when the user does
	// not exist, so that case costs the same as a wrong password.
	dummySalt []byte
	dummyKey  []byte
}

// NewPasswordHasher returns a hasher producing hashes with params and
// running at most maxConcurrent hashes at once; maxConcurrent <= 0 means
// runtime.GOMAXPROCS(0).
func NewPasswordHasher(params Argon2Params, maxConcurrent int) (*PasswordHasher, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	h := &PasswordHasher{
		params:    params,
		slots:     make(chan struct{}, maxConcurrent),
		dummySalt: make([]byte, params.SaltLength),
		dummyKey:  make([]byte, params.KeyLength),
	}
	// crypto/rand.Read never returns an error (it crashes the program if
	// the system's randomness fails).
	_, _ = rand.Read(h.dummySalt)
	_, _ = rand.Read(h.dummyKey)
	return h, nil
}

// Params returns the parameters new hashes are made with.
func (h *PasswordHasher) Params() Argon2Params { return h.params }

// Hash returns password hashed with a fresh random salt, in PHC string
// format: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, base64 without
// padding. It fails only if ctx ends while waiting for a free slot.
func (h *PasswordHasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	_, _ = rand.Read(salt)
	key, err := h.derive(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches encoded, a hash made by Hash
// (with these or earlier parameters). A mismatch is (false, nil); an error
// means encoded is not a valid hash (ErrInvalidHash) or ctx ended while
// waiting. The comparison runs in constant time.
func (h *PasswordHasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	params, salt, want, err := decodePHC(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, password, salt, params)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyUnknownUser spends the same time as Verify against a hash with the
// current parameters, and always fails. Call it when the user does not
// exist, so response times do not reveal which usernames are real. The
// error is non-nil only if ctx ended while waiting.
func (h *PasswordHasher) VerifyUnknownUser(ctx context.Context, password string) error {
	got, err := h.derive(ctx, password, h.dummySalt, h.params)
	if err != nil {
		return err
	}
	subtle.ConstantTimeCompare(got, h.dummyKey)
	return nil
}

// NeedsRehash reports whether encoded was made with parameters other than
// the current ones (or cannot be read), so that the caller, having just
// verified the password, should store Hash(password) in its place.
func (h *PasswordHasher) NeedsRehash(encoded string) bool {
	params, _, _, err := decodePHC(encoded)
	if err != nil {
		return true
	}
	return params != h.params
}

func (h *PasswordHasher) derive(ctx context.Context, password string, salt []byte, p Argon2Params) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("auth: wait for password hashing slot: %w", context.Cause(ctx))
	}
	defer func() { <-h.slots }()
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength), nil
}

const phcPrefix = "$argon2id$v=19$"

func encodePHC(p Argon2Params, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return phcPrefix + "m=" + strconv.FormatUint(uint64(p.Memory), 10) +
		",t=" + strconv.FormatUint(uint64(p.Iterations), 10) +
		",p=" + strconv.FormatUint(uint64(p.Parallelism), 10) +
		"$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
}

// decodePHC parses a hash written by encodePHC. It accepts exactly that
// form: argon2id, version 19, parameters in the order m, t, p.
func decodePHC(encoded string) (p Argon2Params, salt, key []byte, err error) {
	fail := func(format string, args ...any) (Argon2Params, []byte, []byte, error) {
		return Argon2Params{}, nil, nil, fmt.Errorf("%w: "+format, append([]any{ErrInvalidHash}, args...)...)
	}
	rest, ok := strings.CutPrefix(encoded, "$argon2id$")
	if !ok {
		return fail("not an argon2id PHC string")
	}
	rest, ok = strings.CutPrefix(rest, "v=19$")
	if !ok {
		return fail("unsupported argon2 version (want v=19)")
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return fail("want parameters, salt and key separated by '$'")
	}
	settings := strings.Split(fields[0], ",")
	if len(settings) != 3 {
		return fail("parameters %q: want m=<KiB>,t=<iterations>,p=<lanes>", fields[0])
	}
	var m, t, lanes uint64
	for i, kv := range settings {
		name, value, _ := strings.Cut(kv, "=")
		var dst *uint64
		var bits int
		switch {
		case i == 0 && name == "m":
			dst, bits = &m, 32
		case i == 1 && name == "t":
			dst, bits = &t, 32
		case i == 2 && name == "p":
			dst, bits = &lanes, 8
		default:
			return fail("parameters %q: want m=<KiB>,t=<iterations>,p=<lanes>", fields[0])
		}
		if *dst, err = strconv.ParseUint(value, 10, bits); err != nil {
			return fail("parameter %s: %v", name, err)
		}
	}
	b64 := base64.RawStdEncoding.Strict()
	if salt, err = b64.DecodeString(fields[1]); err != nil {
		return fail("salt: %v", err)
	}
	if key, err = b64.DecodeString(fields[2]); err != nil {
		return fail("key: %v", err)
	}
	// Bounded here, before becoming uint32, as well as in check.
	saltLength, keyLength := len(salt), len(key)
	if saltLength > maxSaltOrKey {
		return fail("salt longer than %d bytes", maxSaltOrKey)
	}
	if keyLength > maxSaltOrKey {
		return fail("key longer than %d bytes", maxSaltOrKey)
	}
	p = Argon2Params{
		Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(lanes),
		SaltLength: uint32(saltLength), KeyLength: uint32(keyLength),
	}
	if err := p.check(); err != nil {
		return fail("%v", err)
	}
	return p, salt, key, nil
}
