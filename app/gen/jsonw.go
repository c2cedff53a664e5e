package gen

// jsonWriter appends JSON in the layout of the source systems' files (two
// spaces of indent, "key": value), or compact for NDJSON. Writing by hand
// rather than with encoding/json keeps member order explicit and generation
// several times faster.
type jsonWriter struct {
	buf     []byte
	depth   int
	compact bool
	more    bool // the innermost open container has a member already
	// indent counts, in compact mode, the bytes the indented layout would
	// add, so a record's indented size is known whichever is written.
	indent int
}

// fielder is a model type that writes its members into an open object.
type fielder interface {
	fields(w *jsonWriter)
}

// document writes v as a whole document.
func (w *jsonWriter) document(v fielder) {
	w.open('{')
	v.fields(w)
	w.close('}')
	if w.compact {
		w.indent++
	} else {
		w.buf = append(w.buf, '\n')
	}
}

func (w *jsonWriter) newline() {
	if w.compact {
		w.indent += 1 + 2*w.depth
		return
	}
	w.buf = append(w.buf, '\n')
	for n := 2 * w.depth; n > 0; n -= len(spaces) {
		w.buf = append(w.buf, spaces[:min(n, len(spaces))]...)
	}
}

const spaces = "                                                                "

// next starts a member or element.
func (w *jsonWriter) next() {
	if w.more {
		w.buf = append(w.buf, ',')
	}
	w.newline()
}

func (w *jsonWriter) key(k string) {
	w.next()
	w.quote(k)
	w.buf = append(w.buf, ':')
	if w.compact {
		w.indent++
	} else {
		w.buf = append(w.buf, ' ')
	}
}

func (w *jsonWriter) open(c byte) {
	w.buf = append(w.buf, c)
	w.depth++
	w.more = false
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	if w.more {
		w.newline()
	}
	w.buf = append(w.buf, c)
	w.more = true
}

// str writes a string member.
func (w *jsonWriter) str(k, v string) {
	w.key(k)
	w.quote(v)
	w.more = true
}

// opt writes a string member unless it is empty.
func (w *jsonWriter) opt(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jsonWriter) boolean(k string, v bool) {
	w.key(k)
	if v {
		w.buf = append(w.buf, "true"...)
	} else {
		w.buf = append(w.buf, "false"...)
	}
	w.more = true
}

// object writes an object member.
func (w *jsonWriter) object(k string, v fielder) {
	w.key(k)
	w.open('{')
	v.fields(w)
	w.close('}')
}

// objects writes an array member of objects; an empty one is left out, as the
// source systems do.
func objects[T any, P interface {
	*T
	fielder
}](w *jsonWriter, k string, items []T) {
	if len(items) == 0 {
		return
	}
	w.key(k)
	w.open('[')
	for i := range items {
		w.next()
		w.open('{')
		P(&items[i]).fields(w)
		w.close('}')
	}
	w.close(']')
}

// quote appends s as a JSON string.
func (w *jsonWriter) quote(s string) {
	w.buf = append(w.buf, '"')
	start := 0
	for i := range len(s) {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		w.buf = append(w.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			w.buf = append(w.buf, '\\', c)
		case '\n':
			w.buf = append(w.buf, '\\', 'n')
		case '\t':
			w.buf = append(w.buf, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			w.buf = append(w.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	w.buf = append(w.buf, s[start:]...)
	w.buf = append(w.buf, '"')
}
