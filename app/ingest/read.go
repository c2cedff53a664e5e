package ingest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pff/pff/app/kg"
)

// Document is one customer record ready to store.
type Document struct {
	// Source says where the document came from: the file, then for a file
	// of several documents the line it starts on or its array index, e.g.
	// "batch.ndjson:17", "records.json[3]",
	// "upload.zip:customer_enquiry_5511987654321.txt".
	Source string
	// Data is the JSON object, compacted. It belongs to the receiver.
	Data []byte
	// FileMSISDN is the MSISDN in the file's name, when the name has the
	// form customer_enquiry_<msisdn>.txt (see kg.MSISDNFromFileName).
	FileMSISDN string
}

// Rejection is an input that could not become a Document; the rest of the
// upload goes on.
type Rejection struct {
	Source string
	// Reason names the problem and, for JSON, where it is (line and column).
	Reason string
}

// Read reads the documents of one upload from r, calling emit for each
// document and reject for each input that is not one. name is the upload's
// file name ("upload" when empty; it prefixes every Source and may mark
// NDJSON by its .ndjson or .jsonl extension); contentType is the request's,
// needed for multipart/form-data.
//
// The format is told from the content: a content type other than multipart
// only marks NDJSON (application/x-ndjson, application/ndjson,
// application/jsonl).
//
// Read returns a [*LimitError] when an upload-wide limit is exceeded, an
// error matching [ErrInput] for malformed multipart, the context's error
// when ctx ends, r's read error wrapped ("ingest: read NAME: ..."), and an
// error of emit as it is; any of them stops the read.
// Documents emitted before an error stay emitted: a caller that wants all or
// nothing discards them. emit and reject are called from Read's goroutine.
func Read(ctx context.Context, r io.Reader, name, contentType string, limits Limits,
	emit func(Document) error, reject func(Rejection)) error {
	u := newUpload(ctx, limits, emit, reject)
	label := name
	if label == "" {
		label = "upload"
	}
	src := u.source(r, label)
	if mediaType(contentType) == "multipart/form-data" {
		return u.result(u.readMultipart(src, contentType))
	}
	return u.result(u.readStream(src, u.topStream(label, contentType)))
}

// upload is the state of one Read or ReadPaths call.
type upload struct {
	ctx    context.Context
	limits Limits
	emit   func(Document) error
	reject func(Rejection)

	read     int64 // bytes read from the sources
	inflated int64 // bytes produced by decompression
	records  int   // documents emitted or rejected

	out  []byte   // scratch for the document being read
	bufs [][]byte // free read buffers
}

func newUpload(ctx context.Context, limits Limits, emit func(Document) error, reject func(Rejection)) *upload {
	return &upload{ctx: ctx, limits: limits.withDefaults(), emit: emit, reject: reject}
}

// stopError marks an error that ends the upload, as opposed to one that
// spoils only the file being read (a corrupt gzip stream, say).
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// result returns the error for the caller: the error of emit or the limit as
// it is, without the internal marking.
func (u *upload) result(err error) error {
	if stop, ok := errors.AsType[*stopError](err); ok {
		return stop.err
	}
	return err
}

// fail ends the reading of one file. An error that ends the upload is
// returned; any other rejects the file.
func (u *upload) fail(source string, err error) error {
	if _, ok := errors.AsType[*stopError](err); ok {
		return err
	}
	if _, ok := errors.AsType[*syntaxError](err); ok {
		return u.rejectf(source, err.Error())
	}
	return u.rejectf(source, "unreadable: "+err.Error())
}

// count counts one more document against MaxRecords.
func (u *upload) count(source string) error {
	u.records++
	if u.records > u.limits.MaxRecords {
		return &stopError{&LimitError{Limit: "MaxRecords", Value: float64(u.limits.MaxRecords), Source: source}}
	}
	return nil
}

func (u *upload) rejectf(source, reason string) error {
	if err := u.count(source); err != nil {
		return err
	}
	u.reject(Rejection{Source: source, Reason: reason})
	return nil
}

// document emits the document the scanner has just read, or rejects it.
func (u *upload) document(sc *scanner, st stream, source string) error {
	if reason := sc.problem(); reason != "" {
		return u.rejectf(source, reason)
	}
	if err := u.count(source); err != nil {
		return err
	}
	doc := Document{Source: source, Data: bytes.Clone(sc.out), FileMSISDN: st.msisdn}
	if err := u.emit(doc); err != nil {
		return &stopError{err}
	}
	return nil
}

func (u *upload) getBuf() []byte {
	if n := len(u.bufs); n > 0 {
		buf := u.bufs[n-1]
		u.bufs = u.bufs[:n-1]
		return buf
	}
	return make([]byte, readBufferSize)
}

func (u *upload) putBuf(buf []byte) { u.bufs = append(u.bufs, buf[:cap(buf)]) }

// readBufferSize is the size of a stream's read buffer.
const readBufferSize = 64 << 10

// container says what a stream sits in, which bounds what it may hold.
type container uint8

const (
	inUpload container = iota // a file of the upload: anything
	inZip                     // a ZIP entry: no nested ZIP
	inGzip                    // a gzip stream: JSON only
)

// stream says what is being read.
type stream struct {
	source string // the Source of its documents, or their prefix
	ndjson bool   // one document a line: a bad line is skipped
	msisdn string // the MSISDN in the file name
	in     container
}

// topStream describes a file of the upload named name.
func (u *upload) topStream(name, contentType string) stream {
	mt := mediaType(contentType)
	return stream{
		source: displayName(name),
		ndjson: isNDJSONName(name) || mt == "application/x-ndjson" || mt == "application/ndjson" || mt == "application/jsonl",
		msisdn: fileMSISDN(name),
	}
}

func mediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// isNDJSONName reports whether a file name says NDJSON, gzip'd or not.
func isNDJSONName(name string) bool {
	switch path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz")) {
	case ".ndjson", ".jsonl":
		return true
	}
	return false
}

func fileMSISDN(name string) string {
	msisdn, _ := kg.MSISDNFromFileName(name)
	return msisdn
}

// displayName returns name for a Source: quoted when it is not UTF-8.
func displayName(name string) string {
	if utf8.ValidString(name) {
		return name
	}
	return strconv.Quote(name)
}
