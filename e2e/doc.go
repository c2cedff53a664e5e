// Package e2e holds the end-to-end tests of PFF: a real `pff serve` (the
// command's own wiring, run in-process through app.Main) on a fresh,
// migrated PostgreSQL database, driven only through its HTTP API, with the
// BSS simulator of app/bss/bsssim in the same process. The package has no
// code of its own; its tests run with `make test`.
package e2e
