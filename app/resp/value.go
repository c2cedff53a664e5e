package resp

import (
	"fmt"
)

// Error is an error reply from the server, such as
// "ERR unknown command" or "NOSCRIPT No matching script".
type Error struct {
	// Message is the reply as Redis sent it, its code (ERR, NOSCRIPT,
	// WRONGPASS, …) first.
	Message string
}

func (e *Error) Error() string { return e.Message }

type kind uint8

const (
	kindNull kind = iota
	kindSimple
	kindBulk
	kindInt
	kindArray
	kindError // only inside arrays; a top-level error reply is returned as *Error
)

func (k kind) String() string {
	return [...]string{"null", "simple string", "bulk string", "integer", "array", "error"}[k]
}

// Value is one RESP2 reply: a string, an integer, an array of replies, or
// null. Its accessors report a reply of another type as an error, so a
// caller states what it expects and checks once.
type Value struct {
	kind  kind
	str   string // simple or bulk string, or error message
	n     int64
	elems []Value
}

// IsNull reports whether the reply is a null bulk string or null array.
func (v Value) IsNull() bool { return v.kind == kindNull }

// Text returns a simple or bulk string reply.
func (v Value) Text() (string, error) {
	if v.kind != kindSimple && v.kind != kindBulk {
		return "", v.mismatch("a string")
	}
	return v.str, nil
}

// Int64 returns an integer reply.
func (v Value) Int64() (int64, error) {
	if v.kind != kindInt {
		return 0, v.mismatch("an integer")
	}
	return v.n, nil
}

// Array returns the elements of an array reply.
func (v Value) Array() ([]Value, error) {
	if v.kind != kindArray {
		return nil, v.mismatch("an array")
	}
	return v.elems, nil
}

// Int64s returns an array reply whose elements are all integers.
func (v Value) Int64s() ([]int64, error) {
	elems, err := v.Array()
	if err != nil {
		return nil, err
	}
	ns := make([]int64, len(elems))
	for i, e := range elems {
		if ns[i], err = e.Int64(); err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return ns, nil
}

// mismatch is the error for a reply that is not what the caller expected;
// an error element of an array is returned as the *Error it is.
func (v Value) mismatch(want string) error {
	if v.kind == kindError {
		return &Error{Message: v.str}
	}
	return fmt.Errorf("resp: reply is %s, not %s", v.kind, want)
}
