package ingest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// scanner reads a stream of JSON values one at a time, checking each against
// the document limits and writing it compacted to out. It is a hand-written
// scanner rather than a json.Decoder because it must run at several hundred
// MB/s: it looks at each byte once, copies runs rather than tokens and
// allocates nothing per value.
type scanner struct {
	r    io.Reader
	buf  []byte // buf[pos:] is unread input
	pos  int
	base int64 // stream offset of buf[0]
	eof  bool
	rerr error // the read error that ended the input, other than io.EOF

	line      int   // line of buf[pos], from 1
	lineStart int64 // stream offset of that line's first byte

	limits   *Limits
	oneLine  bool  // NDJSON: a value ends on the line it starts on
	inValue  bool  // reading a value: its size counts
	docStart int64 // stream offset of the value being read
	// out holds the value read so far, up to buf[mark]; buf[mark:pos] is
	// read and not copied yet. Copying runs between whitespace rather than
	// token by token keeps compaction down to a few copies.
	out   []byte
	mark  int
	stack []byte // open containers: '{' or '['
	id    idState
}

// idState is what the value says about its top-level "id".
type idState uint8

const (
	idMissing idState = iota
	idPending         // the key has been read, the value comes next
	idString
	idEmpty
	idNotString
)

// syntaxError is a document that is not valid JSON or breaks a document limit.
type syntaxError struct {
	msg    string
	line   int
	column int64
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s at line %d, column %d", e.msg, e.line, e.column)
}

// newScanner returns a scanner of r whose first bytes have already been read
// into buf.
func newScanner(r io.Reader, buf []byte, limits *Limits, out []byte) *scanner {
	s := &scanner{r: r, buf: buf, line: 1, limits: limits, out: out[:0]}
	if bytes.HasPrefix(buf, []byte("\xEF\xBB\xBF")) { // a byte order mark, as Windows tools write
		s.pos = 3
		s.lineStart = 3
	}
	return s
}

func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

func (s *scanner) errorf(format string, args ...any) error {
	return s.errorAt(s.offset(), format, args...)
}

// errorAt is errorf for an earlier place on the current line.
func (s *scanner) errorAt(offset int64, format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), line: s.line, column: offset - s.lineStart + 1}
}

// more reads more input, keeping buf[pos:]. It returns io.EOF at the end of
// the input, the read error that ended it, or an error when the value being
// read outgrows MaxDocumentBytes.
func (s *scanner) more() error {
	if s.inValue {
		if err := s.documentSize(); err != nil {
			return err
		}
	}
	if s.eof {
		if s.rerr != nil {
			return s.rerr
		}
		return io.EOF
	}
	if s.inValue {
		s.flush()
	}
	if s.pos > 0 {
		n := copy(s.buf[:cap(s.buf)], s.buf[s.pos:])
		s.base += int64(s.pos)
		s.buf, s.pos, s.mark = s.buf[:n], 0, 0
	}
	for {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
		}
		switch {
		case n > 0:
			return nil
		case s.eof:
			return s.more()
		}
	}
}

// documentSize checks the size of the value read so far. It runs when the
// buffer is refilled and at the value's end, so a value never holds more than
// a buffer beyond the limit.
func (s *scanner) documentSize() error {
	if s.offset()-s.docStart > s.limits.MaxDocumentBytes {
		return s.errorf("document larger than %d bytes (MaxDocumentBytes)", s.limits.MaxDocumentBytes)
	}
	return nil
}

// ensure makes n bytes available at buf[pos:], or as many as the input has.
func (s *scanner) ensure(n int) error {
	for len(s.buf)-s.pos < n {
		if err := s.more(); err != nil {
			return err
		}
	}
	return nil
}

// skipSpace skips whitespace and returns the next byte, or io.EOF.
func (s *scanner) skipSpace() (byte, error) {
	if s.pos < len(s.buf) && !isSpace(s.buf[s.pos]) {
		return s.buf[s.pos], nil
	}
	if s.inValue {
		s.flush()
	}
	for {
		for i := s.pos; i < len(s.buf); i++ {
			switch c := s.buf[i]; c {
			case ' ':
				i += spaceRun(s.buf[i+1:])
			case '\t', '\r':
			case '\n':
				if s.inValue && s.oneLine {
					s.pos, s.mark = i, i
					return 0, s.errorf("unexpected end of line inside the document")
				}
				s.line++
				s.lineStart = s.base + int64(i) + 1
			default:
				s.pos, s.mark = i, i
				return c, nil
			}
		}
		s.pos, s.mark = len(s.buf), len(s.buf)
		if err := s.more(); err != nil {
			return 0, err
		}
	}
}

