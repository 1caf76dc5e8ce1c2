package main_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// golden is the expected tail of the fixture, reviewed by hand against it.
func golden(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/lifecycle.tail")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func outLines(r result) []string {
	if r.stdout == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
}

func pick(lines []string, idx ...int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, lines[i])
	}
	return out
}

// TestTail runs every case on the v1 fixture and on its v2 counterpart:
// both render to the same golden lines, filters included.
func TestTail(t *testing.T) {
	t.Parallel()
	for _, fixture := range []struct{ schema, path string }{{"v1", fixturePath}, {"v2", fixtureV2Path}} {
		t.Run(fixture.schema, func(t *testing.T) {
			t.Parallel()
			testTail(t, fixture.path)
		})
	}
}

func testTail(t *testing.T, fixturePath string) {
	want := golden(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"all", nil, want},
		{"types", []string{"--type", "silence_created", "--type", "silence_updated"}, pick(want, 6, 9)},
		// NodeDown's own events, the notification that carries it, and the
		// silence whose matchers name it; not the inhibition of another
		// alert.
		{"label", []string{"--label", "alertname=NodeDown"}, pick(want, 1, 3, 5, 6, 7, 9, 10)},
		{"labels and type", []string{"--label", "alertname=HighLatency", "--label", "severity=warning", "--type", "inhibition_muted_alert"}, pick(want, 8)},
		{"no match", []string{"--label", "alertname=Nope"}, nil},
		{"last", []string{"-n", "2"}, pick(want, 11, 12)},
		{"last more than there are", []string{"-n", "20"}, want},
		{"none", []string{"-n", "0"}, nil},
		{"last of filtered", []string{"-n", "1", "--type", "alert_created"}, pick(want, 2)},
		{"flags after the file", []string{"--type", "notification"}, pick(want, 5)},
		{"never", []string{"--color", "never"}, want},
	} {
		args := append([]string{"tail"}, tc.args...)
		if tc.name == "flags after the file" {
			args = append([]string{"tail", fixturePath}, tc.args...)
		} else {
			args = append(args, fixturePath)
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, dir, "", args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%v", r)
			}
			if got := outLines(r); !slices.Equal(got, tc.want) {
				t.Errorf("eventrecorder %s\n got:\n%s\nwant:\n%s", strings.Join(args, " "), strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestTailColourOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Not a terminal: no colour, whatever the environment.
	if r := run(t, dir, "", "tail", fixturePath); strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("colour codes on a pipe:\n%q", r.stdout)
	}
	r := run(t, dir, "", "tail", "--color", "always", "--type", "alert_created", fixturePath)
	lines := outLines(r)
	if len(lines) != 2 || !strings.Contains(lines[0], "\x1b[31malert_created") {
		t.Errorf("--color always: %q", r.stdout)
	}
}

func TestTailStdinAndMalformedLines(t *testing.T) {
	t.Parallel()
	lines, _ := fixture(t)
	want := golden(t)
	dir := t.TempDir()
	r := run(t, dir, strings.Join(lines, "\n")+"\n", "tail", "-")
	if r.code != 0 || !slices.Equal(outLines(r), want) {
		t.Errorf("tail -: %v", r)
	}

	withBad := append(slices.Clone(lines[:2]), "this is not json")
	withBad = append(withBad, lines[2:]...)
	path := writeFile(t, filepath.Join(dir, "bad.jsonl"), strings.Join(withBad, "\n")+"\n")
	r = run(t, dir, "", "tail", path)
	if r.code != 1 || !strings.Contains(r.stderr, path+":3: malformed line skipped") {
		t.Errorf("tail with a malformed line: want exit 1 naming line 3, got %v", r)
	}
	if !slices.Equal(outLines(r), want) {
		t.Errorf("the other lines were not all shown:\n%s", r.stdout)
	}

	r = run(t, dir, "", "tail", filepath.Join(dir, "missing.jsonl"))
	if r.code != 2 || !strings.Contains(r.stderr, "missing.jsonl") {
		t.Errorf("tail of a missing file: want exit 2, got %v", r)
	}
	r = run(t, dir, "", "tail", "-f", filepath.Join(dir, "missing.jsonl"))
	if r.code != 2 || !strings.Contains(r.stderr, "missing.jsonl") {
		t.Errorf("tail -f of a missing file: want exit 2, got %v", r)
	}
	// A directory is an unreadable file too, not one with a malformed line.
	sub := filepath.Join(dir, "events.d")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"tail", sub}, {"tail", "-f", sub}} {
		r = run(t, dir, "", args...)
		if r.code != 2 || r.stderr != "eventrecorder tail: open "+sub+": is a directory\n" || r.stdout != "" {
			t.Errorf("%s: want exit 2 saying it is a directory, got %v", strings.Join(args, " "), r)
		}
	}
}

