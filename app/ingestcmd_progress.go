package app

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// progress shows how an ingest goes: on a terminal a bar redrawn in place,
// otherwise a plain line every few seconds, so logs stay readable.
type progress struct {
	w        io.Writer
	terminal bool
	// total is the expected number of records, 0 when unknown (NDJSON, gzip).
	total int
	start time.Time
	docs  atomic.Int64
	size  atomic.Int64
	done  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, total int) *progress {
	file, ok := w.(*os.File)
	p := &progress{w: w, terminal: ok && term.IsTerminal(int(file.Fd())), total: total, start: time.Now(), done: make(chan struct{})}
	interval := 5 * time.Second
	if p.terminal {
		interval = 200 * time.Millisecond
	}
	p.wg.Go(func() {
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-ticker.C:
				p.draw()
			}
		}
	})
	return p
}

// add counts one input of n bytes of JSON.
func (p *progress) add(n int) {
	p.docs.Add(1)
	p.size.Add(int64(n))
}

func (p *progress) bytes() int64 { return p.size.Load() }

// stop ends the display and returns the time since the start.
func (p *progress) stop() time.Duration {
	close(p.done)
	p.wg.Wait()
	if p.terminal {
		p.draw()
		fmt.Fprintln(p.w)
	}
	return time.Since(p.start)
}

func (p *progress) draw() {
	elapsed := time.Since(p.start).Seconds()
	docs := p.docs.Load()
	rate := float64(docs) / max(elapsed, 1e-9)
	line := fmt.Sprintf("%d records  %.0f records/s  %.1f MB/s", docs, rate, float64(p.size.Load())/1e6/max(elapsed, 1e-9))
	if p.total > 0 {
		done := min(float64(docs)/float64(p.total), 1)
		const width = 30
		filled := int(done * width)
		eta := "--:--"
		if rate > 0 {
			remaining := time.Duration(float64(p.total-int(min(docs, int64(p.total))))/rate) * time.Second
			eta = fmt.Sprintf("%d:%02d", int(remaining.Minutes()), int(remaining.Seconds())%60)
		}
		line = fmt.Sprintf("[%s%s] %3.0f%%  %d/%d records  %.0f records/s  %.1f MB/s  ETA %s",
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), 100*done,
			docs, p.total, rate, float64(p.size.Load())/1e6/max(elapsed, 1e-9), eta)
	}
	if p.terminal {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintf(p.w, "ingest: %s\n", line)
	}
}

// errUncountable stops counting at a file whose records only reading can count.
var errUncountable = errors.New("records uncountable without reading")

// estimateRecords counts the record files under paths, the entries of ZIPs
// included, for the progress bar's ETA; 0 when some file may hold many
// records (NDJSON, arrays, gzip), which only reading can tell.
func estimateRecords(paths []string) int {
	n := 0
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".json", ".txt":
				n++
			case ".zip":
				entries, err := zipRecordEntries(path)
				if err != nil {
					return err
				}
				n += entries
			case ".ndjson", ".jsonl", ".gz":
				return errUncountable
			}
			return nil
		})
		if err != nil {
			return 0
		}
	}
	return n
}

func zipRecordEntries(path string) (int, error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return 0, err
	}
	defer r.Close() //nolint:errcheck // opened for reading
	n := 0
	for _, f := range r.File {
		switch strings.ToLower(filepath.Ext(f.Name)) {
		case ".json", ".txt":
			n++
		case ".ndjson", ".jsonl", ".gz":
			return 0, errUncountable
		}
	}
	return n, nil
}
