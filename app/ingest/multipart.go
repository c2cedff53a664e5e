package ingest

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"unicode/utf8"
)

// readMultipart reads the files of a multipart/form-data body, part by part
// as they stream in. Parts without a file name (form fields) are skipped.
func (u *upload) readMultipart(r io.Reader, contentType string) error {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return fmt.Errorf("%w: multipart/form-data without a boundary", ErrInput)
	}
	mr := multipart.NewReader(r, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if _, ok := errors.AsType[*stopError](err); ok {
				return err
			}
			return fmt.Errorf("%w: %w", ErrInput, err)
		}
		err = u.readPart(part)
		_ = part.Close() // a part read to its end or abandoned: nothing to lose
		if err != nil {
			return err
		}
	}
}

func (u *upload) readPart(part *multipart.Part) error {
	name := part.FileName()
	if name == "" {
		return nil
	}
	st := u.topStream(name, part.Header.Get("Content-Type"))
	if !utf8.ValidString(name) {
		return u.rejectf(st.source, "file name is not valid UTF-8")
	}
	return u.readStream(part, st)
}