// lineReader delivers a stream's lines on a channel until it ends.
func lineReader(t *testing.T, r *bufio.Scanner) (<-chan string, <-chan struct{}) {
	lines := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(lines)
		for r.Scan() {
			lines <- r.Text()
		}
	}()
	return lines, done
}

func expectLine(t *testing.T, what string, ch <-chan string, want string) {
	t.Helper()
	select {
	case got, ok := <-ch:
		if !ok {
			t.Fatalf("%s: stream ended, want %q", what, want)
		}
		if got != want {
			t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no line within 20s, want %q", what, want)
	}
}

func expectContaining(t *testing.T, what string, ch <-chan string, want string) {
	t.Helper()
	select {
	case got, ok := <-ch:
		if !ok || !strings.Contains(got, want) {
			t.Fatalf("%s: got %q (open %v), want a line containing %q", what, got, ok, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no line within 20s, want one containing %q", what, want)
	}
}

func TestTailFollowAcrossAppendRotationAndTruncation(t *testing.T) {
	t.Parallel()
	lines, _ := fixture(t)
	want := golden(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	writeFile(t, path, lines[0]+"\n"+lines[1]+"\n")

	p := startTail(t, "-f", "--poll", "10ms", "--type", "alertmanager_startup_event", "--type", "alert_created", "--type", "notification", "--type", "silence_created", path)
	outCh, errCh := p.out, p.errs

	expectLine(t, "existing line 1", outCh, want[0])
	expectLine(t, "existing line 2", outCh, want[1])

	// Appended lines show up; filtered-out ones (alert_grouped) do not.
	appendLines(t, path, lines[2], lines[3])
	expectLine(t, "appended line", outCh, want[2])

	// Rotation: rename, then a new file with the next events.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendLines(t, path, lines[4], lines[5])
	expectContaining(t, "rotation notice", errCh, "events.jsonl was rotated")
	expectLine(t, "line of the new file", outCh, want[5])

	// copytruncate: the file is emptied in place, then written again.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	expectContaining(t, "truncation notice", errCh, "events.jsonl was truncated")
	appendLines(t, path, lines[6])
	expectLine(t, "line after truncation", outCh, want[6])

	// Interrupted, tail -f ends cleanly.
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := p.wait()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) {
		t.Errorf("tail -f after SIGINT: %v", err)
	}
	for l := range outCh {
		t.Errorf("unexpected output line %q", l)
	}
}

// tailProc is a running tail command.
type tailProc struct {
	cmd       *exec.Cmd
	out, errs <-chan string // its stdout and stderr lines
	streams   chan struct{} // closed when both streams have ended
}

// startTail runs "eventrecorder tail args..."; the process is killed at
// the end of the test if it is still running.
func startTail(t *testing.T, args ...string) *tailProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, append([]string{"tail"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &tailProc{cmd: cmd, streams: make(chan struct{})}
	var outDone, errDone <-chan struct{}
	p.out, outDone = lineReader(t, bufio.NewScanner(stdout))
	p.errs, errDone = lineReader(t, bufio.NewScanner(stderr))
	go func() {
		<-outDone
		<-errDone
		close(p.streams)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.streams
		_ = cmd.Wait()
		cancel()
	})
	return p
}

// wait waits for the process to end, its streams first, as exec requires.
func (p *tailProc) wait() error {
	<-p.streams
	return p.cmd.Wait()
}

func appendLines(t *testing.T, p string, ls ...string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Join(ls, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// tail -f -n 0 shows none of the events already in the file, only those
// appended while it runs, as tail(1) does.
func TestTailFollowFromTheEnd(t *testing.T) {
	t.Parallel()
	lines, _ := fixture(t)
	want := golden(t)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	writeFile(t, path, strings.Join(lines[:5], "\n")+"\n")
	out := startTail(t, "-f", "-n", "0", "--poll", "10ms", path).out
	// There is no telling when tail has read what was there: append the
	// notification until it shows. Whatever shows must be an appended one.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(20 * time.Second)
	for shown := 0; shown < 2; {
		select {
		case l, ok := <-out:
			if !ok {
				t.Fatal("tail -f ended")
			}
			if l != want[5] {
				t.Fatalf("tail -f -n 0 showed %q; want only the appended %q", l, want[5])
			}
			shown++
		case <-tick.C:
			appendLines(t, path, lines[5])
		case <-deadline:
			t.Fatal("no appended line shown within 20s")
		}
	}
}

// copytruncate and the writer's next batch can both happen between two
// looks, leaving the file longer than where tail was: tail must see the
// truncation, not read on from the middle of a line.
func TestTailFollowFileRewrittenWithinOnePoll(t *testing.T) {
	t.Parallel()
	lines, _ := fixture(t)
	want := golden(t)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	writeFile(t, path, lines[0]+"\n"+lines[1]+"\n")
	p := startTail(t, "-f", "--poll", "300ms", path)
	expectLine(t, "existing line 1", p.out, want[0])
	expectLine(t, "existing line 2", p.out, want[1])
	// Truncated and written again in place (O_TRUNC keeps the inode),
	// longer than before, microseconds apart. Were a look to fall between
	// the two, the outcome would be the same.
	writeFile(t, path, strings.Join(lines[2:7], "\n")+"\n")
	expectContaining(t, "truncation notice", p.errs, "events.jsonl was truncated; reading it from the start")
	for i := 2; i < 7; i++ {
		expectLine(t, fmt.Sprintf("rewritten line %d", i-1), p.out, want[i])
	}
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(); err != nil {
		t.Errorf("tail -f after SIGINT: %v (a malformed line makes it exit 1)", err)
	}
	for l := range p.errs {
		t.Errorf("unexpected stderr line %q", l)
	}
}

// What tail shows must be greppable in the file: a fingerprint is shown as
// the file holds it (protojson writes a uint64 as a decimal string), not
// in Alertmanager's hex.
func TestTailFingerprintsAreAsInTheFile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, t.TempDir(), "", "tail", fixturePath)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	fps := regexp.MustCompile(`(?:fingerprint|inhibited_by)=(\S+)`).FindAllStringSubmatch(r.stdout, -1)
	if len(fps) != 4 {
		t.Fatalf("tail shows %d fingerprint fields, want 4 (2 alert_created, silence_muted_alert, inhibition_muted_alert):\n%s", len(fps), r.stdout)
	}
	for _, m := range fps {
		for _, fp := range strings.Split(m[1], ",") {
			if !bytes.Contains(b, []byte(`"`+fp+`"`)) {
				t.Errorf("tail shows fingerprint %s, which grep does not find in the file", fp)
			}
		}
	}
}

// A real v0.35.0 file renders line by line as reviewed in its golden
// (regenerate it when the harness regenerates the file; the line count and
// every event type are checked against the file here).
func TestTailV035(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/v0.35.0-lifecycle.tail")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for _, args := range [][]string{{"tail", v035Path}, {"tail", "--schema", "v2", v035Path}} {
		r := run(t, dir, "", args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v: %v", args, r)
		}
		if got := outLines(r); !slices.Equal(got, want) {
			t.Errorf("%v\n got:\n%s\nwant:\n%s", args, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if len(want) != 24 {
		t.Errorf("golden has %d lines, the file 24 events", len(want))
	}
	// -v says which generation it saw: detected at the first line only
	// v2 reads, given, or (for lines that fit both) undecided.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tail", "-v", v035Path}, "eventrecorder tail: schema v2, detected at " + v035Path + ":2 ("},
		{[]string{"tail", "-v", fixturePath}, "eventrecorder tail: schema v1, detected at " + fixturePath + ":2 ("},
		{[]string{"tail", "-v", "--schema", "v2", v035Path}, "eventrecorder tail: schema v2 (--schema v2)\n"},
	} {
		r := run(t, dir, "", c.args...)
		if r.code != 0 || !strings.HasPrefix(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line starting %q (%v)", c.args, r.stderr, c.want, r)
		}
		if got := outLines(r); len(got) != map[bool]int{true: 24, false: 13}[strings.Contains(c.args[len(c.args)-1], "v0.35")] {
			t.Errorf("%v: %d lines", c.args, len(got))
		}
	}
	v035, err := os.ReadFile(v035Path)
	if err != nil {
		t.Fatal(err)
	}
	both := filepath.Join(dir, "both.jsonl")
	if err := os.WriteFile(both, []byte(strings.SplitAfter(string(v035), "\n")[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, dir, "", "tail", "-v", both); r.code != 0 || !strings.Contains(r.stderr, "schema undecided") {
		t.Errorf("tail -v of a startup line alone: %v", r)
	}

	// Label filters read v2's label objects: DiskFull's five events.
	r := run(t, dir, "", "tail", "--label", "alertname=DiskFull", "--label", "cluster=c2", v035Path)
	if got := outLines(r); r.code != 0 || !slices.Equal(got, pick(want, 15, 16, 17, 18, 21, 22)) {
		t.Errorf("--label alertname=DiskFull: %v", r)
	}
}

var mixedLine = regexp.MustCompile(`(?m)^(.+):(\d+): line of another schema generation skipped: expected a (v[12]) event \((.*?)\), got a (v[12]) one`)

// A file mixing generations: the lines of the other generation than the
// file's first deciding line are refused one by one, each naming its
// file:line and what was expected; the rest are shown.
func TestTailMixedGenerations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	v1, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := os.ReadFile(v035Path)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, filepath.Join(dir, "mixed.jsonl"), string(v1)+string(v2))
	r := run(t, dir, "", "tail", path)
	if r.code != 1 {
		t.Fatalf("want exit 1: %v", r)
	}
	refused := mixedLine.FindAllStringSubmatch(r.stderr, -1)
	// 24 v2 lines, of which startup, silence_created, silence_updated (no
	// label set: the silence has no annotations) and shutdown fit v1.
	if len(refused) != 20 || strings.Count(r.stderr, "\n") != 20 {
		t.Fatalf("want 20 lines refused, got %d:\n%s", len(refused), r.stderr)
	}
	for _, m := range refused {
		if m[1] != path || m[3] != "v1" || m[4] != "the input's schema generation, detected at "+path+":2" || m[5] != "v2" {
			t.Errorf("refusal %q", m[0])
		}
	}
	if refused[0][2] != "15" || refused[19][2] != "36" {
		t.Errorf("first and last refused lines %s and %s, want 15 and 36", refused[0][2], refused[19][2])
	}
	if got := outLines(r); len(got) != 13+4 || !slices.Equal(got[:13], golden(t)) {
		t.Errorf("want the 13 v1 lines and 4 v2 lines fitting both, got:\n%s", r.stdout)
	}

	// --schema v1 on a v2 file: all but the four lines fitting both refused,
	// naming the flag.
	r = run(t, dir, "", "tail", "--schema", "v1", v035Path)
	refused = mixedLine.FindAllStringSubmatch(r.stderr, -1)
	if r.code != 1 || len(refused) != 20 || refused[0][4] != "--schema v1" || len(outLines(r)) != 4 {
		t.Errorf("--schema v1 on a v2 file: %d refused: %v", len(refused), r)
	}
	if r := run(t, dir, "", "tail", "--schema", "v3", v035Path); r.code != 2 || !strings.Contains(r.stderr, `--schema "v3" is not v1, v2 or auto`) {
		t.Errorf("--schema v3: %v", r)
	}
}
