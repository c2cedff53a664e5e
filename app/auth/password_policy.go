package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password policy violations. PasswordPolicy.Check joins every violation it
// finds, so errors.Is works for each and the message lists them all.
var (
	ErrPasswordTooShort         = errors.New("too short")
	ErrPasswordTooLong          = errors.New("too long")
	ErrPasswordNotUTF8          = errors.New("not valid UTF-8")
	ErrPasswordControlChars     = errors.New("contains control characters")
	ErrPasswordRepetitive       = errors.New("one short pattern repeated")
	ErrPasswordSequential       = errors.New("a straight sequence")
	ErrPasswordContainsUsername = errors.New("contains the username")
)

// PasswordPolicy says which new passwords are acceptable. It follows NIST
// SP 800-63B: length matters, composition rules ("one digit, one symbol")
// do not, and obviously guessable passwords are refused. Lengths count
// Unicode code points, not bytes.
type PasswordPolicy struct {
	MinLength int
	MaxLength int
}

// DefaultPasswordPolicy requires 12 to 128 characters.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: 12, MaxLength: 128}
}

// Check returns nil if password is acceptable for username, or every
// violation joined with errors.Join.
func (p PasswordPolicy) Check(username, password string) error {
	if !utf8.ValidString(password) {
		return ErrPasswordNotUTF8
	}
	var errs []error
	n := utf8.RuneCountInString(password)
	if n < p.MinLength {
		errs = append(errs, fmt.Errorf("%w: %d characters, need at least %d", ErrPasswordTooShort, n, p.MinLength))
	}
	if p.MaxLength > 0 && n > p.MaxLength {
		errs = append(errs, fmt.Errorf("%w: %d characters, at most %d allowed", ErrPasswordTooLong, n, p.MaxLength))
	}
	if strings.ContainsFunc(password, unicode.IsControl) {
		errs = append(errs, ErrPasswordControlChars)
	}
	runes := []rune(password)
	if period := shortestPeriod(runes); period <= maxWeakPeriod && n > period {
		errs = append(errs, fmt.Errorf("%w (%q)", ErrPasswordRepetitive, string(runes[:period])))
	}
	if n > 2 && isStraightRun(runes) {
		errs = append(errs, ErrPasswordSequential)
	}
	if containsUsername(password, username) {
		errs = append(errs, ErrPasswordContainsUsername)
	}
	return errors.Join(errs...)
}

// maxWeakPeriod is the longest pattern whose repetition is refused:
// "aaaaaaaaaaaa", "abababababab" and "abcdabcdabcd" are out.
const maxWeakPeriod = 4

// containsUsername reports whether password equals username or, for
// usernames of at least minUsernameMatch characters, contains it, ignoring
// case. Shorter usernames are only refused exactly: "al" occurs in too many
// good passwords.
func containsUsername(password, username string) bool {
	const minUsernameMatch = 4
	u := strings.ToLower(strings.TrimSpace(username))
	if u == "" {
		return false
	}
	pw := strings.ToLower(password)
	if utf8.RuneCountInString(u) < minUsernameMatch {
		return pw == u
	}
	return strings.Contains(pw, u)
}

// shortestPeriod returns the length of the shortest prefix that, repeated,
// makes up all of s ("abcabcab" has period 3; "aaaa" has 1). An empty s has
// period 0.
func shortestPeriod(s []rune) int {
	for period := 1; period < len(s); period++ {
		repeats := true
		for i := period; i < len(s); i++ {
			if s[i] != s[i-period] {
				repeats = false
				break
			}
		}
		if repeats {
			return period
		}
	}
	return len(s)
}

// isStraightRun reports whether each rune is one more than the one before
// it, or each one less, with digits wrapping around: "abcdefghijkl",
// "987654321098" and "123456789012" are runs.
func isStraightRun(s []rune) bool {
	step := runStep(s[0], s[1])
	if step == 0 {
		return false
	}
	for i := 2; i < len(s); i++ {
		if runStep(s[i-1], s[i]) != step {
			return false
		}
	}
	return true
}

// runStep returns 1 if b follows a, -1 if b precedes a, and 0 otherwise.
func runStep(a, b rune) int {
	if isDigit(a) && isDigit(b) {
		switch (b - a + 10) % 10 {
		case 1:
			return 1
		case 9:
			return -1
		}
		return 0
	}
	switch b - a {
	case 1:
		return 1
	case -1:
		return -1
	}
	return 0
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }
