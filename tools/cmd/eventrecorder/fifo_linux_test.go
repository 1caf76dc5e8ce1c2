package main_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

// A signal must end every command promptly, also one waiting for a FIFO:
// opening a FIFO blocks until its other end is opened, and reading one
// until data comes. The tests start the built command on a FIFO, wait
// until it is blocked there, send SIGTERM and expect it gone within a
// bound, with tail's exit status 0 (a signal is how one stops it) and the
// other commands' 1, saying they were interrupted.

// signalBound is how long a command may take to end after SIGTERM; it
// takes milliseconds.
const signalBound = 5 * time.Second

func mkfifo(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "events.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitOpeningFIFO waits until a thread of process pid is blocked opening
// a FIFO, which Linux shows as its wait channel.
func waitOpeningFIFO(t *testing.T, pid int) {
	t.Helper()
	testtool.WaitFor(t, "the command blocked opening the FIFO (a thread waiting in wait_for_partner)", 20*time.Second, 5*time.Millisecond, func() bool {
		tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "wchan"))
		for _, task := range tasks {
			if b, _ := os.ReadFile(task); string(b) == "wait_for_partner" {
				return true
			}
		}
		return false
	})
}

// terminate sends SIGTERM and returns the exit status, failing if the
// process takes longer than signalBound to end.
func terminate(t *testing.T, cmd *exec.Cmd, done <-chan error) int {
	t.Helper()
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if took := time.Since(sent); took > signalBound {
			t.Errorf("ended %v after SIGTERM", took)
		}
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok && ee.Exited() {
			return ee.ExitCode()
		}
		t.Fatalf("not an exit: %v", err)
	case <-time.After(signalBound):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("still running %v after SIGTERM", signalBound)
	}
	return -1
}

// startCmd starts the command in dir with its output collected.
func startCmd(t *testing.T, dir string, args ...string) (cmd *exec.Cmd, stdout, stderr *bytes.Buffer, done <-chan error) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	cmd.Dir = dir
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan error, 1)
	// exited is closed once Wait has returned, so the cleanup can tell
	// without reading cmd.ProcessState, which Wait writes.
	exited := make(chan struct{})
	go func() { ch <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return cmd, stdout, stderr, ch
}

func TestSignalEndsACommandOpeningAFIFO(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args func(fifo, dir string) []string
		code int
		// stderr is the whole of what the command says: nothing for tail.
		stderr string
	}{
		{"tail", func(f, _ string) []string { return []string{"tail", f} }, 0, ""},
		{"tail -f", func(f, _ string) []string { return []string{"tail", "-f", f} }, 0, ""},
		{"replay input", func(f, d string) []string { return []string{"replay", "--config", fileConfig(t, d), f} }, 1, "eventrecorder replay: interrupted\n"},
		{"replay --config", func(f, _ string) []string { return []string{"replay", "--config", f, fixturePath} }, 1, "eventrecorder replay: interrupted\n"},
		{"check-config", func(f, _ string) []string { return []string{"check-config", f} }, 1, "eventrecorder check-config: interrupted\n"},
		{"demo --config", func(f, _ string) []string { return []string{"demo", "--config", f} }, 1, "eventrecorder demo: interrupted\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fifo := mkfifo(t, dir)
			cmd, stdout, stderr, done := startCmd(t, dir, tc.args(fifo, dir)...)
			waitOpeningFIFO(t, cmd.Process.Pid)
			code := terminate(t, cmd, done)
			if code != tc.code || stderr.String() != tc.stderr || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stderr %q", code, stdout, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// openWriter opens the FIFO's writing end, which returns once the command
// has opened the reading end: from then on it waits for data.
func openWriter(t *testing.T, fifo string) *os.File {
	t.Helper()
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func TestSignalEndsACommandReadingAnIdleFIFO(t *testing.T) {
	t.Parallel()
	lines, want := fixture(t)
	golden := golden(t)

	t.Run("tail", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		fifo := mkfifo(t, dir)
		cmd, stdout, stderr, done := startCmd(t, dir, "tail", fifo)
		openWriter(t, fifo)
		if code := terminate(t, cmd, done); code != 0 || stdout.Len() != 0 || stderr.Len() != 0 {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and nothing said", code, stdout, stderr)
		}
	})

	t.Run("tail -f", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		fifo := mkfifo(t, dir)
		p := startTail(t, "-f", fifo)
		w := openWriter(t, fifo)
		if _, err := w.WriteString(lines[0] + "\n"); err != nil {
			t.Fatal(err)
		}
		expectLine(t, "line written to the FIFO", p.out, golden[0])
		sent := time.Now()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		ended := make(chan error, 1)
		go func() { ended <- p.wait() }()
		select {
		case err := <-ended:
			if err != nil || time.Since(sent) > signalBound {
				t.Errorf("tail -f ended %v after SIGTERM: %v", time.Since(sent), err)
			}
		case <-time.After(signalBound):
			t.Fatalf("tail -f still running %v after SIGTERM", signalBound)
		}
	})

	t.Run("replay", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		fifo := mkfifo(t, dir)
		cmd, _, stderr, done := startCmd(t, dir, "replay", "--config", fileConfig(t, dir), fifo)
		w := openWriter(t, fifo)
		if _, err := w.WriteString(lines[0] + "\n" + lines[1] + "\n"); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out.jsonl")
		testtool.WaitFor(t, "the two events written to the FIFO replayed", 20*time.Second, 5*time.Millisecond, func() bool {
			b, _ := os.ReadFile(out)
			return bytes.Count(b, []byte("\n")) == 2
		})
		code := terminate(t, cmd, done)
		if code != 1 || !strings.Contains(stderr.String(), "replayed 2 events from 1 input to 1 output") ||
			!strings.HasSuffix(stderr.String(), "eventrecorder replay: stopped early: interrupted\n") {
			t.Errorf("exit %d, stderr:\n%s\nwant exit 1, 2 events replayed, then interrupted", code, stderr)
		}
		sameEvents(t, "out.jsonl", readEvents(t, out), want[:2])
	})
}

