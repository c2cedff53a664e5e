package store_test

import (
	"context"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pff/pff/store"
	"github.com/pff/pff/store/storetest"
)

// generatedState writes size pseudo-random bytes of a seed in small
// pieces, as a trainer writes its state, without holding them; after fail
// bytes it fails instead.
type generatedState struct {
	size, fail int
	seed       uint64
}

var errDiskGone = errors.New("state: disk gone")

func (g generatedState) WriteTo(w io.Writer) (int64, error) {
	rng := rand.NewChaCha8([32]byte{byte(g.seed)})
	piece := make([]byte, 64<<10)
	var n int64
	for int(n) < g.size {
		if g.fail > 0 && int(n) >= g.fail {
			return n, errDiskGone
		}
		p := piece[:min(len(piece), g.size-int(n))]
		_, _ = rng.Read(p)
		m, err := w.Write(p)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// cancellingState writes a generated state and calls cancel once it has
// written after bytes.
type cancellingState struct {
	generatedState
	after  int
	cancel context.CancelFunc
}

func (c cancellingState) WriteTo(w io.Writer) (int64, error) {
	return c.generatedState.WriteTo(writerFunc(func(p []byte) (int, error) {
		if c.after -= len(p); c.after <= 0 {
			c.cancel()
		}
		return w.Write(p)
	}))
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (g generatedState) checksum() uint32 {
	h := crc32.NewIEEE()
	_, _ = g.WriteTo(h)
	return h.Sum32()
}

// readCheckpoint returns the stored checkpoint's epoch, length and checksum.
func readCheckpoint(t *testing.T, s *store.Store, modelID int64) (epoch, size int, sum uint32, err error) {
	t.Helper()
	err = s.ReadCheckpoint(context.Background(), modelID, func(e int, state io.Reader) error {
		h := crc32.NewIEEE()
		n, err := io.Copy(h, state)
		epoch, size, sum = e, int(n), h.Sum32()
		return err
	})
	return epoch, size, sum, err
}

func TestCheckpointsStreamInChunksAndReplaceWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	m, err := s.CreateModel(ctx, store.NewModel{Version: "v1", Source: "test", Fingerprint: "f", Dim: 4, Norm: "L1"})
	require.NoError(t, err)

	_, _, _, err = readCheckpoint(t, s, m.ID)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Across chunk boundaries, then shorter: no chunk of the first is left.
	long := generatedState{size: 5<<19 + 17, seed: 1}
	require.NoError(t, s.SaveCheckpoint(ctx, m.ID, 10, long))
	epoch, size, sum, err := readCheckpoint(t, s, m.ID)
	require.NoError(t, err)
	require.Equal(t, []any{10, long.size, long.checksum()}, []any{epoch, size, sum})

	short := generatedState{size: 1000, seed: 2}
	require.NoError(t, s.SaveCheckpoint(ctx, m.ID, 20, short))
	epoch, size, sum, err = readCheckpoint(t, s, m.ID)
	require.NoError(t, err)
	require.Equal(t, []any{20, short.size, short.checksum()}, []any{epoch, size, sum})

	// A save that fails half-way leaves the previous checkpoint whole.
	err = s.SaveCheckpoint(ctx, m.ID, 30, generatedState{size: 3 << 20, fail: 3 << 19, seed: 3})
	require.ErrorIs(t, err, errDiskGone)
	require.ErrorContains(t, err, "save checkpoint of model")
	epoch, size, sum, err = readCheckpoint(t, s, m.ID)
	require.NoError(t, err)
	require.Equal(t, []any{20, short.size, short.checksum()}, []any{epoch, size, sum})
	got, err := s.CheckpointEpoch(ctx, m.ID)
	require.NoError(t, err)
	require.Equal(t, 20, got)

	// So does one whose context ends half-way, while COPY is sending.
	cancelCtx, cancel := context.WithCancel(ctx)
	err = s.SaveCheckpoint(cancelCtx, m.ID, 40, cancellingState{generatedState{size: 4 << 20, seed: 5}, 3 << 19, cancel})
	require.ErrorIs(t, err, context.Canceled)
	epoch, size, sum, err = readCheckpoint(t, s, m.ID)
	require.NoError(t, err)
	require.Equal(t, []any{20, short.size, short.checksum()}, []any{epoch, size, sum})

	// A reader's error is the caller's, with the checkpoint named.
	err = s.ReadCheckpoint(ctx, m.ID, func(int, io.Reader) error { return errDiskGone })
	require.ErrorIs(t, err, errDiskGone)
	require.ErrorContains(t, err, "read checkpoint of model")
}

func TestCheckpointsAreNeverHeldInMemoryWhole(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers, so allocations vary")
	}
	// Not parallel: the allocations counted are the whole process's.
	ctx := context.Background()
	s := newStore(t)
	m, err := s.CreateModel(ctx, store.NewModel{Version: "v1", Source: "test", Fingerprint: "f", Dim: 4, Norm: "L1"})
	require.NoError(t, err)
	// Warm the connection's buffers, which are kept for its life.
	require.NoError(t, s.SaveCheckpoint(ctx, m.ID, 1, generatedState{size: 4 << 20, seed: 1}))
	_, _, _, err = readCheckpoint(t, s, m.ID)
	require.NoError(t, err)

	state := generatedState{size: 64 << 20, seed: 2}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, s.SaveCheckpoint(ctx, m.ID, 2, state))
	_, size, sum, err := readCheckpoint(t, s, m.ID)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, state.size, size)
	require.Equal(t, state.checksum(), sum)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("saving and reading a checkpoint of 64 MiB allocated %.1f MiB", float64(allocated)/(1<<20))
	require.Less(t, allocated, uint64(8<<20), "a checkpoint is streamed, not built in memory")
}

func TestCheckpointsSurviveTheChunkMigrationBothWays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewEmptyDatabase(t)
	migrator, err := store.OpenMigrator(url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { migrator.Close() })
	_, err = migrator.Up(ctx)
	require.NoError(t, err)
	pool, err := store.Connect(ctx, store.PoolConfig{URL: url})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s := store.New(pool)
	m, err := s.CreateModel(ctx, store.NewModel{Version: "v1", Source: "test", Fingerprint: "f", Dim: 4, Norm: "L1"})
	require.NoError(t, err)
	state := generatedState{size: 5<<19 + 3, seed: 4}
	require.NoError(t, s.SaveCheckpoint(ctx, m.ID, 7, state))

	// Down, the chunks are one value again; up, one chunk that reads the same.
	version, err := migrator.Down(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(26), version, "the chunks' migration is the last")
	pool.Reset() // statements prepared against the old tables
	var whole []byte
	require.NoError(t, pool.QueryRow(ctx, `SELECT data FROM model_checkpoints WHERE model_id = $1`, m.ID).Scan(&whole))
	require.Len(t, whole, state.size)
	require.Equal(t, state.checksum(), crc32.ChecksumIEEE(whole))

	_, err = migrator.Up(ctx)
	require.NoError(t, err)
	pool.Reset()
	epoch, size, sum, err := readCheckpoint(t, s, m.ID)
	require.NoError(t, err)
	require.Equal(t, []any{7, state.size, state.checksum()}, []any{epoch, size, sum})
}