// spaceRun returns the length of the run of spaces at the start of b,
// eight at a time: indentation is a third of an indented record.
func spaceRun(b []byte) int {
	const spaces = 0x2020202020202020
	i := 0
	for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:]) == spaces {
		i += 8
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// flush copies what has been read of the value to out.
func (s *scanner) flush() {
	s.out = append(s.out, s.buf[s.mark:s.pos]...)
	s.mark = s.pos
}

// skipLine skips the rest of the line, newline included.
func (s *scanner) skipLine() error {
	s.inValue = false
	for {
		if i := bytes.IndexByte(s.buf[s.pos:], '\n'); i >= 0 {
			s.pos += i + 1
			s.line++
			s.lineStart = s.offset()
			return nil
		}
		s.pos = len(s.buf)
		if err := s.more(); err != nil {
			return err
		}
	}
}

// endError is the error for input that ends inside a value.
func (s *scanner) endError(err error, where string) error {
	if errors.Is(err, io.EOF) {
		return s.errorf("unexpected end of input %s", where)
	}
	return err
}

// value reads one JSON value into out.
func (s *scanner) value() error {
	s.out, s.stack, s.id = s.out[:0], s.stack[:0], idMissing
	s.inValue, s.docStart, s.mark = true, s.offset(), s.pos
	defer func() { s.inValue = false }()
	for {
		if err := s.element(); err != nil {
			return err
		}
		// Close containers until one has another element.
		for {
			if len(s.stack) == 0 {
				s.flush()
				return s.documentSize()
			}
			c, err := s.skipSpace()
			if err != nil {
				return s.endError(err, "in "+s.openKind())
			}
			top := s.stack[len(s.stack)-1]
			if c == ',' {
				s.pos++
				if top == '{' {
					if err := s.key(); err != nil {
						return err
					}
				}
				break
			}
			if c != closing(top) {
				return s.errorf("expected ',' or '%c' in %s, found %s", closing(top), s.openKind(), quoteByte(c))
			}
			s.close()
		}
	}
}

// element reads a scalar or an empty container, or opens a container and
// reads its first element (the first key too) up to the first scalar or
// empty container.
func (s *scanner) element() error {
	for {
		c, err := s.skipSpace()
		if err != nil {
			return s.endError(err, "where a value should be")
		}
		atID := s.id == idPending
		if atID {
			s.id = idNotString
		}
		switch {
		case c == '{' || c == '[':
			if len(s.stack) == s.limits.MaxDepth {
				return s.errorf("nesting deeper than %d (MaxDepth)", s.limits.MaxDepth)
			}
			s.stack = append(s.stack, c)
			s.pos++
			next, err := s.skipSpace()
			if err != nil {
				return s.endError(err, "in "+s.openKind())
			}
			if next == closing(c) {
				s.close()
				return nil
			}
			if c == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			// Go round for the first element.
		case c == '"':
			start := s.offset()
			if err := s.str(); err != nil {
				return err
			}
			if atID {
				s.id = idString
				if s.offset()-start == int64(len(`""`)) {
					s.id = idEmpty
				}
			}
			return nil
		case c == '-' || c >= '0' && c <= '9':
			return s.number()
		case c == 't':
			return s.literal("true")
		case c == 'f':
			return s.literal("false")
		case c == 'n':
			return s.literal("null")
		default:
			return s.errorf("unexpected %s where a value should be", quoteByte(c))
		}
	}
}

func (s *scanner) close() {
	s.stack = s.stack[:len(s.stack)-1]
	s.pos++
}

func closing(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

func (s *scanner) openKind() string {
	if s.stack[len(s.stack)-1] == '{' {
		return "object"
	}
	return "array"
}

// key reads an object key and its colon.
func (s *scanner) key() error {
	c, err := s.skipSpace()
	if err != nil {
		return s.endError(err, "in object")
	}
	if c != '"' {
		return s.errorf("expected a string key in object, found %s", quoteByte(c))
	}
	start, outStart := s.offset(), len(s.out)+s.pos-s.mark
	if err := s.str(); err != nil {
		return err
	}
	if len(s.stack) == 1 && s.offset()-start <= maxEscapedIDKey {
		s.flush()
		if isIDKey(s.out[outStart:]) {
			s.id = idPending
		}
	}
	if c, err = s.skipSpace(); err != nil {
		return s.endError(err, "after object key")
	}
	if c != ':' {
		return s.errorf("expected ':' after object key, found %s", quoteByte(c))
	}
	s.pos++
	return nil
}

// maxEscapedIDKey is the length of the longest key that can spell "id":
// "\u0069\u0064".
const maxEscapedIDKey = 14

// isIDKey reports whether a quoted key is "id", however it is escaped.
func isIDKey(quoted []byte) bool {
	if string(quoted) == `"id"` {
		return true
	}
	if bytes.IndexByte(quoted, '\\') < 0 {
		return false
	}
	var key string
	return json.Unmarshal(quoted, &key) == nil && key == "id"
}

// problem says why the value just read is not a record, or "".
func (s *scanner) problem() string {
	if kind := jsonKind(s.out[0]); kind != "object" {
		return fmt.Sprintf("a JSON %s, not an object", kind)
	}
	switch s.id {
	case idMissing:
		return `no top-level "id": a record is identified by its customer id`
	case idEmpty:
		return `top-level "id" is empty`
	case idNotString:
		return `top-level "id" is not a string`
	}
	return ""
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
