package testkit

import (
	"net"
	"testing"
)

// FreeAddr is a loopback address with a port nothing listens on.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := (&net.ListenConfig{}).Listen(tb.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testkit: listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatalf("testkit: close: %v", err)
	}
	return addr
}
