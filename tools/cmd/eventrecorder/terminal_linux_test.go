package main_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// openPTY opens a pseudo-terminal pair, so that the command can be run
// with a terminal for stderr, as a person runs it: the progress bar shows
// only there. It skips the test where the system has no pseudo-terminals.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	ioctl := func(req uintptr, arg unsafe.Pointer) error {
		rc, err := m.SyscallConn()
		if err != nil {
			return err
		}
		var errno syscall.Errno
		if err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
		}); err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
	var unlock int32
	if err := ioctl(syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		_ = m.Close()
		t.Fatalf("unlockpt: %v", err)
	}
	var n uint32
	if err := ioctl(syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		_ = m.Close()
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		_ = m.Close()
		t.Fatalf("opening the terminal's slave side: %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_ = m.Close()
	})
	return m, s
}

// On a terminal replay shows a progress bar. Its first frame comes after
// the first reads, which return much data in no time: a rate computed
// then would be absurd (it said 380 GB/s), so the bar shows none until it
// has run for a second. The input, 181 kB, trickles in over 1.5s through
// a pipe, so that any honest rate is below 181 kB/s.
func TestReplayProgressBarOnATerminal(t *testing.T) {
	t.Parallel()
	lines, _ := fixture(t)
	batch := strings.Join(lines, "\n") + "\n" // 13 events, 11 kB
	dir := t.TempDir()
	master, slave := openPTY(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "replay", "--config", fileConfig(t, dir), "-")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = slave
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = slave.Close() // the child has it; reading the master ends when it exits
	screen := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			b.Write(buf[:n])
			if err != nil { // EIO once the child has exited
				screen <- b.String()
				return
			}
		}
	}()
	const batches = 16
	total := batches * len(batch)
	for i := range batches {
		if _, err := io.WriteString(stdin, batch); err != nil {
			t.Fatal(err)
		}
		if i < batches-1 {
			time.Sleep(100 * time.Millisecond) // pacing the input is what this test is about
		}
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("replay: %v", err)
	}
	out := <-screen

	summaryAt := strings.Index(out, "replayed ")
	if summaryAt < 0 || !strings.Contains(out, fmt.Sprintf("replayed %d events from 1 input", batches*len(lines))) {
		t.Fatalf("no summary on the terminal:\n%q", out)
	}
	bar := out[:summaryAt]
	// Each frame starts at the beginning of the line; an erase is a frame
	// of nothing.
	var frames []string
	for _, f := range strings.Split(bar, "\r") {
		if f = strings.TrimSpace(strings.ReplaceAll(f, "\x1b[K", "")); f != "" {
			frames = append(frames, f)
		}
	}
	if len(frames) < 3 {
		t.Fatalf("%d frames of the bar over 1.5s, want several:\n%q", len(frames), bar)
	}
	if !strings.HasSuffix(bar, "\r\x1b[K") {
		t.Errorf("the bar is not erased before the summary:\n%q", bar)
	}
	rate := regexp.MustCompile(`([0-9.]+) (B|kB|MB|GB|TB)/s`)
	if m := rate.FindString(frames[0]); m != "" || !strings.HasPrefix(frames[0], "replaying ") {
		t.Errorf("first frame %q: want the amount read and no rate", frames[0])
	}
	rates := 0
	for _, f := range frames {
		m := rate.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		rates++
		v, _ := strconv.ParseFloat(m[1], 64)
		// No rate shows before a second, and the whole input is less
		// than 200 kB: whatever the timing, an honest rate is below.
		if mult := map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[m[2]]; v*mult > float64(total) {
			t.Errorf("frame %q claims %s; the whole input is %d bytes", f, m[0], total)
		}
	}
	if rates == 0 {
		t.Errorf("no frame shows a rate after a second:\n%q", frames)
	}
	sameEvents(t, "out.jsonl", readEvents(t, filepath.Join(dir, "out.jsonl")), repeatEvents(t, lines, batches))
}

func repeatEvents(t *testing.T, lines []string, n int) []*eventrecorderpb.Event {
	t.Helper()
	return decodeLines(t, "repeated fixture", strings.Repeat(strings.Join(lines, "\n")+"\n", n))
}
