package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Magic numbers of the compressed formats.
const (
	gzipMagic     = "\x1f\x8b"
	zipMagic      = "PK\x03\x04" // an archive starting with an entry
	emptyZipMagic = "PK\x05\x06" // an archive of no entries
)

func isGzip(head []byte) bool { return bytes.HasPrefix(head, []byte(gzipMagic)) }

func isZip(head []byte) bool {
	return bytes.HasPrefix(head, []byte(zipMagic)) || bytes.HasPrefix(head, []byte(emptyZipMagic))
}

// nestedZip is the reason a ZIP in a ZIP is rejected: reading archives in
// archives would multiply what a bomb can do, and exports are flat.
const nestedZip = "a ZIP inside a ZIP is not read: upload its contents instead"

// readStream reads one file of any format but multipart, told by its first
// bytes.
func (u *upload) readStream(r io.Reader, st stream) error {
	buf := u.getBuf()
	defer u.putBuf(buf)
	n, err := io.ReadAtLeast(r, buf, 4)
	if err != nil && !errors.Is(err, io.EOF) && err != io.ErrUnexpectedEOF {
		return u.fail(st.source, err)
	}
	head := buf[:n]
	rest := func() io.Reader { return io.MultiReader(bytes.NewReader(head), r) }
	switch {
	case isGzip(head):
		if st.in == inGzip {
			return u.rejectf(st.source, "gzip inside gzip is not read")
		}
		return u.readGzip(rest(), st)
	case isZip(head):
		switch st.in {
		case inZip:
			return u.rejectf(st.source, nestedZip)
		case inGzip:
			return u.rejectf(st.source, "a ZIP inside gzip is not read")
		}
		return u.spoolZip(rest(), st)
	}
	sc := newScanner(r, head, &u.limits, u.out)
	defer func() { u.out = sc.out }()
	return u.readJSON(sc, st)
}

func (u *upload) readGzip(r io.Reader, st stream) error {
	compressed := &countingReader{r: r}
	gz, err := gzip.NewReader(compressed)
	if err != nil {
		return u.fail(st.source, err)
	}
	defer gz.Close() //nolint:errcheck // a reader: closing it loses nothing
	inflated := &inflateReader{u: u, r: gz, compressed: func() int64 { return compressed.n }, source: st.source}
	st.in = inGzip
	return u.readStream(inflated, st)
}

// readJSON reads the documents of a JSON stream: one value, an array of
// them, or a sequence (NDJSON).
func (u *upload) readJSON(sc *scanner, st stream) error {
	c, err := sc.skipSpace()
	switch {
	case errors.Is(err, io.EOF):
		return u.rejectf(st.source, "no JSON document: the input is empty")
	case err != nil:
		return u.fail(st.source, err)
	case c == '[':
		return u.readArray(sc, st)
	}
	return u.readValues(sc, st)
}

// readValues reads a sequence of values. A stream whose first document
// takes one line is NDJSON even when its name does not say so; in NDJSON a
// bad line is rejected and reading goes on with the next, while elsewhere a
// bad document ends the file, there being no telling where the next begins.
func (u *upload) readValues(sc *scanner, st stream) error {
	ndjson := st.ndjson
	sc.oneLine = ndjson
	for n := 0; ; n++ {
		if _, err := sc.skipSpace(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return u.fail(st.source, err)
		}
		line := sc.line
		if err := sc.value(); err != nil {
			if _, syntax := errors.AsType[*syntaxError](err); !syntax || !ndjson {
				return u.fail(st.source, err)
			}
			if err := u.fail(st.source+":"+strconv.Itoa(line), err); err != nil {
				return err
			}
			if err := sc.skipLine(); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return u.fail(st.source, err)
			}
			continue
		}
		if n == 0 && sc.line == line {
			ndjson, sc.oneLine = true, true
		}
		// Look past the document before emitting it: a file that ends in a
		// read error (a bad checksum, say) is rejected with its last document.
		_, err := sc.skipSpace()
		if err != nil && !errors.Is(err, io.EOF) {
			return u.fail(st.source, err)
		}
		source := st.source
		if n > 0 || err == nil {
			source += ":" + strconv.Itoa(line)
		}
		if err := u.document(sc, st, source); err != nil {
			return err
		}
	}
}

// readArray reads an array of documents, element by element.
func (u *upload) readArray(sc *scanner, st stream) error {
	sc.pos++ // '['
	if c, err := sc.skipSpace(); err == nil && c == ']' {
		sc.pos++
		return u.afterArray(sc, st)
	}
	for i := 0; ; i++ {
		source := st.source + "[" + strconv.Itoa(i) + "]"
		if err := sc.value(); err != nil {
			if _, syntax := errors.AsType[*syntaxError](err); !syntax {
				return u.fail(st.source, err)
			}
			return u.fail(source, fmt.Errorf("%w; the rest of the array is not read", err))
		}
		if err := u.document(sc, st, source); err != nil {
			return err
		}
		c, err := sc.skipSpace()
		switch {
		case err != nil:
			return u.fail(st.source, sc.endError(err, "in array"))
		case c == ']':
			sc.pos++
			return u.afterArray(sc, st)
		case c != ',':
			return u.fail(st.source, sc.errorf("expected ',' or ']' in array, found %s", quoteByte(c)))
		}
		sc.pos++
	}
}

// afterArray checks that nothing but whitespace follows an array.
func (u *upload) afterArray(sc *scanner, st stream) error {
	switch c, err := sc.skipSpace(); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return u.fail(st.source, err)
	default:
		return u.fail(st.source, sc.errorf("unexpected %s after the array", quoteByte(c)))
	}
}
