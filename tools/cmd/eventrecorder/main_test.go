// The tests drive the real binary, built once in TestMain, the way a user
// or a script runs it: arguments in, exit status and output streams out.
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
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

// bin is the eventrecorder binary under test.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eventrecorder-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "eventrecorder")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building the eventrecorder binary: %v\n", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	leakcheck.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		_ = os.RemoveAll(dir)
		os.Exit(code)
	}))
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// run runs the binary in dir with stdin and returns what it did. It fails
// the test if the binary does not exit within a minute.
func run(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("eventrecorder %s: %v\n%s", strings.Join(args, " "), err, r)
	}
	return r
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readEvents decodes a JSONL file, failing on any malformed line.
func readEvents(t *testing.T, path string) []*eventrecorderpb.Event {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeLines(t, path, string(b))
}

func decodeLines(t *testing.T, name, s string) []*eventrecorderpb.Event {
	t.Helper()
	var out []*eventrecorderpb.Event
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		ev, err := jsonl.Decode(sc.Bytes())
		if err != nil {
			t.Fatalf("%s:%d: %v", name, n, err)
		}
		out = append(out, ev)
	}
	return out
}

// fixturePath is testdata/lifecycle.jsonl, absolute because the binary
// runs in a temporary directory: the demo's lifecycle, recorded once with
// spaced timestamps by instance am-1:9093.
var fixturePath = abs("testdata/lifecycle.jsonl")

// Schema v2 inputs:
//   - fixtureV2Path is the same lifecycle in v2's shape (label sets as
//     objects, grouped alerts carrying a fingerprint), what event/v2 writes
//     for it: derived from lifecycle.jsonl by rewriting those fields;
//   - v035Path is a lifecycle stock Alertmanager v0.35.0 wrote (see its
//     .md), a real v2 file.
var (
	fixtureV2Path = abs("testdata/lifecycle-v2.jsonl")
	v035Path      = abs("../../../internal/alertmanagertest/testdata/v0.35.0-lifecycle.jsonl")
)

func abs(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	return p
}

func fixture(t *testing.T) (lines []string, events []*eventrecorderpb.Event) {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	return lines, decodeLines(t, fixturePath, string(b))
}

func sameEvents(t *testing.T, what string, got, want []*eventrecorderpb.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			t.Errorf("%s: event %d differs:\n got %v\nwant %v", what, i, got[i], want[i])
		}
	}
}

func types(evs []*eventrecorderpb.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = event.EventTypeName(ev.GetData())
	}
	return out
}
