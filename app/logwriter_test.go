package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

func TestLogBufferDeliversEveryLine(t *testing.T) {
	t.Parallel()
	var out testkit.Buffer
	logs := newLogBuffer(&out, 10*time.Millisecond)
	_, err := logs.Write([]byte("first\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return out.String() == "first\n" }, 5*time.Second, 5*time.Millisecond, "flushed in time")
	_, err = logs.Write([]byte("second\n"))
	require.NoError(t, err)
	logs.Close()
	require.Equal(t, "first\nsecond\n", out.String(), "Close flushes")
}
