package auth

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// testArgon2Params are the cheapest parameters Validate accepts, to keep
// the tests fast (especially under -race).
var testArgon2Params = Argon2Params{Memory: 7 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newTestHasher(t testing.TB) *PasswordHasher {
	t.Helper()
	h, err := NewPasswordHasher(testArgon2Params, 0)
	require.NoError(t, err)
	return h
}

func TestPasswordHashAndVerify(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	h := newTestHasher(t)

	encoded, err := h.Hash(ctx, "correct horse battery staple")
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^\$argon2id\$v=19\$m=7168,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`), encoded)

	ok, err := h.Verify(ctx, "correct horse battery staple", encoded)
	require.NoError(t, err)
	require.True(t, ok)

	ok, err = h.Verify(ctx, "correct horse battery stapler", encoded)
	require.NoError(t, err)
	require.False(t, ok)

	again, err := h.Hash(ctx, "correct horse battery staple")
	require.NoError(t, err)
	require.NotEqual(t, encoded, again, "each hash gets a fresh salt")
	require.False(t, h.NeedsRehash(encoded))
}

// TestPasswordVerifyReferenceVector checks interoperability with the
// reference implementation: the hash below was made by the argon2 CLI with
// echo -n "correct horse battery staple" | argon2 pff-test-salt-16 -id -t 1 -k 7168 -p 1 -l 32 -e
func TestPasswordVerifyReferenceVector(t *testing.T) {
	t.Parallel()
	const reference = "$argon2id$v=19$m=7168,t=1,p=1$cGZmLXRlc3Qtc2FsdC0xNg$zNHhhHH+niSMSwid00SFqo+m7zbPHnI667cK1Xkt5Is"
	h := newTestHasher(t)
	ok, err := h.Verify(t.Context(), "correct horse battery staple", reference)
	require.NoError(t, err)
	require.True(t, ok)
}

func TestPasswordVerifyOlderParams(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	old := newTestHasher(t)
	encoded, err := old.Hash(ctx, "a long enough password")
	require.NoError(t, err)

	stronger := testArgon2Params
	stronger.Iterations = 2
	current, err := NewPasswordHasher(stronger, 1)
	require.NoError(t, err)

	ok, err := current.Verify(ctx, "a long enough password", encoded)
	require.NoError(t, err)
	require.True(t, ok, "hashes keep their own parameters")
	require.True(t, current.NeedsRehash(encoded))
}

func TestPasswordVerifyInvalidHash(t *testing.T) {
	t.Parallel()
	const salt, key = "cGZmLXRlc3Qtc2FsdC0xNg", "zNHhhHH+niSMSwid00SFqo+m7zbPHnI667cK1Xkt5Is"
	tests := map[string]string{
		"empty":            "",
		"bcrypt":           "$2a$10$abcdefghijklmnopqrstuu",
		"argon2i":          "$argon2i$v=19$m=7168,t=1,p=1$" + salt + "$" + key,
		"version 16":       "$argon2id$v=16$m=7168,t=1,p=1$" + salt + "$" + key,
		"no version":       "$argon2id$m=7168,t=1,p=1$" + salt + "$" + key,
		"params reordered": "$argon2id$v=19$t=1,m=7168,p=1$" + salt + "$" + key,
		"params missing":   "$argon2id$v=19$m=7168,t=1$" + salt + "$" + key,
		"params extra":     "$argon2id$v=19$m=7168,t=1,p=1,x=2$" + salt + "$" + key,
		"negative":         "$argon2id$v=19$m=-7168,t=1,p=1$" + salt + "$" + key,
		"lanes overflow":   "$argon2id$v=19$m=7168,t=1,p=256$" + salt + "$" + key,
		"huge memory":      "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"zero iterations":  "$argon2id$v=19$m=7168,t=0,p=1$" + salt + "$" + key,
		"padded salt":      "$argon2id$v=19$m=7168,t=1,p=1$" + salt + "==$" + key,
		"short salt":       "$argon2id$v=19$m=7168,t=1,p=1$c2FsdA$" + key,
		"short key":        "$argon2id$v=19$m=7168,t=1,p=1$" + salt + "$a2V5",
		"bad base64":       "$argon2id$v=19$m=7168,t=1,p=1$" + salt + "$!!!",
		"trailing field":   "$argon2id$v=19$m=7168,t=1,p=1$" + salt + "$" + key + "$",
	}
	h := newTestHasher(t)
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(t.Context(), "correct horse battery staple", encoded)
			require.ErrorIs(t, err, ErrInvalidHash)
			require.False(t, ok)
			require.True(t, h.NeedsRehash(encoded))
		})
	}
}

func TestPasswordVerifyUnknownUser(t *testing.T) {
	t.Parallel()
	h := newTestHasher(t)
	require.NoError(t, h.VerifyUnknownUser(t.Context(), "whatever they typed"))
}

func TestPasswordHasherHonoursContextWhileWaiting(t *testing.T) {
	t.Parallel()
	h, err := NewPasswordHasher(testArgon2Params, 1)
	require.NoError(t, err)
	h.slots <- struct{}{} // the only slot is busy
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err = h.Hash(ctx, "correct horse battery staple")
	require.ErrorIs(t, err, context.Canceled)
	_, err = h.Verify(ctx, "x", "$argon2id$v=19$m=7168,t=1,p=1$cGZmLXRlc3Qtc2FsdC0xNg$zNHhhHH+niSMSwid00SFqo+m7zbPHnI667cK1Xkt5Is")
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorIs(t, h.VerifyUnknownUser(ctx, "x"), context.Canceled)
}

func TestArgon2ParamsValidate(t *testing.T) {
	t.Parallel()
	tests := map[string]func(*Argon2Params){
		"memory too small":  func(p *Argon2Params) { p.Memory = 1024 },
		"memory too large":  func(p *Argon2Params) { p.Memory = 2 << 20 },
		"no iterations":     func(p *Argon2Params) { p.Iterations = 0 },
		"no lanes":          func(p *Argon2Params) { p.Parallelism = 0 },
		"short salt":        func(p *Argon2Params) { p.SaltLength = 4 },
		"short key":         func(p *Argon2Params) { p.KeyLength = 8 },
		"absurd key length": func(p *Argon2Params) { p.KeyLength = 1 << 20 },
	}
	require.NoError(t, DefaultArgon2Params().Validate())
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := DefaultArgon2Params()
			mutate(&p)
			require.Error(t, p.Validate())
			_, err := NewPasswordHasher(p, 0)
			require.Error(t, err)
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, username, password string
		want                     []error
	}{
		{name: "good passphrase", username: "alice", password: "tram orbit velvet 42"},
		{name: "exactly twelve", username: "alice", password: "kT9#vQ2!mZ4p"},
		{name: "twelve runes of umlauts", username: "bob", password: "äöüßäöüßxyzw"},
		{name: "too short", username: "alice", password: "kT9#vQ2!mZ4", want: []error{ErrPasswordTooShort}},
		{name: "too long", username: "alice", password: longPassword(129), want: []error{ErrPasswordTooLong}},
		{name: "one character", username: "alice", password: "aaaaaaaaaaaaaaaa", want: []error{ErrPasswordRepetitive}},
		{name: "short pattern", username: "alice", password: "abcdabcdabcd", want: []error{ErrPasswordRepetitive}},
		{name: "ascending letters", username: "alice", password: "abcdefghijklm", want: []error{ErrPasswordSequential}},
		{name: "digits wrapping", username: "alice", password: "123456789012", want: []error{ErrPasswordSequential}},
		{name: "descending digits", username: "alice", password: "987654321098", want: []error{ErrPasswordSequential}},
		{name: "equals username", username: "verylongusername", password: "VeryLongUsername", want: []error{ErrPasswordContainsUsername}},
		{name: "contains username", username: "operator7", password: "operator7-secure!", want: []error{ErrPasswordContainsUsername}},
		{name: "short username inside is fine", username: "al", password: "totally secret words"},
		{name: "control character", username: "alice", password: "tram orbit\x00velvet", want: []error{ErrPasswordControlChars}},
		{name: "not utf-8", username: "alice", password: "tram orbit \xff velvet", want: []error{ErrPasswordNotUTF8}},
		{name: "several at once", username: "aaaa", password: "aaaa", want: []error{ErrPasswordTooShort, ErrPasswordRepetitive, ErrPasswordContainsUsername}},
	}
	policy := DefaultPasswordPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := policy.Check(tt.username, tt.password)
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.want {
				require.ErrorIs(t, err, want)
			}
			for _, other := range []error{ErrPasswordTooShort, ErrPasswordTooLong, ErrPasswordNotUTF8, ErrPasswordControlChars, ErrPasswordRepetitive, ErrPasswordSequential, ErrPasswordContainsUsername} {
				if !slices.Contains(tt.want, other) {
					require.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

// longPassword returns n letters with no short period and no run.
func longPassword(n int) string {
	b := make([]rune, n)
	for i := range b {
		b[i] = rune('a' + (i*7)%26)
	}
	return string(b)
}
