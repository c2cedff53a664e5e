// Package ingest reads uploads and files into customer-record documents.
//
// An input is one JSON object, a JSON array of objects (streamed element by
// element), NDJSON (one object per line), gzip of any of these, a ZIP of
// .json/.txt/.ndjson/.jsonl files (optionally gzip'd), or multipart/form-data
// whose files are any of these. The format is told from the first bytes (the
// gzip and ZIP magic numbers, '[' or '{'); names and content types only say
// whether a stream is NDJSON, so that a bad line is skipped instead of ending
// the file.
//
// Reading is streaming: memory holds one document and a small read buffer,
// never the upload. A ZIP needs random access, so a streamed one is spooled
// to a temporary file first (removed afterwards). A nested ZIP is not read:
// it is a Rejection, which keeps bombs built from archives of archives out.
// A ZIP whose members share bytes (local headers or data that overlap, or
// more members than its bytes can hold) is the other bomb construction: it
// stops the upload with an error matching [ErrInput] before any member is
// inflated.
//
// Every document is checked in one pass that also compacts it: a JSON object,
// valid UTF-8, nesting and string lengths within [Limits], no \u0000 and no
// unpaired surrogate escapes (PostgreSQL's jsonb refuses both), numbers that
// PostgreSQL's numeric holds (at most 100 characters, exponents of at most 4
// digits) and that validation, which reads numbers as float64s, reads as
// the same kind of number (not 1e400, beyond float64's range, nor 1e-400,
// which it would read as 0; large integers are read rounded, as any decimal
// is), and a non-empty string "id" at the top level, the customer id that
// identifies the record. What this check accepts, validation reads, as
// uploaded and as PostgreSQL gives it back (app/validation tests both). A document that fails is a [Rejection] whose
// reason gives the line and column; the upload goes on. Limits on the upload
// as a whole (size, records, decompressed size, compression ratio, a ZIP
// directory's entries counted before it is loaded) stop it with a
// [*LimitError].
package ingest
