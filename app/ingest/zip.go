package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"
)

// spoolZip copies a streamed ZIP to a temporary file, since reading one
// needs random access, and reads that.
func (u *upload) spoolZip(r io.Reader, st stream) error {
	f, err := os.CreateTemp("", "pff-ingest-*.zip")
	if err != nil {
		return fmt.Errorf("ingest: spool %s: %w", st.source, err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	w := &spoolWriter{w: f}
	size, err := io.Copy(w, r)
	switch _, stop := errors.AsType[*stopError](err); {
	case w.err != nil:
		return fmt.Errorf("ingest: spool %s: %w", st.source, err)
	case stop:
		return err
	case err != nil: // a multipart body that breaks off, say
		return fmt.Errorf("%w: %s: %w", ErrInput, st.source, err)
	}
	return u.readZip(f, size, st.source)
}

// spoolWriter tells the spool file's write errors, the server's trouble,
// from read errors, the upload's.
type spoolWriter struct {
	w   io.Writer
	err error
}

func (s *spoolWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// readZip reads the entries of a ZIP archive in their order.
func (u *upload) readZip(ra io.ReaderAt, size int64, archive string) error {
	// archive/zip holds the whole directory in memory: count it first.
	if n, ok := zipEntryCount(ra, size); ok && n > uint64(u.limits.MaxRecords) {
		return &stopError{&LimitError{Limit: "MaxRecords", Value: float64(u.limits.MaxRecords), Source: archive}}
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // insecure names are rejected one by one below
		return u.rejectf(archive, "not a readable ZIP archive: "+err.Error())
	}
	for _, f := range zr.File {
		if err := u.ctx.Err(); err != nil {
			return &stopError{err}
		}
		if err := u.readZipEntry(f, archive); err != nil {
			return err
		}
	}
	return nil
}

// readZipEntry reads one entry of a ZIP archive: a file of documents, read
// like any other. Directories and files of other kinds are skipped.
func (u *upload) readZipEntry(f *zip.File, archive string) error {
	source := archive + ":" + displayName(f.Name)
	if problem := entryNameProblem(f.Name); problem != "" {
		return u.rejectf(source, problem)
	}
	if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") || isMacMetadata(f.Name) {
		return nil
	}
	switch kind := fileKind(f.Name); {
	case kind == ".zip":
		return u.rejectf(source, nestedZip)
	case !isDocumentKind(kind):
		return nil
	}
	// The header's sizes give a cheap first look at a bomb; the bytes are
	// counted as they are decompressed too.
	if f.UncompressedSize64 > ratioFloor &&
		float64(f.UncompressedSize64) > u.limits.MaxCompressionRatio*float64(max(f.CompressedSize64, 1)) {
		return u.ratioError(source)
	}
	rc, err := f.Open()
	if err != nil {
		return u.rejectf(source, "unreadable: "+err.Error())
	}
	defer rc.Close()
	compressed := int64(f.CompressedSize64)
	inflated := &inflateReader{u: u, r: rc, compressed: func() int64 { return compressed }, source: source}
	return u.readStream(inflated, stream{source: source, ndjson: isNDJSONName(f.Name), msisdn: fileMSISDN(f.Name), in: inZip})
}

// entryNameProblem says why a ZIP entry's name is refused, or "": names
// that are not UTF-8, absolute or climb out with "..".
func entryNameProblem(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "file name is not valid UTF-8"
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || len(name) > 1 && name[1] == ':':
		return "file name is an absolute path"
	}
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return `file name climbs out of the archive with ".."`
		}
	}
	return ""
}

// isMacMetadata reports whether an entry is one of the resource-fork files
// macOS adds to the archives it makes.
func isMacMetadata(name string) bool {
	return strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(path.Base(name), "._")
}

// fileKind returns a file name's extension in lower case, looking through
// .gz: ".json" for "a.json.gz".
func fileKind(name string) string {
	return path.Ext(strings.TrimSuffix(strings.ToLower(name), ".gz"))
}

// isDocumentKind reports whether files with this kind hold documents.
func isDocumentKind(kind string) bool {
	switch kind {
	case ".json", ".txt", ".ndjson", ".jsonl":
		return true
	}
	return false
}

// zipEntryCount returns the number of entries an archive's end record
// declares, ZIP64 included, and whether it could be read.
func zipEntryCount(ra io.ReaderAt, size int64) (uint64, bool) {
	const (
		endLen         = 22 // end of central directory record, without comment
		maxCommentLen  = 1<<16 - 1
		locatorLen     = 20 // ZIP64 end of central directory locator
		zip64EndLen    = 56
		zip64Marker    = 0xFFFF
		zip64CountAt   = 32
		zip64OffsetAt  = 8
		endCountAt     = 10
		endSignature   = "PK\x05\x06"
		locatorSig     = "PK\x06\x07"
		zip64Signature = "PK\x06\x06"
	)
	tail := make([]byte, min(size, endLen+maxCommentLen))
	tailAt := size - int64(len(tail))
	if _, err := ra.ReadAt(tail, tailAt); err != nil && err != io.EOF {
		return 0, false
	}
	end := bytes.LastIndex(tail, []byte(endSignature))
	if end < 0 || len(tail)-end < endLen {
		return 0, false
	}
	if n := binary.LittleEndian.Uint16(tail[end+endCountAt:]); n != zip64Marker {
		return uint64(n), true
	}
	locator := end - locatorLen
	if locator < 0 || string(tail[locator:locator+4]) != locatorSig {
		return 0, false
	}
	record := make([]byte, zip64EndLen)
	at := binary.LittleEndian.Uint64(tail[locator+zip64OffsetAt:])
	if at > uint64(size) {
		return 0, false
	}
	if _, err := ra.ReadAt(record, int64(at)); err != nil || string(record[:4]) != zip64Signature {
		return 0, false
	}
	return binary.LittleEndian.Uint64(record[zip64CountAt:]), true
}
