package app

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logBuffer batches log lines into few writes: one write(2) per access-log
// line costs a serving process more than the request itself. Lines reach the
// underlying writer within flushEvery, at once when the buffer fills, and on
// Close; a crash loses at most the last flushEvery of lines.
type logBuffer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogBuffer(w io.Writer, flushEvery time.Duration) *logBuffer {
	b := &logBuffer{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		ticker := time.NewTicker(flushEvery)
		defer ticker.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-ticker.C:
				b.flush()
			}
		}
	}()
	return b
}

// Write buffers one log line; slog handlers write each record in one call.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.buf.Flush() // nowhere to report a failing log destination
}

// Close stops the flusher and writes what is buffered.
func (b *logBuffer) Close() {
	close(b.stop)
	<-b.done
	b.flush()
}
