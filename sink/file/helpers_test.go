package file_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

const waitTimeout = 20 * time.Second

// parseLines checks that data is complete JSON lines exactly as
// sinktest.Messages encodes them, and adds each line's seq to seen.
func parseLines(t *testing.T, name string, data []byte, seen map[int]int) int {
	t.Helper()
	if i := bytes.IndexByte(data, 0); i >= 0 {
		t.Fatalf("%s: NUL byte at offset %d (a write landed past the end of a truncated file)", name, i)
	}
	if len(data) == 0 {
		return 0
	}
	if data[len(data)-1] != '\n' {
		t.Fatalf("%s: does not end with a newline: ...%q", name, tail(data))
	}
	lines := bytes.Split(data[:len(data)-1], []byte{'\n'})
	for i, line := range lines {
		var v struct {
			Seq  *int   `json:"seq"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(line, &v); err != nil || v.Seq == nil {
			t.Fatalf("%s line %d: not an event: %q (%v)", name, i+1, line, err)
		}
		if want := fmt.Sprintf(`{"seq":%d,"type":"test_event"}`, *v.Seq); string(line) != want {
			t.Fatalf("%s line %d: %q, want %q", name, i+1, line, want)
		}
		seen[*v.Seq]++
	}
	return len(lines)
}

func tail(b []byte) []byte {
	if len(b) > 80 {
		return b[len(b)-80:]
	}
	return b
}

// assertExactlyDelivered checks that the lines found are exactly the
// delivered messages: each once, none missing, none extra.
func assertExactlyDelivered(t *testing.T, rep *sinktest.Reporter[int], seen map[int]int, lines int) {
	t.Helper()
	delivered := rep.Delivered()
	if lines != len(delivered) {
		t.Errorf("files hold %d lines, %d messages were reported delivered", lines, len(delivered))
	}
	want := map[int]bool{}
	var twice []int
	for _, m := range delivered {
		if want[m.Event] {
			twice = append(twice, m.Event)
		}
		want[m.Event] = true
	}
	if len(twice) > 0 {
		t.Errorf("%d seqs reported delivered twice: %v", len(twice), head(twice))
	}
	var dup, missing, extra []int
	for seq, n := range seen {
		if n > 1 {
			dup = append(dup, seq)
		}
		if !want[seq] {
			extra = append(extra, seq)
		}
	}
	for seq := range want {
		if seen[seq] == 0 {
			missing = append(missing, seq)
		}
	}
	sort.Ints(dup)
	sort.Ints(missing)
	sort.Ints(extra)
	if len(dup)+len(missing)+len(extra) > 0 {
		t.Errorf("duplicated %d %v, missing %d %v, not reported delivered %d %v",
			len(dup), head(dup), len(missing), head(missing), len(extra), head(extra))
	}
}

func head(s []int) []int {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// assertConservation checks delivered+dropped+failed == sent.
func assertConservation(t *testing.T, rep *sinktest.Reporter[int], sent int) {
	t.Helper()
	d, dr, f := rep.Counts()
	if d+dr+f != sent {
		t.Errorf("delivered %d + dropped %d + failed %d = %d, sent %d", d, dr, f, d+dr+f, sent)
	}
}

// readDir parses every regular file in dir whose name starts with prefix.
func readDir(t *testing.T, dir, prefix string, seen map[int]int) (lines int, files []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines += parseLines(t, e.Name(), data, seen)
		files = append(files, e.Name())
	}
	return lines, files
}

// writers runs n goroutines that each deliver batches of size messages
// with distinct seqs, from first on, until stop is closed. gate, if set, is read-locked
// around every Deliver so a test can pause delivery.
type writers struct {
	first int
	next  atomic.Int64 // next seq
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startWriters(s sink.Sink[int], n, size, first int, gate *sync.RWMutex) *writers {
	w := &writers{first: first, stop: make(chan struct{})}
	w.next.Store(int64(first))
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for {
				select {
				case <-w.stop:
					return
				default:
				}
				if gate != nil {
					gate.RLock()
				}
				first := int(w.next.Add(int64(size))) - size
				s.Deliver(sinktest.Messages(first, size))
				if gate != nil {
					gate.RUnlock()
				}
			}
		}()
	}
	return w
}

// Stop stops the writers and returns how many messages they sent.
func (w *writers) Stop() int {
	close(w.stop)
	w.wg.Wait()
	return int(w.next.Load()) - w.first
}

// waitUntil polls cond until it holds, failing the test at the deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, what, waitTimeout, 2*time.Millisecond, cond)
}

// discard is a Reporter that keeps nothing, for benchmarks.
type discard struct{}

func (discard) Report([]sink.Message[int], sink.Outcome, error) {}
