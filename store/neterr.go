package store

import (
	"errors"
	"syscall"
)

// Winsock's codes for a refused, reset or aborted connection. On Windows
// syscall.ECONNREFUSED and its kin are values Go invented, which no socket
// returns, so errors.Is(err, syscall.ECONNREFUSED) is false there for a
// refused connection. On other systems no error has these values.
const (
	wsaECONNABORTED syscall.Errno = 10053
	wsaECONNRESET   syscall.Errno = 10054
	wsaECONNREFUSED syscall.Errno = 10061
)

func connRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, wsaECONNREFUSED)
}

func connReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, wsaECONNRESET) || errors.Is(err, wsaECONNABORTED)
}
