package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBodyAtoms bounds a rule's body: joins grow with every atom, and learned
// rules never come close.
const MaxBodyAtoms = 8

// SyntaxError is a pattern that does not parse; Offset is the byte offset in
// the pattern where the problem is.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg) }

// ParsePattern reads "head <= body". An empty body is not an error here; the
// callers decide what a bodiless rule means.
func ParsePattern(pattern string) (head Atom, body []Atom, err error) {
	p := patternParser{src: pattern}
	if head, err = p.atom(); err != nil {
		return Atom{}, nil, err
	}
	p.space()
	if !strings.HasPrefix(p.src[p.pos:], "<=") {
		return Atom{}, nil, p.fail(`expected "<=" after the head`)
	}
	p.pos += 2
	p.space()
	for p.pos < len(p.src) {
		if len(body) > 0 {
			if !p.consume(',') {
				return Atom{}, nil, p.fail(`expected "," between body atoms`)
			}
		}
		a, err := p.atom()
		if err != nil {
			return Atom{}, nil, err
		}
		body = append(body, a)
		p.space()
	}
	return head, body, nil
}

// IsVariable reports whether a bare token names a variable: one uppercase
// letter, then only digits.
func IsVariable(token string) bool {
	if token == "" || token[0] < 'A' || token[0] > 'Z' {
		return false
	}
	for i := 1; i < len(token); i++ {
		if token[i] < '0' || token[i] > '9' {
			return false
		}
	}
	return true
}

type patternParser struct {
	src string
	pos int
}

func (p *patternParser) fail(format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *patternParser) space() {
	for p.pos < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// consume skips spaces and then c, reporting whether c was there.
func (p *patternParser) consume(c byte) bool {
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *patternParser) atom() (Atom, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune("(),'\"<", rune(p.src[p.pos])) {
		r, n := utf8.DecodeRuneInString(p.src[p.pos:])
		if unicode.IsSpace(r) {
			break
		}
		p.pos += n
	}
	pred := p.src[start:p.pos]
	if pred == "" {
		return Atom{}, p.fail("expected a predicate")
	}
	if !p.consume('(') {
		return Atom{}, p.fail("expected \"(\" after predicate %q", pred)
	}
	subj, err := p.term()
	if err != nil {
		return Atom{}, err
	}
	if !p.consume(',') {
		return Atom{}, p.fail(`expected "," between the two terms of %s`, pred)
	}
	obj, err := p.term()
	if err != nil {
		return Atom{}, err
	}
	if !p.consume(')') {
		return Atom{}, p.fail(`expected ")" closing %s`, pred)
	}
	return Atom{Predicate: pred, Subject: subj, Object: obj}, nil
}

func (p *patternParser) term() (Term, error) {
	p.space()
	if p.pos >= len(p.src) {
		return Term{}, p.fail("expected a term")
	}
	if q := p.src[p.pos]; q == '\'' || q == '"' {
		return p.quoted(q)
	}
	// A bare constant runs to the next "," or ")" and may hold spaces, as
	// product names do.
	start := p.pos
	end := start + strings.IndexAny(p.src[start:], ",)")
	if end < start {
		end = len(p.src)
	}
	tok := strings.TrimRightFunc(p.src[start:end], unicode.IsSpace)
	if tok == "" {
		return Term{}, p.fail("expected a term")
	}
	if i := strings.IndexAny(tok, "('\"<"); i >= 0 {
		p.pos = start + i
		return Term{}, p.fail("unexpected %q in a bare term; quote constants that hold it", tok[i])
	}
	p.pos = start + len(tok)
	if IsVariable(tok) {
		return Var(tok), nil
	}
	return Const(tok), nil
}

// quoted reads a constant between quotes q; a backslash escapes the next byte.
func (p *patternParser) quoted(q byte) (Term, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return Const(b.String()), nil
		case c == '\\' && p.pos+1 < len(p.src):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.pos = start
	return Term{}, p.fail("unterminated quoted constant")
}
