package ingest

import (
	"archive/zip"
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
	size, err := io.Copy(f, r)
	if err != nil {
		return fmt.Errorf("ingest: spool %s: %w", st.source, err)
	}
	return u.readZip(f, size, st.source)
}

// readZip reads the entries of a ZIP archive in their order.
func (u *upload) readZip(ra io.ReaderAt, size int64, archive string) error {
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
		return u.rejectf(source, "a ZIP inside a ZIP is not read: upload its contents instead")
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
