package file_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

const rotations = 5

// logrotateRig runs the real logrotate, forced, against a file output
// that eight goroutines keep delivering to.
type logrotateRig struct {
	t       *testing.T
	bin     string
	dir     string // config, state and script flag files
	logs    string // the output's directory
	path    string
	conf    string
	state   string
	gate    sync.RWMutex
	writers *writers
}

// newLogrotateRig writes a logrotate configuration for the output's file
// with the directives returned by directives(flag directory).
func newLogrotateRig(t *testing.T, directives func(dir string) string) *logrotateRig {
	r := &logrotateRig{t: t, bin: testtool.Require(t, "logrotate"), dir: t.TempDir()}
	r.logs = filepath.Join(r.dir, "logs")
	if err := os.Mkdir(r.logs, 0o755); err != nil {
		t.Fatal(err)
	}
	r.path = filepath.Join(r.logs, "events.jsonl")
	r.conf = filepath.Join(r.dir, "logrotate.conf")
	r.state = filepath.Join(r.dir, "logrotate.state")
	conf := fmt.Sprintf("%s {\n    rotate 100\n    missingok\n    nocompress\n%s}\n", r.path, directives(r.dir))
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// flag is a file the rotation scripts touch or wait for.
func (r *logrotateRig) flag(name string) string { return filepath.Join(r.dir, name) }

// pauseScripts are prerotate/postrotate scripts that hand control to the
// test around logrotate's copy and truncate: prerotate says "pre" and
// waits (at most 30 s) for "go"; postrotate says "post".
func pauseScripts(dir string) string {
	return fmt.Sprintf(`    prerotate
        touch %[1]s/pre
        i=0
        while [ ! -e %[1]s/go ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i+1)); done
        rm -f %[1]s/go
    endscript
    postrotate
        touch %[1]s/post
    endscript
`, dir)
}

// rotate runs logrotate once; with pause, delivery is held off between
// the prerotate and postrotate scripts.
func (r *logrotateRig) rotate(pause bool) {
	t := r.t
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(r.bin, "-f", "-s", r.state, r.conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	waitFlag := func(name string) {
		t.Helper()
		deadline := time.Now().Add(waitTimeout)
		for {
			if err := os.Remove(r.flag(name)); err == nil {
				return
			}
			select {
			case err := <-done:
				exited = true
				t.Fatalf("logrotate exited (%v) before its %s script ran:\n%s", err, name, out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for logrotate's %s script", name)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	defer func() {
		if !exited {
			cmd.Process.Kill()
			<-done
		}
	}()
	if pause {
		waitFlag("pre")
		r.gate.Lock() // waits for batches being written, holds off new ones
		if err := os.WriteFile(r.flag("go"), nil, 0o644); err != nil {
			r.gate.Unlock()
			t.Fatal(err)
		}
		waitFlag("post")
		r.gate.Unlock()
	}
	select {
	case err := <-done:
		exited = true
		if err != nil || out.Len() > 0 {
			t.Fatalf("logrotate: %v\n%s", err, out.String())
		}
	case <-time.After(waitTimeout):
		t.Fatalf("logrotate did not finish within %v", waitTimeout)
	}
}

// run rotates while events stream and returns how many were sent.
func (r *logrotateRig) run(s *file.Sink[int], pause bool, wait func(n int)) int {
	r.writers = startWriters(s, 8, 10, 0, &r.gate)
	stopped := false
	defer func() {
		if !stopped {
			r.writers.Stop()
		}
	}()
	wait(300)
	for range rotations {
		r.rotate(pause)
		wait(300)
	}
	stopped = true
	return r.writers.Stop()
}

// TestLogrotateCreate: logrotate renames the file and creates a new one
// while batches keep coming; every delivered line is in exactly one file.
func TestLogrotateCreate(t *testing.T) {
	rotateStrictly(t, func(string) string { return "    create 0640\n" }, false)
}

// TestLogrotateCopytruncate: logrotate copies the file and truncates it in
// place. Lines written between the end of the copy and the truncation are
// lost by logrotate's design, whatever the writer does (its manual says
// so), so delivery is paused from prerotate to postrotate, as a writer
// that cares must arrange; then every delivered line is accounted for.
// Delivery goes on while logrotate starts, reads its state and finishes.
// O_APPEND is what puts writes after the truncation at the start of the
// file rather than behind a hole of NUL bytes, which parseLines rejects.
func TestLogrotateCopytruncate(t *testing.T) {
	rotateStrictly(t, func(dir string) string { return "    copytruncate\n" + pauseScripts(dir) }, true)
}

// rotatedRun is what a logrotate test has to check after rotating under
// load: what was reported, how many messages were sent, and what the
// files hold (seen counts each sequence number found).
type rotatedRun struct {
	rep   *sinktest.Reporter[int]
	sent  int
	seen  map[int]int
	lines int
	files []string
}

// rotateUnderLoad runs logrotate with the given directives while writers
// deliver (paused around each rotation if pause is set), closes the sink
// and reads back every file in the log directory.
func rotateUnderLoad(t *testing.T, directives func(dir string) string, pause bool) rotatedRun {
	t.Helper()
	r := newLogrotateRig(t, directives)
	s, rep := newSink(t, file.Config{Path: r.path})
	wait := func(n int) { d, _, _ := rep.Counts(); rep.WaitDelivered(t, d+n, waitTimeout) }
	sent := r.run(s, pause, wait)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	run := rotatedRun{rep: rep, sent: sent, seen: map[int]int{}}
	if !pause && strings.Contains(directives(r.logs), "copytruncate") {
		// logrotate's copy reads the file while a write may be landing, and
		// a read of a regular file is not atomic against a write: a copy
		// can end inside the batch being written. The rest of that line is
		// then truncated away with the other lines of the window, so only
		// a rotated copy's last, unterminated line may be a fragment.
		trimTornCopies(t, r.logs, "events.jsonl.")
	}
	run.lines, run.files = readDir(t, r.logs, "events.jsonl", run.seen)
	return run
}

// trimTornCopies cuts an unterminated last line off each rotated copy
// (files named prefix+N), logging what it cut.
func trimTornCopies(t *testing.T, dir, prefix string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 || data[len(data)-1] == '\n' {
			continue
		}
		keep := bytes.LastIndexByte(data, '\n') + 1
		t.Logf("%s: copy ends inside a write; cut the fragment %q", e.Name(), data[keep:])
		if err := os.WriteFile(path, data[:keep], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rotateStrictly rotates under load and requires that nothing was lost:
// one more file than rotations, no drops or failures, and every delivered
// message in the files exactly once.
func rotateStrictly(t *testing.T, directives func(dir string) string, pause bool) {
	t.Helper()
	run := rotateUnderLoad(t, directives, pause)
	t.Logf("%d messages in files %v", run.lines, run.files)
	if len(run.files) != rotations+1 {
		t.Errorf("files %v, want events.jsonl and %d rotated ones", run.files, rotations)
	}
	assertConservation(t, run.rep, run.sent)
	if _, dr, f := run.rep.Counts(); dr+f != 0 {
		t.Errorf("dropped %d failed %d, want none (errors %v)", dr, f, run.rep.Errors())
	}
	assertExactlyDelivered(t, run.rep, run.seen, run.lines)
}

// TestLogrotateCopytruncateUnpaused shows what copytruncate costs when
// writes are not paused: lines written between copy and truncate are gone.
// What can still be required is that nothing is duplicated or torn, no
// line is found that was not delivered, and the file has no NUL hole.
func TestLogrotateCopytruncateUnpaused(t *testing.T) {
	run := rotateUnderLoad(t, func(string) string { return "    copytruncate\n" }, false)
	rep, seen, lines, files := run.rep, run.seen, run.lines, run.files
	assertConservation(t, rep, run.sent)
	d, dr, f := rep.Counts()
	if dr+f != 0 {
		t.Errorf("dropped %d failed %d, want none (errors %v)", dr, f, rep.Errors())
	}
	delivered := map[int]bool{}
	for _, m := range rep.Delivered() {
		delivered[m.Event] = true
	}
	for seq, n := range seen {
		if n != 1 {
			t.Errorf("seq %d found %d times", seq, n)
		}
		if !delivered[seq] {
			t.Errorf("seq %d found but not reported delivered", seq)
		}
	}
	if lines > d {
		t.Errorf("%d lines found, only %d delivered", lines, d)
	}
	t.Logf("%d delivered, %d found in files %v: %d lost in logrotate's copy-to-truncate window", d, lines, files, d-lines)
}
