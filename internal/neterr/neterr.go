// Package neterr tells what a network error means on every system PFF runs
// on: a refused connection or a reset one.
package neterr

import (
	"errors"
	"syscall"
)

// Winsock's codes for a reset, aborted or refused connection. On Windows
// syscall.ECONNRESET and its kin are values Go invented, which no socket
// returns, so errors.Is(err, syscall.ECONNRESET) is false there for a real
// reset. On other systems no error has these values.
const (
	wsaECONNABORTED syscall.Errno = 10053
	wsaECONNRESET   syscall.Errno = 10054
	wsaECONNREFUSED syscall.Errno = 10061
)

// Refused reports whether err means nothing listens at the address:
// ECONNREFUSED, or WSAECONNREFUSED on Windows.
func Refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, wsaECONNREFUSED)
}

// Reset reports whether err means the peer reset or aborted the
// connection, on any system.
func Reset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, wsaECONNRESET) || errors.Is(err, wsaECONNABORTED)
}
