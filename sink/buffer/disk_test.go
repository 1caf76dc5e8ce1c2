package buffer_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/eventrecorder/eventrecorder/queue"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

func diskBuffer(dir string, maxBytes buffer.Size) buffer.Config {
	return buffer.Config{Type: buffer.TypeDisk, Path: dir, MaxBytes: maxBytes}
}

func values(msgs []sink.Message[int]) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Value)
	}
	slices.Sort(out)
	return out
}

// A disk buffer closed while the receiver is down reports every event
// Persisted; the next output on the directory replays them first (counted
// Replayed, reported with the zero Event) and delivers each.
func TestDiskBufferPersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	rc := newReceiver(t, true)
	r1 := newTally()
	s := newOutput(t, hook(t, rc, diskBuffer(dir, 16<<20)), r1)
	const n = 3000
	sent := messages(0, n)
	for i := 0; i < n; i += 100 {
		s.Deliver(sent[i : i+100])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r1.count(sink.Persisted) != n || r1.total() != n {
		t.Fatalf("at close: persisted %d of %d outcomes, want all %d", r1.count(sink.Persisted), r1.total(), n)
	}
	want := values(sent)
	if got := values(r1.msgs(sink.Persisted)); !slices.Equal(got, want) {
		t.Fatal("persisted values differ from the ones delivered")
	}

	rc.answer(0)
	r2 := newTally()
	s2 := newOutput(t, hook(t, rc, diskBuffer(dir, 16<<20)), r2)
	if st := s2.(sink.Buffered).BufferStats(); st.Replayed != n {
		t.Fatalf("replayed %d records, want %d", st.Replayed, n)
	}
	r2.wait(t, "every replayed event delivered", func() bool { return r2.count(sink.Delivered) == n })
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if r2.total() != n {
		t.Fatalf("%d outcomes after restart, want %d", r2.total(), n)
	}
	got := r2.msgs(sink.Delivered)
	for _, m := range got {
		if m.Event != 0 || m.Type != "test_event" || string(m.Key) != "k" || m.Time.IsZero() {
			t.Fatalf("replayed message %+v: want the zero Event and the type, key and time stored", m)
		}
	}
	if !slices.Equal(values(got), want) {
		t.Fatal("replayed values differ from the ones stored")
	}
	if rc.distinct() != n {
		t.Fatalf("receiver got %d distinct events, want %d", rc.distinct(), n)
	}
	if st := s2.(sink.Buffered).BufferStats(); st.Events != 0 {
		t.Fatalf("buffer holds %d after delivering everything", st.Events)
	}
}

// A disk buffer full under drop_newest drops exactly the newest events
// beyond what it holds; what it holds is Persisted at Close.
func TestDiskFullDropNewestCountsExactly(t *testing.T) {
	dir := t.TempDir()
	rc := newReceiver(t, true)
	r := newTally()
	s := newOutput(t, hook(t, rc, diskBuffer(dir, buffer.MinMaxBytes)), r)
	const n = 10000
	sent := messages(0, n)
	for i := 0; i < n; i += 500 {
		s.Deliver(sent[i : i+500])
	}
	held := int(s.(sink.Buffered).BufferStats().Events)
	if held == 0 || held == n {
		t.Fatalf("buffer of %d bytes holds %d of %d events", buffer.MinMaxBytes, held, n)
	}
	if got := events(r.msgs(sink.Dropped)); !slices.Equal(got, seq(n)[held:]) {
		t.Fatalf("dropped %d events, want the newest %d", len(got), n-held)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A disk buffer keeps no Event (see Wrap): compare the values.
	if got := values(r.msgs(sink.Persisted)); !slices.Equal(got, values(sent[:held])) {
		t.Fatalf("persisted %d events, want the oldest %d", len(got), held)
	}
	if r.total() != n {
		t.Fatalf("%d outcomes for %d events", r.total(), n)
	}
}

// Two outputs of one process cannot share a directory: the second fails
// at New naming the path and the output holding it; CheckDistinct finds
// the same before anything is built.
func TestTwoOutputsOneDirectory(t *testing.T) {
	dir := t.TempDir()
	rc := newReceiver(t, false)
	cfg := hook(t, rc, diskBuffer(dir, 1<<20))
	s := newOutput(t, cfg, newTally())
	defer s.Close()
	cfg2 := cfg
	cfg2.Name = "second"
	cfg2.Buffer.Path = dir + "/."
	_, err := webhook.Kind[int]().New(cfg2, env(t, newTally(), nil))
	var fe *sink.FieldError
	if !errors.As(err, &fe) || fe.Path != "buffer.path" || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), s.Name()) {
		t.Fatalf("second output on %s: %v, want an error at buffer.path naming the directory and %s", dir, err, s.Name())
	}
	errs := buffer.CheckDistinct([]buffer.Output{{Path: "webhook_outputs[0]", Config: cfg}, {Path: "webhook_outputs[1]", Config: cfg2}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "webhook_outputs[1].buffer.path") || !strings.Contains(errs[0].Error(), "webhook_outputs[0]") {
		t.Fatalf("CheckDistinct: %v", errs)
	}
	// Closed, the directory is free for the next output.
	_ = s.Close()
	s3, err := webhook.Kind[int]().New(cfg2, env(t, newTally(), nil))
	if err != nil {
		t.Fatalf("directory still taken after Close: %v", err)
	}
	_ = s3.Close()
}

