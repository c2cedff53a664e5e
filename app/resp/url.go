package resp

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// endpoint is where and how to connect, parsed from a URL.
type endpoint struct {
	addr     string // host:port
	host     string // for TLS server name verification
	tls      bool
	user     string
	password string
	db       int
}

// parseURL parses redis://[[user]:password@]host[:port][/db] and the same
// with rediss:// for TLS. Its errors never quote the URL, which may hold
// a password.
func parseURL(rawURL string) (endpoint, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, and an escape error part of it.
		return endpoint{}, errors.New("resp: malformed URL (check the escaping of the password and the host:port)")
	}
	var e endpoint
	switch u.Scheme {
	case "redis":
	case "rediss":
		e.tls = true
	default:
		return endpoint{}, fmt.Errorf("resp: URL scheme %q is not redis or rediss", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return endpoint{}, errors.New("resp: URL has no host")
	}
	if len(u.Query()) > 0 || u.Fragment != "" {
		return endpoint{}, errors.New("resp: URL query parameters and fragments are not supported")
	}
	e.host = u.Hostname()
	port := u.Port()
	if port == "" {
		port = "6379"
	}
	e.addr = net.JoinHostPort(e.host, port)
	if u.User != nil {
		e.user = u.User.Username()
		password, ok := u.User.Password()
		if !ok {
			return endpoint{}, errors.New("resp: URL has a user name but no password (write redis://:password@host for a password alone)")
		}
		e.password = password
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return endpoint{}, fmt.Errorf("resp: URL path %q is not a database number", u.Path)
		}
		e.db = n
	}
	return e, nil
}
