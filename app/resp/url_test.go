package resp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		url  string
		want endpoint
	}{
		"host only":        {"redis://cache", endpoint{addr: "cache:6379", host: "cache"}},
		"port and db":      {"redis://127.0.0.1:6380/3", endpoint{addr: "127.0.0.1:6380", host: "127.0.0.1", db: 3}},
		"trailing slash":   {"redis://cache:6379/", endpoint{addr: "cache:6379", host: "cache"}},
		"password only":    {"redis://:s3cret@cache/0", endpoint{addr: "cache:6379", host: "cache", password: "s3cret"}},
		"user and escaped": {"redis://app:p%40ss%3Aw@cache", endpoint{addr: "cache:6379", host: "cache", user: "app", password: "p@ss:w"}},
		"tls":              {"rediss://cache.example.com:6380", endpoint{addr: "cache.example.com:6380", host: "cache.example.com", tls: true}},
		"IPv6":             {"redis://[::1]:6379", endpoint{addr: "[::1]:6379", host: "::1"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseURL(tt.url)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseURLRejects(t *testing.T) {
	t.Parallel()
	const password = "hunter2secret"
	tests := map[string]struct {
		url, want string
	}{
		"http":              {"http://:" + password + "@cache", `scheme "http" is not redis or rediss`},
		"no scheme":         {"cache:6379", `scheme "cache" is not redis or rediss`},
		"empty":             {"", `scheme "" is not redis or rediss`},
		"no host":           {"redis://:" + password + "@/0", "no host"},
		"opaque":            {"redis:" + password, "no host"},
		"bad escape":        {"redis://:%zz" + password + "@cache", "malformed URL"},
		"bad port":          {"redis://:" + password + "@cache:port", "malformed URL"},
		"space":             {"redis://:" + password + " x@cache", "malformed URL"},
		"db not a number":   {"redis://:" + password + "@cache/zero", `path "/zero" is not a database number`},
		"negative db":       {"redis://:" + password + "@cache/-1", `path "/-1" is not a database number`},
		"query":             {"redis://:" + password + "@cache?dial_timeout=1s", "query parameters"},
		"user, no password": {"redis://" + password + "@cache", "user name but no password"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Open(tt.url, Options{})
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), password)
			require.ErrorContains(t, ValidateURL(tt.url), tt.want)
		})
	}
}
