package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// ReadPaths reads files, directories and ZIP archives like one upload, for
// `pff ingest`: a directory is walked recursively in lexical order for
// .json, .txt, .ndjson, .jsonl, .gz and .zip files (symbolic links are not
// followed); a named file is read whatever its extension. Errors are as for
// [Read], and a path that cannot be read is an error too.
func ReadPaths(ctx context.Context, paths []string, limits Limits,
	emit func(Document) error, reject func(Rejection)) error {
	u := newUpload(ctx, limits, emit, reject)
	for _, p := range paths {
		info, err := os.Stat(p) // #nosec G703 -- the operator's own paths, from `pff ingest`'s arguments
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if !info.IsDir() {
			err = u.readFile(p)
		} else {
			// #nosec G703 -- the operator's own directory, walked without following links
			err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return fmt.Errorf("ingest: %w", err)
				}
				if !d.Type().IsRegular() || !isPathKind(fileKind(path)) {
					return nil
				}
				return u.readFile(path)
			})
		}
		if err != nil {
			return u.result(err)
		}
	}
	return nil
}

func isPathKind(kind string) bool { return kind == ".zip" || isDocumentKind(kind) }

// readFile reads one file; a ZIP is read in place.
func (u *upload) readFile(path string) error {
	st := u.topStream(path, "")
	if !utf8.ValidString(path) {
		return u.rejectf(st.source, "file name is not valid UTF-8")
	}
	f, err := os.Open(path) // #nosec G304 G703 -- a file the operator named or one inside a directory they named
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	defer f.Close() //nolint:errcheck // opened for reading
	var head [4]byte
	n, err := f.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("ingest: %w", err)
	}
	if isZip(head[:n]) {
		info, err := f.Stat()
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		if err := u.addRead(info.Size(), st.source); err != nil {
			return err
		}
		return u.readZip(f, info.Size(), st.source)
	}
	return u.readStream(u.source(f, path), st)
}
