package ingest

import (
	"fmt"
	"io"
)

// sourceReader reads an upload's bytes, counting them against
// MaxUploadBytes and stopping when the context ends. Its errors end the
// upload.
type sourceReader struct {
	u    *upload
	r    io.Reader
	name string
}

func (u *upload) source(r io.Reader, name string) *sourceReader {
	return &sourceReader{u: u, r: r, name: displayName(name)}
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.u.ctx.Err(); err != nil {
		return 0, &stopError{err}
	}
	n, err := s.r.Read(p)
	if over := s.u.addRead(int64(n), s.name); over != nil {
		return max(n-int(s.u.read-s.u.limits.MaxUploadBytes), 0), over
	}
	if err != nil && err != io.EOF {
		err = &stopError{fmt.Errorf("ingest: read %s: %w", s.name, err)}
	}
	return n, err
}

// addRead counts n more bytes read from the sources.
func (u *upload) addRead(n int64, source string) error {
	u.read += n
	if u.read > u.limits.MaxUploadBytes {
		return &stopError{&LimitError{Limit: "MaxUploadBytes", Value: float64(u.limits.MaxUploadBytes), TooLarge: true, Source: source}}
	}
	return nil
}

// inflateReader reads the output of a decompressor, counting it against
// MaxUncompressedBytes and its ratio to the input against
// MaxCompressionRatio: the bytes are counted as they come, whatever the
// headers say.
type inflateReader struct {
	u          *upload
	r          io.Reader
	compressed func() int64 // bytes the decompressor has consumed so far
	n          int64
	source     string
	// archive, for a ZIP member, counts the whole archive's output.
	archive *archiveExpansion
}

func (i *inflateReader) Read(p []byte) (int, error) {
	u := i.u
	if err := u.ctx.Err(); err != nil {
		return 0, &stopError{err}
	}
	n, err := i.r.Read(p)
	i.n += int64(n)
	u.inflated += int64(n)
	if over := u.inflated - u.limits.MaxUncompressedBytes; over > 0 {
		return max(n-int(over), 0), &stopError{&LimitError{Limit: "MaxUncompressedBytes", Value: float64(u.limits.MaxUncompressedBytes), TooLarge: true, Source: i.source}}
	}
	if i.n > ratioFloor && float64(i.n) > u.limits.MaxCompressionRatio*float64(max(i.compressed(), 1)) {
		return n, u.ratioError(i.source)
	}
	if a := i.archive; a != nil {
		a.inflated += uint64(n)
		if a.over(a.inflated, u.limits.MaxCompressionRatio) {
			return n, u.ratioError(i.source)
		}
	}
	return n, err
}

func (u *upload) ratioError(source string) error {
	return &stopError{&LimitError{Limit: "MaxCompressionRatio", Value: u.limits.MaxCompressionRatio, Source: source}}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
