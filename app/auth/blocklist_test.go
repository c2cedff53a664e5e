package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/internal/testkit"
)

func TestBlocklist(t *testing.T) {
	t.Parallel()
	clock := testkit.NewClock()
	b := NewBlocklist(3, clock.Now)
	_, blocked := b.Blocked("a")
	require.False(t, blocked)
	b.Block("a", time.Minute)
	left, blocked := b.Blocked("a")
	require.True(t, blocked)
	require.Equal(t, time.Minute, left)
	clock.Advance(time.Minute)
	_, blocked = b.Blocked("a")
	require.False(t, blocked, "expired")

	for i := range 10 {
		b.Block(fmt.Sprint("k", i), time.Duration(i+1)*time.Second)
	}
	require.LessOrEqual(t, len(b.until), 3, "bounded")
	_, blocked = b.Blocked("k9")
	require.True(t, blocked, "the latest stays")
}