// After a signal, replay lets its outputs deliver what they were given,
// saying so; a second signal ends it at once, whatever they are doing.
func TestSecondSignalEndsReplayAtOnce(t *testing.T) {
	t.Parallel()
	lines, _ := fixture(t)
	got := make(chan struct{}, 1)
	release := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- struct{}{}:
		default:
		}
		<-release // a receiver that never answers while the test runs
	}))
	t.Cleanup(hook.Close)
	t.Cleanup(func() { close(release) })

	dir := t.TempDir()
	fifo := mkfifo(t, dir)
	cfg := writeFile(t, filepath.Join(dir, "hook.yaml"), "webhook_outputs:\n  - url: "+hook.URL+"\n    timeout: 1m\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "replay", "--config", cfg, "--timeout", "1m", fifo)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errs, errsDone := lineReader(t, bufio.NewScanner(stderr))
	var waitErr error
	ended := make(chan struct{})
	go func() {
		<-errsDone
		waitErr = cmd.Wait()
		close(ended)
	}()
	defer func() {
		_ = cmd.Process.Kill()
		<-ended
	}()

	w := openWriter(t, fifo)
	// Two lines: the first, a startup event, fits both schema generations
	// and waits for the second, whose labels tell v1.
	if _, err := w.WriteString(lines[0] + "\n" + lines[1] + "\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got: // the events are in flight, and the receiver holds them
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook got no request")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expectLine(t, "notice after the first signal", errs,
		"eventrecorder replay: interrupted; waiting up to 1m0s for the outputs to deliver what they were given (signal again to exit at once)")
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("after the second signal: %v, want ended by SIGTERM", waitErr)
		}
		if took := time.Since(sent); took > signalBound {
			t.Errorf("ended %v after the second signal", took)
		}
	case <-time.After(signalBound):
		t.Fatalf("still running %v after the second signal", signalBound)
	}
}

// TestDemoOutToAFIFOWithoutReader: the file output opens a FIFO without
// waiting for a reader (sink/file), so demo --out on a FIFO nobody reads
// does not block: it ends at once, every event counted failed for that
// output, and exits 1.
func TestDemoOutToAFIFOWithoutReader(t *testing.T) {
	dir := t.TempDir()
	fifo := mkfifo(t, dir)
	cmd, _, stderr, done := startCmd(t, dir, "demo", "--out", fifo)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("demo --out FIFO did not end within 20s; stderr:\n%s", stderr)
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1; stderr:\n%s", code, stderr)
	}
	want := regexp.MustCompile(`file:\S+events\.fifo\s+delivered 0\s+dropped 0\s+failed 13\s`)
	if !want.MatchString(stderr.String()) {
		t.Errorf("stderr does not count 13 failed events for the FIFO:\n%s", stderr)
	}
	if !strings.Contains(stderr.String(), "no process has the FIFO open for reading") {
		t.Errorf("stderr does not say why:\n%s", stderr)
	}
}
