package kg

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The builder parses records itself rather than through encoding/json: it
// needs member order (for deterministic triples and pointers) and number text,
// and decoding a 90 KB record into map[string]any costs thousands of
// allocations. This parser keeps every value in one slice of nodes, and
// strings without escapes are substrings of the document, not copies.

// maxDepth bounds nesting, as encoding/json does, so hostile input cannot
// exhaust the stack.
const maxDepth = 10000

type valueKind uint8

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

// node is one JSON value. The children of an object or array are
// tree.nodes[first : first+count], in document order.
type node struct {
	key   string // member name, when the node is a member of an object
	text  string // string value, or the literal text of a number or boolean
	first int32
	count int32
	kind  valueKind
}

type tree struct {
	nodes []node
	root  node
}

// kids returns the members of an object or the elements of an array.
func (t *tree) kids(n node) []node {
	return t.nodes[n.first : n.first+n.count]
}

// str returns the first member named key of obj, if it is a string.
func (t *tree) str(obj node, key string) (string, bool) {
	if obj.kind != kindObject {
		return "", false
	}
	for _, m := range t.kids(obj) {
		if m.key == key {
			return m.text, m.kind == kindString
		}
	}
	return "", false
}

// parseJSON parses one JSON value that makes up the whole of doc.
func parseJSON(doc string) (*tree, error) {
	// Every member has a colon, and dates have a few more: the count is a
	// close upper bound of the values in a record, whatever its layout.
	p := parser{s: doc, nodes: make([]node, 0, strings.Count(doc, ":")+1)}
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.s) {
		return nil, p.errorf("unexpected %q after the top-level value", p.s[p.i])
	}
	return &tree{nodes: p.nodes, root: root}, nil
}

type parser struct {
	s     string
	i     int
	depth int
	nodes []node // finished children, contiguous per container
	stack []node // children of the containers still open
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

// peek returns the next byte, or 0 at the end of the input.
func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value() (node, error) {
	p.skipSpace()
	switch c := p.peek(); {
	case c == '{':
		return p.container(kindObject, '}')
	case c == '[':
		return p.container(kindArray, ']')
	case c == '"':
		s, err := p.string()
		return node{kind: kindString, text: s}, err
	case c == '-' || isDigit(c):
		return p.number()
	case c == 't':
		return p.literal("true", kindBool)
	case c == 'f':
		return p.literal("false", kindBool)
	case c == 'n':
		return p.literal("null", kindNull)
	case p.i == len(p.s):
		return node{}, p.errorf("unexpected end of input")
	default:
		return node{}, p.errorf("unexpected %q", c)
	}
}

// container parses an object or an array; its children are moved from the
// stack to the end of p.nodes when it closes, so they sit side by side.
func (p *parser) container(kind valueKind, end byte) (node, error) {
	if p.depth++; p.depth > maxDepth {
		return node{}, p.errorf("nesting deeper than %d", maxDepth)
	}
	p.i++
	mark := len(p.stack)
	p.skipSpace()
	if p.peek() == end {
		p.i++
		return p.close(kind, mark), nil
	}
	for {
		var key string
		if kind == kindObject {
			p.skipSpace()
			if p.peek() != '"' {
				return node{}, p.errorf("expected a member name")
			}
			var err error
			if key, err = p.string(); err != nil {
				return node{}, err
			}
			p.skipSpace()
			if p.peek() != ':' {
				return node{}, p.errorf("expected ':' after member name")
			}
			p.i++
		}
		v, err := p.value()
		if err != nil {
			return node{}, err
		}
		v.key = key
		p.stack = append(p.stack, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.i++
		case end:
			p.i++
			return p.close(kind, mark), nil
		default:
			return node{}, p.errorf("expected ',' or %q", end)
		}
	}
}

func (p *parser) close(kind valueKind, mark int) node {
	n := node{kind: kind, first: int32(len(p.nodes)), count: int32(len(p.stack) - mark)}
	p.nodes = append(p.nodes, p.stack[mark:]...)
	p.stack = p.stack[:mark]
	p.depth--
	return n
}

func (p *parser) literal(word string, kind valueKind) (node, error) {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return node{}, p.errorf("invalid literal, expected %s", word)
	}
	p.i += len(word)
	return node{kind: kind, text: word}, nil
}

func (p *parser) number() (node, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return node{}, p.errorf("invalid number")
	}
	if p.peek() == '.' {
		p.i++
		if !p.digits() {
			return node{}, p.errorf("invalid number: no digits after '.'")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !p.digits() {
			return node{}, p.errorf("invalid number: no digits in exponent")
		}
	}
	return node{kind: kindNumber, text: p.s[start:p.i]}, nil
}

// digits skips a run of digits and reports whether there was one.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) {
		p.i++
	}
	return p.i > start
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// string parses a string literal; without escapes it is a substring of the input.
func (p *parser) string() (string, error) {
	start := p.i + 1
	for i := start; i < len(p.s); i++ {
		switch c := p.s[i]; {
		case c == '"':
			p.i = i + 1
			return p.s[start:i], nil
		case c == '\\':
			p.i = i
			return p.unescape(start)
		case c < 0x20:
			p.i = i
			return "", p.errorf("control character in string")
		}
	}
	p.i = len(p.s)
	return "", p.errorf("unterminated string")
}

// unescape finishes a string that has escapes, from p.i at the first backslash.
// Invalid surrogates become U+FFFD, as encoding/json decodes them.
func (p *parser) unescape(start int) (string, error) {
	buf := make([]byte, 0, p.i-start+16)
	buf = append(buf, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			p.i = len(p.s)
			return "", p.errorf("unterminated string")
		}
		switch e := p.s[p.i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(p.s, p.i+2)
			if !ok {
				return "", p.errorf(`invalid \u escape`)
			}
			p.i += 6
			if utf16.IsSurrogate(r) {
				pair := utf8.RuneError
				if low, ok := hex4(p.s, p.i+2); ok && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					pair = utf16.DecodeRune(r, low)
				}
				if pair != utf8.RuneError {
					p.i += 6
				}
				r = pair
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return "", p.errorf("invalid escape %q", e)
		}
		p.i += 2
	}
	p.i = len(p.s)
	return "", p.errorf("unterminated string")
}

// hex4 decodes the four hex digits at s[i:], if there are four.
func hex4(s string, i int) (rune, bool) {
	if i < 0 || len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
