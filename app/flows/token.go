package flows

import (
	"strings"
	"unicode"
)

// tokKind classifies a token of an expression. Python and expr share
// enough of their lexical structure for one scanner, which serves the
// Python detector, the migrator and the `not` precedence fix.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokName
	tokNumber
	tokString
	tokOp      // operators and punctuation
	tokOpen    // ( [ {
	tokClose   // ) ] }
	tokNewline // a line break
	tokBad     // an unterminated string
)

type token struct {
	kind tokKind
	text string
	pos  int // rune offset of the first rune
	end  int // rune offset after the last rune
}

func (t token) is(kind tokKind, text string) bool { return t.kind == kind && t.text == text }

// isTwoRuneOp reports whether s is an operator of two characters, of
// either language.
func isTwoRuneOp(s string) bool {
	switch s {
	case "**", "//", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "..":
		return true
	}
	return false
}

// tokenize splits src into tokens, ending with tokEOF. It accepts any input.
func tokenize(src string) []token {
	rs := []rune(src)
	var toks []token
	for i := 0; i < len(rs); {
		r := rs[i]
		start := i
		kind := tokOp
		switch {
		case r == '\n':
			kind = tokNewline
			i++
		case unicode.IsSpace(r):
			i++
			continue
		case isStringStart(rs, i):
			kind = tokString
			i = scanString(rs, i)
			if i < 0 {
				kind, i = tokBad, len(rs)
			}
		case r == '_' || r == '$' || unicode.IsLetter(r):
			kind = tokName
			for i < len(rs) && (rs[i] == '_' || rs[i] == '$' || unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i])) {
				i++
			}
		case unicode.IsDigit(r):
			kind = tokNumber
			i = scanNumber(rs, i)
		case strings.ContainsRune("([{", r):
			kind = tokOpen
			i++
		case strings.ContainsRune(")]}", r):
			kind = tokClose
			i++
		default:
			i++
			if i < len(rs) && isTwoRuneOp(string(rs[start:i+1])) {
				i++
			}
		}
		toks = append(toks, token{kind: kind, text: string(rs[start:i]), pos: start, end: i})
	}
	return append(toks, token{kind: tokEOF, pos: len(rs), end: len(rs)})
}

// isStringStart reports whether a string literal starts at rs[i], counting
// Python's prefixes (r”, b”, f”, u” and pairs such as rb”).
func isStringStart(rs []rune, i int) bool {
	for n := 0; n <= 2 && i+n < len(rs); n++ {
		switch c := rs[i+n]; {
		case c == '\'' || c == '"' || c == '`' && n == 0:
			return true
		case !strings.ContainsRune("rRbBuUfF", c):
			return false
		}
	}
	return false
}

// scanString returns the offset after the string literal at rs[i], or -1
// when it is not terminated.
func scanString(rs []rune, i int) int {
	for rs[i] != '\'' && rs[i] != '"' && rs[i] != '`' {
		i++ // prefix
	}
	q := rs[i]
	triple := q != '`' && i+2 < len(rs) && rs[i+1] == q && rs[i+2] == q
	if triple {
		i += 3
	} else {
		i++
	}
	for i < len(rs) {
		switch {
		case rs[i] == '\\' && q != '`':
			i += 2
		case rs[i] == q && !triple:
			return i + 1
		case rs[i] == q && i+2 < len(rs) && rs[i+1] == q && rs[i+2] == q:
			return i + 3
		case rs[i] == '\n' && !triple && q != '`':
			return -1
		default:
			i++
		}
	}
	return -1
}

// scanNumber returns the offset after the number at rs[i]: digits, letters
// (hex digits, exponents), underscores, a signed exponent and a decimal
// point that does not start expr's range operator "..".
func scanNumber(rs []rune, i int) int {
	hex := i+1 < len(rs) && rs[i] == '0' && (rs[i+1] == 'x' || rs[i+1] == 'X')
	for i < len(rs) {
		c := rs[i]
		switch {
		case c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c):
			i++
		case c == '.' && !(i+1 < len(rs) && rs[i+1] == '.'):
			i++
		case (c == '+' || c == '-') && (rs[i-1] == 'e' || rs[i-1] == 'E') && !hex:
			i++
		default:
			return i
		}
	}
	return i
}
