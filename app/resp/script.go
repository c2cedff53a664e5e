package resp

import (
	"context"
	"crypto/sha1" // #nosec G505 -- Redis names scripts by their SHA-1 (EVALSHA)
	"encoding/hex"
	"errors"
	"strings"
)

// Script is a Lua script run by its SHA1 digest, so its source crosses
// the network only when the server has not cached it yet.
type Script struct {
	src, sha1 string
}

// NewScript returns the script with source src.
func NewScript(src string) *Script {
	sum := sha1.Sum([]byte(src)) // #nosec G401 -- a script's name in Redis, not a security measure
	return &Script{src: src, sha1: hex.EncodeToString(sum[:])}
}

// RunScript runs s with EVALSHA, and with EVAL if the server does not
// have it cached (after a restart or SCRIPT FLUSH), which caches it again.
// keys are the keys the script touches, args its other arguments.
func (c *Client) RunScript(ctx context.Context, s *Script, keys []string, args ...any) (Value, error) {
	cmd := make([]any, 0, 3+len(keys)+len(args))
	cmd = append(cmd, "EVALSHA", s.sha1, len(keys))
	for _, k := range keys {
		cmd = append(cmd, k)
	}
	cmd = append(cmd, args...)
	v, err := c.Do(ctx, cmd...)
	var serverErr *Error
	if errors.As(err, &serverErr) && strings.HasPrefix(serverErr.Message, "NOSCRIPT") {
		cmd[0], cmd[1] = "EVAL", s.src
		v, err = c.Do(ctx, cmd...)
	}
	return v, err
}
