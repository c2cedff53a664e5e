package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits on what a reply may claim, so a broken or hostile server cannot
// make the client allocate without bound. Redis's own limits are the same
// for strings (proto-max-bulk-len) and far above what PFF ever asks for.
const (
	maxBulkLen  = 512 << 20
	maxArrayLen = 1 << 20
	maxDepth    = 32
	maxLineLen  = 64 << 10
)

// errProtocol marks a reply that is not valid RESP2; the connection it
// came from cannot be trusted any more.
var errProtocol = errors.New("resp: protocol error")

// readReply reads one complete reply. A server error reply is returned as
// *Error; anything else unreadable wraps errProtocol or the I/O error.
func readReply(r *bufio.Reader) (Value, error) {
	v, err := readValue(r, 0)
	if err != nil {
		return Value{}, err
	}
	if v.kind == kindError {
		return Value{}, &Error{Message: v.str}
	}
	return v, nil
}

func readValue(r *bufio.Reader, depth int) (Value, error) {
	line, err := readLine(r)
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, fmt.Errorf("%w: empty line", errProtocol)
	}
	prefix, rest := line[0], line[1:]
	switch prefix {
	case '+':
		return Value{kind: kindSimple, str: string(rest)}, nil
	case '-':
		return Value{kind: kindError, str: string(rest)}, nil
	case ':':
		n, err := parseInt(rest)
		if err != nil {
			return Value{}, err
		}
		return Value{kind: kindInt, n: n}, nil
	case '$':
		n, err := parseLen(rest, maxBulkLen)
		if n < 0 || err != nil {
			return Value{}, err
		}
		s, err := readBulk(r, n)
		return Value{kind: kindBulk, str: s}, err
	case '*':
		n, err := parseLen(rest, maxArrayLen)
		if n < 0 || err != nil {
			return Value{}, err
		}
		if depth == maxDepth {
			return Value{}, fmt.Errorf("%w: arrays nested deeper than %d", errProtocol, maxDepth)
		}
		// Grow as elements arrive rather than trusting the header.
		elems := make([]Value, 0, min(n, 64))
		for range n {
			e, err := readValue(r, depth+1)
			if err != nil {
				return Value{}, unexpectedEOF(err, true)
			}
			elems = append(elems, e)
		}
		return Value{kind: kindArray, elems: elems}, nil
	}
	return Value{}, fmt.Errorf("%w: unknown reply type %q", errProtocol, prefix)
}

// readLine returns the next line without its CRLF. The slice is valid
// until the next read.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Longer than the buffer: gather it, up to maxLineLen.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) && len(long) <= maxLineLen {
			line, err = r.ReadSlice('\n')
			long = append(long, line...)
		}
		if len(long) > maxLineLen {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errProtocol, maxLineLen)
		}
		line = long
	}
	if err != nil {
		return nil, unexpectedEOF(err, len(line) > 0)
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line not ended by CRLF", errProtocol)
	}
	return line[:len(line)-2], nil
}

// readBulk reads a bulk string's n bytes and its CRLF. The string grows
// as data arrives, so a length header alone allocates little.
func readBulk(r *bufio.Reader, n int) (string, error) {
	var b strings.Builder
	b.Grow(min(n, 64<<10))
	for b.Len() < n {
		chunk, err := r.Peek(min(n-b.Len(), r.Size()))
		b.Write(chunk)
		_, _ = r.Discard(len(chunk))
		if err != nil {
			return "", unexpectedEOF(err, true)
		}
	}
	crlf, err := r.Peek(2)
	if err != nil {
		return "", unexpectedEOF(err, true)
	}
	if crlf[0] != '\r' || crlf[1] != '\n' {
		return "", fmt.Errorf("%w: bulk string of %d bytes not ended by CRLF", errProtocol, n)
	}
	_, _ = r.Discard(2)
	return b.String(), nil
}

// unexpectedEOF turns an EOF inside a reply into io.ErrUnexpectedEOF, so
// only an EOF before a reply's first byte means the server hung up idle.
func unexpectedEOF(err error, started bool) error {
	if started && errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseLen parses a bulk string or array length: -1 for null, otherwise
// 0 to limit.
func parseLen(b []byte, limit int) (int, error) {
	n, err := parseInt(b)
	if err != nil {
		return 0, err
	}
	if n < -1 || n > int64(limit) {
		return 0, fmt.Errorf("%w: length %d out of range [-1, %d]", errProtocol, n, limit)
	}
	return int(n), nil
}

// parseInt parses a decimal int64 strictly: an optional minus sign and
// digits, nothing else.
func parseInt(b []byte) (int64, error) {
	digits := b
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		digits = b[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, fmt.Errorf("%w: bad integer %q", errProtocol, b)
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: bad integer %q", errProtocol, b)
		}
		n = n*10 + uint64(c-'0') // 19 digits cannot overflow a uint64
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), nil
	case !neg && n < 1<<63:
		return int64(n), nil
	}
	return 0, fmt.Errorf("%w: integer %q overflows int64", errProtocol, b)
}
