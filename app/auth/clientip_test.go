package auth

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "fd00::/8", "127.0.0.1", "::1"})
	require.NoError(t, err)
	xff := func(lines ...string) http.Header { return http.Header{"X-Forwarded-For": lines} }

	tests := []struct {
		name   string
		remote string
		header http.Header
		want   string
	}{
		{name: "direct client", remote: "203.0.113.7:4711", want: "203.0.113.7"},
		{name: "direct client forging XFF", remote: "203.0.113.7:4711", header: xff("198.51.100.1"), want: "203.0.113.7"},
		{name: "direct client forging X-Real-IP", remote: "203.0.113.7:4711", header: http.Header{"X-Real-Ip": {"198.51.100.1"}}, want: "203.0.113.7"},
		{name: "via proxy", remote: "10.0.0.2:80", header: xff("203.0.113.7"), want: "203.0.113.7"},
		{name: "via proxy, client forged a left part", remote: "10.0.0.2:80", header: xff("198.51.100.1, 203.0.113.7"), want: "203.0.113.7"},
		{name: "via two proxies", remote: "10.0.0.2:80", header: xff("203.0.113.7, 10.1.2.3"), want: "203.0.113.7"},
		{name: "forged trusted-looking left part", remote: "10.0.0.2:80", header: xff("10.9.9.9, 203.0.113.7, 10.1.2.3"), want: "203.0.113.7"},
		{name: "split over header lines", remote: "10.0.0.2:80", header: xff("198.51.100.1, 203.0.113.7", "10.1.2.3"), want: "203.0.113.7"},
		{name: "all hops trusted", remote: "10.0.0.2:80", header: xff("10.0.0.9, 10.1.2.3"), want: "10.0.0.9"},
		{name: "hop with port", remote: "10.0.0.2:80", header: xff("203.0.113.7:5555"), want: "203.0.113.7"},
		{name: "IPv6 hop with port", remote: "10.0.0.2:80", header: xff("[2001:db8::7]:5555"), want: "2001:db8::7"},
		{name: "IPv6 hop in brackets", remote: "10.0.0.2:80", header: xff("[2001:db8::7]"), want: "2001:db8::7"},
		{name: "garbage appended by the proxy", remote: "10.0.0.2:80", header: xff("203.0.113.7, unknown"), want: "10.0.0.2"},
		{name: "garbage behind a trusted hop", remote: "10.0.0.2:80", header: xff("203.0.113.7, nonsense, 10.1.2.3"), want: "10.1.2.3"},
		{name: "garbage left of the client is never reached", remote: "10.0.0.2:80", header: xff("nonsense, 203.0.113.7"), want: "203.0.113.7"},
		{name: "empty element", remote: "10.0.0.2:80", header: xff("203.0.113.7,"), want: "10.0.0.2"},
		{name: "empty XFF", remote: "10.0.0.2:80", header: xff(""), want: "10.0.0.2"},
		{name: "X-Real-IP from proxy", remote: "10.0.0.2:80", header: http.Header{"X-Real-Ip": {"203.0.113.7"}}, want: "203.0.113.7"},
		{name: "XFF wins over X-Real-IP", remote: "10.0.0.2:80", header: http.Header{"X-Real-Ip": {"198.51.100.1"}, "X-Forwarded-For": {"203.0.113.7"}}, want: "203.0.113.7"},
		{name: "X-Real-IP invalid", remote: "10.0.0.2:80", header: http.Header{"X-Real-Ip": {"n/a"}}, want: "10.0.0.2"},
		{name: "X-Real-IP repeated", remote: "10.0.0.2:80", header: http.Header{"X-Real-Ip": {"203.0.113.7", "198.51.100.1"}}, want: "10.0.0.2"},
		{name: "IPv6 loopback proxy", remote: "[::1]:8080", header: xff("2001:db8::7"), want: "2001:db8::7"},
		{name: "IPv4-mapped peer", remote: "[::ffff:10.0.0.2]:80", header: xff("203.0.113.7"), want: "203.0.113.7"},
		{name: "IPv4-mapped client", remote: "[::ffff:203.0.113.7]:80", want: "203.0.113.7"},
		{name: "peer with zone", remote: "[fe80::1%eth0]:80", want: "fe80::1"},
		{name: "bare peer address", remote: "203.0.113.7", want: "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := proxies.ClientIP(tt.remote, tt.header)
			require.NoError(t, err)
			require.Equal(t, netip.MustParseAddr(tt.want), got)
		})
	}
}

func TestClientIPBadRemoteAddr(t *testing.T) {
	t.Parallel()
	for _, remote := range []string{"", "@", "localhost:80", "203.0.113.7:99999"} {
		_, err := TrustedProxies{}.ClientIP(remote, nil)
		require.Error(t, err, remote)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies([]string{"10.1.2.3/8", "192.0.2.1", "::ffff:198.51.100.1"})
	require.NoError(t, err)
	for addr, want := range map[string]bool{
		"10.200.0.1":      true, // the prefix is masked
		"192.0.2.1":       true,
		"192.0.2.2":       false,
		"198.51.100.1":    true,
		"::ffff:10.0.0.1": true,
		"2001:db8::1":     false,
	} {
		require.Equal(t, want, proxies.Contains(netip.MustParseAddr(addr)), addr)
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "10.0.0.0/8 "} {
		_, err := ParseTrustedProxies([]string{bad})
		require.Error(t, err, bad)
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"203.0.113.7":          "203.0.113.7",
		"::ffff:203.0.113.7":   "203.0.113.7",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"fe80::1%eth0":         "fe80::/64",
	}
	for in, want := range tests {
		require.Equal(t, want, ClientKey(netip.MustParseAddr(in)), in)
	}
}
