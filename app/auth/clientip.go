package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// TrustedProxies are the networks of the reverse proxies and load
// balancers in front of the service. Only requests arriving from them have
// their X-Forwarded-For and X-Real-IP headers believed; anyone else could
// write anything there.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies parses CIDRs ("10.0.0.0/8", "fd00::/8") or single
// addresses ("127.0.0.1").
func ParseTrustedProxies(cidrs []string) (TrustedProxies, error) {
	t := TrustedProxies{prefixes: make([]netip.Prefix, 0, len(cidrs))}
	for _, s := range cidrs {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, addrErr := netip.ParseAddr(s)
			if addrErr != nil {
				return TrustedProxies{}, fmt.Errorf("auth: trusted proxy %q: not a CIDR or an address", s)
			}
			p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		t.prefixes = append(t.prefixes, p.Masked())
	}
	return t, nil
}

// Contains reports whether addr is a trusted proxy.
func (t TrustedProxies) Contains(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client that sent a request, given
// the socket's remote address ("203.0.113.7:4711") and the request headers
// with canonical keys (an http.Header fits).
//
// If the socket peer is not a trusted proxy, it is the client. Otherwise
// X-Forwarded-For is read from the right, the end each proxy appends to,
// past trusted hops, and the first untrusted address is the client: what
// lies further left was written by the client and may be forged. If every
// hop is trusted, the leftmost is returned; if a hop is not an address, the
// last address before it, which a trusted proxy vouched for. X-Real-IP is
// used only when a trusted peer sent no X-Forwarded-For.
func (t TrustedProxies) ClientIP(remoteAddr string, header map[string][]string) (netip.Addr, error) {
	peer, err := parseHopAddr(remoteAddr)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("auth: client ip: remote address %q: %w", remoteAddr, err)
	}
	if !t.Contains(peer) {
		return peer, nil
	}
	forwarded := header["X-Forwarded-For"]
	if len(forwarded) == 0 {
		if real := header["X-Real-Ip"]; len(real) == 1 {
			if addr, err := parseHopAddr(strings.TrimSpace(real[0])); err == nil {
				return addr, nil
			}
		}
		return peer, nil
	}
	client := peer
	// Several X-Forwarded-For lines form one comma-separated list.
	for i := len(forwarded) - 1; i >= 0; i-- {
		list := forwarded[i]
		for {
			comma := strings.LastIndexByte(list, ',')
			hop, err := parseHopAddr(strings.TrimSpace(list[comma+1:]))
			if err != nil {
				return client, nil //nolint:nilerr // a hop that is no address ends the chain that can be believed
			}
			if client = hop; !t.Contains(hop) {
				return hop, nil
			}
			if comma < 0 {
				break
			}
			list = list[:comma]
		}
	}
	return client, nil
}

// parseHopAddr parses an address with or without a port ("192.0.2.1",
// "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]:80", "[2001:db8::1]"),
// unmapping IPv4-in-IPv6 and dropping any zone.
func parseHopAddr(s string) (netip.Addr, error) {
	var addr netip.Addr
	var err error
	// Picking the parser by shape, rather than trying one after the other,
	// spares allocating an error on every request.
	switch {
	case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
		addr, err = netip.ParseAddr(s[1 : len(s)-1])
	case strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1:
		var ap netip.AddrPort
		ap, err = netip.ParseAddrPort(s)
		addr = ap.Addr()
	default:
		addr, err = netip.ParseAddr(s)
	}
	if err != nil {
		return netip.Addr{}, errors.New("not an IP address")
	}
	return addr.Unmap().WithZone(""), nil
}

// ClientKey returns the key to count a client by in rate limits and
// lockouts: its IPv4 address, or the /64 its IPv6 address lies in, since
// a single subscriber usually holds a whole /64 and could otherwise rotate
// through 2^64 addresses.
func ClientKey(addr netip.Addr) string {
	addr = addr.Unmap()
	if addr.Is4() || !addr.IsValid() {
		return addr.String()
	}
	return netip.PrefixFrom(addr.WithZone(""), 64).Masked().String()
}