const childEnv = "BUFFER_TEST_CHILD"

// runChild is the test binary run as a child: "lock DIR" holds DIR's
// queue until stdin closes; "open DIR" builds a disk-buffered output on
// DIR and prints the error.
func runChild(spec string) int {
	verb, dir, _ := strings.Cut(spec, " ")
	switch verb {
	case "lock":
		d, err := queue.OpenDisk(dir, queue.DiskOptions{})
		if err != nil {
			fmt.Println("error:", err)
			return 1
		}
		fmt.Println("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = d.Close()
		return 0
	case "open":
		u, _ := webhook.ParseURL("http://127.0.0.1:1/")
		s, err := webhook.Kind[int]().New(webhook.Config{URL: u, Buffer: diskBuffer(dir, 1<<20)}, sink.Env[int]{})
		if err != nil {
			fmt.Println(err)
			return 0
		}
		_ = s.Close()
		fmt.Println("opened")
		return 0
	}
	return 2
}

func child(t *testing.T, spec string, cred *syscall.Credential, bin string) *exec.Cmd {
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.Stderr = os.Stderr
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = "/"
	}
	return cmd
}

// A directory another process holds is an error at New that names it.
func TestDirectoryLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := child(t, "lock "+dir, nil, "")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child: %q, %v", line, err)
	}
	rc := newReceiver(t, false)
	_, err = webhook.Kind[int]().New(hook(t, rc, diskBuffer(dir, 1<<20)), env(t, newTally(), nil))
	var fe *sink.FieldError
	if !errors.As(err, &fe) || fe.Path != "buffer.path" || !strings.Contains(err.Error(), fmt.Sprintf("%q", dir)) || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("New on a directory another process holds: %v", err)
	}
}

// A directory the process cannot read is an error at New that names it.
// Root reads anything, so as root the output is built by a child running
// as nobody (uid 65534).
func TestUnreadableDirectory(t *testing.T) {
	base, err := os.MkdirTemp("", "buffer-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "buf")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		rc := newReceiver(t, false)
		_, err := webhook.Kind[int]().New(hook(t, rc, diskBuffer(dir, 1<<20)), env(t, newTally(), nil))
		if err == nil || !strings.Contains(err.Error(), "buffer.path") || !strings.Contains(err.Error(), dir) {
			t.Fatalf("New on an unreadable directory: %v", err)
		}
		return
	}
	// The child's binary must be reachable by nobody: copy it beside dir.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "buffer.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := child(t, "open "+dir, &syscall.Credential{Uid: 65534, Gid: 65534}, bin).Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	got := string(out)
	if !strings.HasPrefix(got, "buffer.path: ") || !strings.Contains(got, fmt.Sprintf("%q", dir)) || !strings.Contains(got, "permission denied") {
		t.Fatalf("New as uid 65534 on a directory of mode 0700 owned by root: %q", got)
	}
	t.Logf("error: %s", got)
}
