package ingest

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bound what one upload may cost. A zero field means its default. One
// call of [Read] or [ReadPaths] is one upload.
type Limits struct {
	// MaxUploadBytes bounds the bytes read from the source, compressed or
	// not (default 1 GiB).
	MaxUploadBytes int64
	// MaxRecords bounds the documents in an upload, rejected ones included
	// (default 100,000).
	MaxRecords int
	// MaxDocumentBytes bounds one document as written, whitespace included
	// (default 16 MiB).
	MaxDocumentBytes int64
	// MaxUncompressedBytes bounds the total that gzip and ZIP decompression
	// produce (default 4 GiB).
	MaxUncompressedBytes int64
	// MaxCompressionRatio bounds decompressed/compressed bytes of each ZIP
	// entry and gzip stream, and of each ZIP archive as a whole: what its
	// members declare and what they produce against the archive's size
	// (default 100). It is judged once a stream or archive has produced
	// 1 MiB, since a small file may legitimately compress better.
	MaxCompressionRatio float64
	// MaxDepth bounds the nesting of objects and arrays; the document
	// itself is depth 1 (default 64).
	MaxDepth int
	// MaxStringLength bounds one JSON string or key in bytes as written,
	// escapes included (default 1 MiB).
	MaxStringLength int
}

// Default limits, for the zero fields of Limits.
const (
	DefaultMaxUploadBytes       = 1 << 30
	DefaultMaxRecords           = 100_000
	DefaultMaxDocumentBytes     = 16 << 20
	DefaultMaxUncompressedBytes = 4 << 30
	DefaultMaxCompressionRatio  = 100
	DefaultMaxDepth             = 64
	DefaultMaxStringLength      = 1 << 20
)

// ratioFloor is how much a stream must produce before its compression ratio
// is judged.
const ratioFloor = 1 << 20

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	setDefault(&l.MaxUploadBytes, DefaultMaxUploadBytes)
	setDefault(&l.MaxRecords, DefaultMaxRecords)
	setDefault(&l.MaxDocumentBytes, DefaultMaxDocumentBytes)
	setDefault(&l.MaxUncompressedBytes, DefaultMaxUncompressedBytes)
	setDefault(&l.MaxCompressionRatio, DefaultMaxCompressionRatio)
	setDefault(&l.MaxDepth, DefaultMaxDepth)
	setDefault(&l.MaxStringLength, DefaultMaxStringLength)
	return l
}

func setDefault[T int | int64 | float64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// ErrLimit is matched (errors.Is) by every [*LimitError].
var ErrLimit = errors.New("ingest: limit exceeded")

// LimitError says which limit stopped an upload.
type LimitError struct {
	// Limit is the Limits field: "MaxUploadBytes", "MaxRecords",
	// "MaxUncompressedBytes" or "MaxCompressionRatio".
	Limit string
	// Value is the limit's value in force.
	Value float64
	// TooLarge is true for the size limits (MaxUploadBytes,
	// MaxUncompressedBytes): HTTP's 413 rather than 400.
	TooLarge bool
	// Source is the file or entry that went over, when there is one.
	Source string
}

func (e *LimitError) Error() string {
	what := map[string]string{
		"MaxUploadBytes":       "upload larger than %s bytes",
		"MaxRecords":           "more than %s records in the upload",
		"MaxUncompressedBytes": "upload decompresses to more than %s bytes",
		"MaxCompressionRatio":  "compression ratio above %s",
	}[e.Limit]
	if what == "" {
		what = "limit %s"
	}
	msg := fmt.Sprintf("ingest: "+what+" (%s)", strconv.FormatFloat(e.Value, 'f', -1, 64), e.Limit)
	if e.Source != "" {
		msg += " at " + e.Source
	}
	return msg
}

// Is makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// ErrInput is matched (errors.Is) by errors that stop an upload because of
// its form rather than a limit, such as malformed multipart: HTTP's 400.
var ErrInput = errors.New("ingest: malformed upload")
