package ingest

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"slices"
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
		// The spool is temporary: a failure to close or remove it loses nothing.
		_ = f.Close()
		_ = os.Remove(f.Name())
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
	if err := overlappingMembers(zr.File, size, archive); err != nil {
		return &stopError{err}
	}
	expansion := &archiveExpansion{size: size}
	for _, f := range zr.File {
		if err := u.ctx.Err(); err != nil {
			return &stopError{err}
		}
		if err := u.readZipEntry(f, archive, expansion); err != nil {
			return err
		}
	}
	return nil
}

// Least sizes of a member's headers: a local file header, and a central
// directory entry besides the name.
const (
	localHeaderLen   = 30
	centralHeaderLen = 46
)

// overlappingMembers refuses an archive whose members share bytes: the
// construction of the zip bombs whose members each stay under the ratio
// (one 657 KB upload inflated to 1 GB that way). A member's local header
// and data may lie only between the end of the one before and the start of
// the one after; and members can be no more than the archive's bytes hold.
func overlappingMembers(files []*zip.File, size int64, archive string) error {
	shared := func(f *zip.File, problem string) error {
		return fmt.Errorf("%w: %s:%s%s: they share bytes, as in a zip bomb", ErrInput, archive, displayName(f.Name), problem)
	}
	// Counted first, so that a directory of millions of entries sharing
	// one header is refused before a local header is read for each.
	var need int64
	for i, f := range files {
		need += localHeaderLen + centralHeaderLen + int64(len(f.Name))
		if need > size {
			return shared(f, fmt.Sprintf(": %d members need at least %d bytes of headers, more than the archive's %d", i+1, need, size))
		}
	}
	type span struct {
		start, end int64 // the least the local header takes, to the data's end
		f          *zip.File
	}
	spans := make([]span, 0, len(files))
	for _, f := range files {
		data, err := f.DataOffset()
		if err != nil {
			continue // unreadable: rejected when opened
		}
		end := data + int64(min(f.CompressedSize64, uint64(size)))
		// The local header's name is its own, usually the same as the
		// central directory's: only its fixed part is sure.
		spans = append(spans, span{start: data - localHeaderLen, end: end, f: f})
	}
	slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var last span // the span that reaches furthest so far
	for i, sp := range spans {
		if i > 0 && sp.start < last.end {
			return fmt.Errorf("%w: %s:%s overlaps %s:%s: ZIP members that share bytes are a zip bomb's construction",
				ErrInput, archive, displayName(sp.f.Name), archive, displayName(last.f.Name))
		}
		if i == 0 || sp.end > last.end {
			last = sp
		}
	}
	return nil
}

// archiveExpansion counts what an archive's members inflate to, as their
// headers declare and as they are read, against the archive's size: the
// compression ratio applies to the whole archive as well as to each member,
// whose own ratio is judged only past ratioFloor.
type archiveExpansion struct {
	size               int64
	declared, inflated uint64
}

// over reports whether n inflated bytes break the ratio for the archive.
func (a *archiveExpansion) over(n uint64, ratio float64) bool {
	return n > ratioFloor && float64(n) > ratio*float64(max(a.size, 1))
}

// readZipEntry reads one entry of a ZIP archive: a file of documents, read
// like any other. Directories and files of other kinds are skipped.
func (u *upload) readZipEntry(f *zip.File, archive string, expansion *archiveExpansion) error {
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
	// A member that declares more than the archive's ratio allows is not
	// opened: the sum saturates rather than wrap.
	expansion.declared += min(f.UncompressedSize64, math.MaxUint64-expansion.declared)
	if expansion.over(expansion.declared, u.limits.MaxCompressionRatio) {
		return u.ratioError(source)
	}
	rc, err := f.Open()
	if err != nil {
		return u.rejectf(source, "unreadable: "+err.Error())
	}
	defer rc.Close() //nolint:errcheck // a reader: closing it loses nothing
	compressed := int64(f.CompressedSize64)
	inflated := &inflateReader{u: u, r: rc, compressed: func() int64 { return compressed }, source: source, archive: expansion}
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
