package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/lifecycle"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	t.Run("cases", func(t *testing.T) {
		for _, tc := range []struct {
			args       []string
			code       int
			wantStderr string
			wantStdout string
		}{
			{nil, 2, "Usage: eventrecorder COMMAND", ""},
			{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`, ""},
			{[]string{"help"}, 0, "", "check-config"},
			{[]string{"--help"}, 0, "", "replay"},
			{[]string{"help", "tail"}, 0, "Usage: eventrecorder tail", ""},
			{[]string{"demo", "-h"}, 0, "Usage: eventrecorder demo", ""},
			{[]string{"demo", "--bogus"}, 2, "flag provided but not defined: -bogus", ""},
			{[]string{"demo", "extra"}, 2, `unexpected argument "extra"`, ""},
			{[]string{"demo", "--config", "x.yaml", "--out", "y.jsonl"}, 2, "--out applies to the default configuration", ""},
			{[]string{"demo", "--log-level", "loud"}, 2, `--log-level: "loud" is not debug, info, warn or error`, ""},
			{[]string{"demo", "--timeout", "soon"}, 2, `invalid value "soon" for flag -timeout`, ""},
			{[]string{"check-config"}, 2, "want exactly one configuration file (or - for stdin), got 0 arguments", ""},
			{[]string{"check-config", "a.yaml", "b.yaml"}, 2, "got 2 arguments", ""},
			{[]string{"replay", "events.jsonl"}, 2, "--config is required", ""},
			{[]string{"replay", "--config", "c.yaml"}, 2, "want at least one JSONL file", ""},
			{[]string{"replay", "--config", "c.yaml", "-", "-"}, 2, "standard input (-) can be read only once", ""},
			{[]string{"tail"}, 2, "want exactly one JSONL file (or - for stdin), got 0 arguments", ""},
			{[]string{"tail", "--type", "alert_fired", "f"}, 2, `--type "alert_fired" is not an event type (known: alertmanager_startup_event,`, ""},
			{[]string{"tail", "--label", "severity", "f"}, 2, `--label "severity" is not name=value`, ""},
			{[]string{"tail", "--label", "=x", "f"}, 2, `--label "=x" is not name=value`, ""},
			{[]string{"tail", "-f", "-"}, 2, "-f needs a file, not standard input", ""},
			{[]string{"tail", "--color", "sometimes", "f"}, 2, `--color "sometimes" is not auto, always or never`, ""},
			{[]string{"tail", "-n", "-1", "f"}, 2, "-n must not be negative, got -1", ""},
			{[]string{"tail", "f", "-n"}, 2, "flag needs an argument: -n", ""},
		} {
			t.Run(strings.Join(append([]string{"args"}, tc.args...), " "), func(t *testing.T) {
				t.Parallel()
				r := run(t, dir, "", tc.args...)
				if r.code != tc.code || !strings.Contains(r.stderr, tc.wantStderr) || !strings.Contains(r.stdout, tc.wantStdout) {
					t.Errorf("eventrecorder %s: want exit %d, stderr containing %q, stdout containing %q; got %v",
						strings.Join(tc.args, " "), tc.code, tc.wantStderr, tc.wantStdout, r)
				}
				if tc.code == 2 && tc.args != nil && !strings.Contains(r.stderr, "Usage") && !strings.Contains(r.stderr, "-h' for usage") {
					t.Errorf("eventrecorder %s: a usage error should point at the usage: %s", strings.Join(tc.args, " "), r.stderr)
				}
			})
		}
	})
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("usage errors left files behind: %v", entries)
	}
}

// outputLine is one line of a demo or replay summary.
type outputLine struct {
	delivered, dropped, failed, bytes uint64
}

var summaryLine = regexp.MustCompile(`(?m)^  (\S+)\s+delivered (\d+)\s+dropped (\d+)\s+failed (\d+)\s+bytes (\d+)(.*)$`)

// summary parses the per-output lines, failing on any UNACCOUNTED note.
func summary(t *testing.T, stderr string) map[string]outputLine {
	t.Helper()
	out := map[string]outputLine{}
	for _, m := range summaryLine.FindAllStringSubmatch(stderr, -1) {
		n := func(i int) uint64 { v, _ := strconv.ParseUint(m[i], 10, 64); return v }
		if strings.TrimSpace(m[6]) != "" {
			t.Errorf("summary of %s has a note: %q", m[1], m[6])
		}
		out[m[1]] = outputLine{n(2), n(3), n(4), n(5)}
	}
	return out
}

func lifecycleTypes() []string {
	var out []string
	for _, s := range lifecycle.Steps(time.Now()) {
		out = append(out, event.EventTypeName(s.Data))
	}
	return out
}

func TestDemoRecordsEveryEventTypeIntoFileAndStdout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	before := time.Now()
	r := run(t, dir, "", "demo")
	after := time.Now()
	if r.code != 0 {
		t.Fatalf("demo failed: %v", r)
	}
	path := filepath.Join(dir, "events.jsonl")
	evs := readEvents(t, path)
	want := lifecycleTypes()
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events.jsonl holds %v,\nwant the lifecycle %v", got, want)
	}
	for _, typ := range event.EventTypeNames() {
		if !slices.Contains(types(evs), typ) {
			t.Errorf("events.jsonl lacks event type %s", typ)
		}
	}
	// The lifecycle took minutes, not one millisecond: every event has a
	// later millisecond (what tail shows) than the one before, all in the
	// hour before the demo ran.
	for i, ev := range evs {
		if ev.GetInstance() != "demo-alertmanager:9093" {
			t.Errorf("event %d: instance %q", i, ev.GetInstance())
		}
		ts := ev.GetTimestamp().AsTime()
		if ts.After(after) || ts.Before(before.Add(-time.Hour)) {
			t.Errorf("event %d at %v, want within the hour before the demo ran at %v", i, ts, before)
		}
		if i > 0 && !ts.Truncate(time.Millisecond).After(evs[i-1].GetTimestamp().AsTime().Truncate(time.Millisecond)) {
			t.Errorf("event %d at %v is not a later millisecond than event %d at %v", i, ts, i-1, evs[i-1].GetTimestamp().AsTime())
		}
	}
	if span := evs[len(evs)-1].GetTimestamp().AsTime().Sub(evs[0].GetTimestamp().AsTime()); span < 10*time.Minute {
		t.Errorf("the lifecycle spans %v", span)
	}
	// The stdout output got the same events, encoded the same way.
	sameEvents(t, "stdout", decodeLines(t, "stdout", r.stdout), evs)
	b, _ := os.ReadFile(path)
	if r.stdout != string(b) {
		t.Errorf("stdout and events.jsonl differ byte-wise:\n%s\n%s", r.stdout, b)
	}

	s := summary(t, r.stderr)
	n := uint64(len(want))
	// Line outputs count each line's newline, as Alertmanager's do: the
	// bytes are the file's size.
	for _, name := range []string{"file:events.jsonl", "stdout"} {
		if got, want := s[name], (outputLine{delivered: n, bytes: uint64(len(b))}); got != want {
			t.Errorf("summary for %s: %+v, want %+v\n%s", name, got, want, r.stderr)
		}
	}
	if len(s) != 2 {
		t.Errorf("summary has %d outputs, want 2:\n%s", len(s), r.stderr)
	}
	if strings.Contains(r.stderr, "queue dropped") {
		t.Errorf("demo reports queue drops:\n%s", r.stderr)
	}

	// --out picks another file; the default one is left alone.
	r = run(t, dir, "", "demo", "--out", "other.jsonl", "--instance", "am-2")
	if r.code != 0 {
		t.Fatalf("demo --out failed: %v", r)
	}
	if got := types(readEvents(t, filepath.Join(dir, "other.jsonl"))); !slices.Equal(got, want) {
		t.Errorf("other.jsonl holds %v", got)
	}
	if s := summary(t, r.stderr); s["file:other.jsonl"].delivered != n {
		t.Errorf("summary does not name other.jsonl:\n%s", r.stderr)
	}
	if again := readEvents(t, path); len(again) != len(evs) {
		t.Errorf("events.jsonl changed to %d events", len(again))
	}
}

// The demo's last line suggests what to run next; run as suggested, in the
// same directory, it must work: shown with the command as it was started.
func TestDemoSuggestsACommandThatWorks(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../../..") // the module, where make demo runs
	if err != nil {
		t.Fatal(err)
	}
	path := os.Getenv("PATH")
	for _, tc := range []struct {
		name string
		out  string // the demo's output file, in its own directory
		// start returns the demo command, writing to outPath, and the
		// PATH the suggestion runs with.
		start      func(outPath string) (*exec.Cmd, string)
		suggestion string
	}{
		{"by path", "events.jsonl", func(string) (*exec.Cmd, string) {
			return exec.Command(bin, "demo"), path
		}, bin + " tail events.jsonl"},
		{"found on the PATH", "events.jsonl", func(string) (*exec.Cmd, string) {
			cmd := exec.Command(bin, "demo")
			cmd.Args[0] = "eventrecorder" // as a shell starts what it found on the PATH
			return cmd, filepath.Dir(bin) + string(os.PathListSeparator) + path
		}, "eventrecorder tail events.jsonl"},
		{"an output file name that needs quoting", "it's events.jsonl", func(string) (*exec.Cmd, string) {
			return exec.Command(bin, "demo", "--out", "it's events.jsonl"), path
		}, bin + ` tail 'it'\''s events.jsonl'`},
		// make demo: go run from the module's root. go run's binary is
		// gone once it exits, and eventrecorder is not on the PATH.
		{"go run", "events.jsonl", func(outPath string) (*exec.Cmd, string) {
			cmd := exec.Command("go", "run", "./tools/cmd/eventrecorder", "demo", "--out", outPath)
			cmd.Dir = root
			return cmd, path
		}, "go run ./tools/cmd/eventrecorder tail "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.name == "go run" && testing.Short() {
				t.Skip("builds the command again with go run")
			}
			dir := t.TempDir()
			outPath := filepath.Join(dir, tc.out)
			demo, pathEnv := tc.start(outPath)
			if demo.Dir == "" {
				demo.Dir = dir
			}
			var stderr strings.Builder
			demo.Stderr = &stderr
			if err := demo.Run(); err != nil {
				t.Fatalf("demo: %v\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			next, ok := strings.CutPrefix(lines[len(lines)-1], "next: ")
			if !ok || !strings.HasPrefix(next, tc.suggestion) {
				t.Fatalf("last line %q, want one suggesting %q", lines[len(lines)-1], tc.suggestion)
			}
			sh := exec.Command("sh", "-c", next)
			sh.Dir = demo.Dir
			sh.Env = append(os.Environ(), "PATH="+pathEnv)
			var shErr strings.Builder
			sh.Stderr = &shErr
			got, err := sh.Output()
			if err != nil {
				t.Fatalf("the suggested %q fails: %v\n%s", next, err, shErr.String())
			}
			want := run(t, dir, "", "tail", outPath)
			if want.code != 0 || string(got) != want.stdout || len(outLines(want)) != len(lifecycleTypes()) {
				t.Errorf("the suggested %q shows:\n%s\nwant the lifecycle's %d lines:\n%s", next, got, len(lifecycleTypes()), want.stdout)
			}
		})
	}
}

// webhookServer is a loopback receiver for non-batched webhook posts: one
// JSON event per request.
type webhookServer struct {
	*httptest.Server
	mu       sync.Mutex
	events   []*eventrecorderpb.Event
	requests int
	status   int
}

func newWebhookServer(t *testing.T, status int) *webhookServer {
	w := &webhookServer{status: status}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.requests++
		if err != nil {
			t.Errorf("webhook body: %v", err)
		}
		if w.status == http.StatusOK {
			ev, err := jsonl.Decode(body)
			if err != nil {
				t.Errorf("webhook body %q: %v", body, err)
			}
			w.events = append(w.events, ev)
		}
		rw.WriteHeader(w.status)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhookServer) got() ([]*eventrecorderpb.Event, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*eventrecorderpb.Event(nil), w.events...), w.requests
}

func TestDemoWithConfigSendsToConfiguredOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hook := newWebhookServer(t, http.StatusOK)
	cfg := writeFile(t, filepath.Join(dir, "outputs.yaml"), `
file_outputs:
  - path: audit.jsonl
webhook_outputs:
  - url: `+hook.URL+`/events?token=tok3n
    event_types: [notification, silence_created]
`)
	r := run(t, dir, "", "demo", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("demo --config failed: %v", r)
	}
	if r.stdout != "" {
		t.Errorf("no stdout output is configured, yet stdout has:\n%s", r.stdout)
	}
	got, requests := hook.got()
	gotTypes := types(got)
	slices.Sort(gotTypes) // the webhook's workers post concurrently
	if !slices.Equal(gotTypes, []string{"notification", "silence_created"}) || requests != 2 {
		t.Errorf("webhook got %d requests with %v, want notification and silence_created", requests, gotTypes)
	}
	if n := len(readEvents(t, filepath.Join(dir, "audit.jsonl"))); n != len(lifecycleTypes()) {
		t.Errorf("audit.jsonl has %d events", n)
	}
	s := summary(t, r.stderr)
	if s["file:audit.jsonl"].delivered != uint64(len(lifecycleTypes())) {
		t.Errorf("file output summary wrong:\n%s", r.stderr)
	}
	var webhook outputLine
	for name, l := range s {
		if strings.HasPrefix(name, "webhook:") {
			webhook = l
		}
	}
	if webhook.delivered != 2 || webhook.dropped+webhook.failed != 0 {
		t.Errorf("webhook summary %+v, want 2 delivered:\n%s", webhook, r.stderr)
	}
	if strings.Contains(r.stderr, "tok3n") {
		t.Errorf("the webhook URL's token leaked:\n%s", r.stderr)
	}
}

func TestDemoExitsNonZeroWhenAnOutputFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hook := newWebhookServer(t, http.StatusInternalServerError)
	cfg := writeFile(t, filepath.Join(dir, "outputs.yaml"), `
webhook_outputs:
  - url: `+hook.URL+`/events
    max_retries: 1
`)
	r := run(t, dir, "", "demo", "--config", cfg)
	if r.code != 1 {
		t.Fatalf("demo into a failing webhook: want exit 1, got %v", r)
	}
	n := len(lifecycleTypes())
	if _, requests := hook.got(); requests != n {
		t.Errorf("webhook got %d requests, want one per event (%d)", requests, n)
	}
	var line outputLine
	for name, l := range summary(t, r.stderr) {
		if strings.HasPrefix(name, "webhook:") {
			line = l
		}
	}
	if line.failed != uint64(n) || line.delivered != 0 {
		t.Errorf("summary %+v, want %d failed:\n%s", line, n, r.stderr)
	}
	if !strings.Contains(r.stderr, "some events did not reach their outputs") {
		t.Errorf("stderr does not say what went wrong:\n%s", r.stderr)
	}
}

func TestDemoConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "kafka_outputs:\n  - brokers: [localhost]\n    topic: events\n")
	r := run(t, dir, "", "demo", "--config", bad)
	if r.code != 1 || !strings.Contains(r.stderr, `bad.yaml: kafka_outputs[0].brokers[0]: "localhost" is not host:port`) {
		t.Errorf("demo with an invalid config: want exit 1 naming the field, got %v", r)
	}
	r = run(t, dir, "", "demo", "--config", filepath.Join(dir, "missing.yaml"))
	if r.code != 2 || !strings.Contains(r.stderr, "cannot read configuration") {
		t.Errorf("demo with a missing config: want exit 2, got %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "events.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a failed demo created events.jsonl")
	}
}

const validConfig = `
file_outputs:
  - path: /var/log/alertmanager/events.jsonl
    fsync: batch
webhook_outputs:
  - url: https://user:s3cret@hooks.example.com/events?token=tok3n
    event_types: [notification, silence_created]
kafka_outputs:
  - brokers: [broker-2:9092, broker-1:9092]
    topic: alertmanager-events
    format: protobuf
    sasl: {mechanism: SCRAM-SHA-512, username: am, password: hunter2}
stdout_outputs:
  - {}
`

func TestCheckConfigValid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "am.yaml"), validConfig)
	r := run(t, dir, "", "check-config", path)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("check-config of a valid file: %v", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 5 || lines[0] != path+": valid for schema v1 (output names optional), 4 outputs" {
		t.Fatalf("want a header and 4 output lines, got:\n%s", r.stdout)
	}
	for i, want := range [][]string{
		{"file_outputs[0]", "json", "all event types"},
		{"webhook_outputs[0]", "json", "event_types: notification, silence_created"},
		{"kafka_outputs[0]", "protobuf", "all event types"},
		{"stdout_outputs[0]", "json", "all event types"},
	} {
		f := strings.Fields(lines[i+1])
		if len(f) < 4 || f[0] != want[0] || f[2] != want[1] || strings.Join(f[3:], " ") != want[2] {
			t.Errorf("line %d: %q, want path %s, format %s, filter %q", i+1, lines[i+1], want[0], want[1], want[2])
		}
	}
	for _, secret := range []string{"s3cret", "tok3n", "hunter2"} {
		if strings.Contains(r.stdout, secret) {
			t.Errorf("check-config printed the secret %q:\n%s", secret, r.stdout)
		}
	}
	// The same file through stdin.
	r2 := run(t, dir, validConfig, "check-config", "-")
	if r2.code != 0 || strings.Replace(r2.stdout, "stdin:", path+":", 1) != r.stdout {
		t.Errorf("check-config - differs from check-config FILE:\n%v", r2)
	}
}

// check-config must print the names the outputs will have once running:
// the names in the metrics and in the demo's summary.
func TestCheckConfigNamesAreTheRunningOutputsNames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hook := newWebhookServer(t, http.StatusOK)
	u := strings.Replace(hook.URL, "http://", "http://user:s3cret@", 1) + "/events?token=tok3n"
	path := writeFile(t, filepath.Join(dir, "am.yaml"), `
file_outputs:
  - path: a.jsonl
  - path: b.jsonl
    event_types: [notification]
webhook_outputs:
  - url: `+u+`
stdout_outputs:
  - {}
`)
	r := run(t, dir, "", "check-config", path)
	if r.code != 0 {
		t.Fatalf("check-config: %v", r)
	}
	var listed []string
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		listed = append(listed, strings.Fields(l)[1])
	}
	d := run(t, dir, "", "demo", "--config", path)
	if d.code != 0 {
		t.Fatalf("demo: %v", d)
	}
	var running []string
	for _, m := range summaryLine.FindAllStringSubmatch(d.stderr, -1) {
		running = append(running, m[1])
	}
	if !slices.Equal(listed, running) {
		t.Errorf("check-config lists outputs %q; running they are named %q", listed, running)
	}
	for _, secret := range []string{"s3cret", "tok3n"} {
		if strings.Contains(r.stdout+d.stderr, secret) {
			t.Errorf("secret %q printed:\n%s\n%s", secret, r.stdout, d.stderr)
		}
	}
}

func TestCheckConfigInvalidListsEveryProblemWithItsPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "bad.yaml"), `
file_outputs:
  - path: events.jsonl
    colour: red
webhook_outputs:
  - url: https://hooks.example.com/a
  - url: ftp://user:s3cret@hooks.example.com/b?token=tok3n
kafka_outputs:
  - brokers: [localhost:9092]
stdout_outputs:
  - event_types: [alert_fired]
unknown_outputs: []
`)
	r := run(t, dir, "", "check-config", path)
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("check-config of an invalid file: want exit 1 and no stdout, got %v", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	want := []string{
		path + ": invalid configuration for schema v1, 5 problems:",
		"  " + path + ": file_outputs[0].colour: unknown field",
		"  " + path + `: webhook_outputs[1].url: scheme "ftp" of "ftp://xxxxx@hooks.example.com/b?xxxxx" is not http or https`,
		"  " + path + ": kafka_outputs[0].topic: a topic is required",
		"  " + path + `: stdout_outputs[0].event_types[0]: unknown event type "alert_fired" (known: ` + strings.Join(event.EventTypeNames(), ", ") + ")",
		"  " + path + ": \"unknown_outputs\": unknown key (want one of file_outputs, webhook_outputs, kafka_outputs, stdout_outputs)",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("stderr:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(r.stderr, "s3cret") || strings.Contains(r.stderr, "tok3n") {
		t.Errorf("an error leaked the URL's secrets:\n%s", r.stderr)
	}

	for _, tc := range []struct{ name, content, want string }{
		{"syntax.yaml", "file_outputs:\n  - path: [\n", "syntax.yaml: yaml: line "},
		{"scalar.yaml", "file_outputs: 3\n", "scalar.yaml: file_outputs: must be a list of outputs, got a number"},
		{"type.yaml", "webhook_outputs:\n  - url: https://a.example/x\n    timeout: soon\n", `type.yaml: webhook_outputs[0].timeout: not a valid duration string: "soon"`},
		{"shared-buffer.yaml", "webhook_outputs:\n  - {url: https://a.example/x, buffer: {type: disk, path: buf}}\n  - {url: https://b.example/x, buffer: {type: disk, path: ./buf}}\n",
			`shared-buffer.yaml: webhook_outputs[1].buffer.path: "./buf" is also the buffer directory of webhook_outputs[0]; two outputs cannot share one`},
	} {
		r := run(t, dir, "", "check-config", writeFile(t, filepath.Join(dir, tc.name), tc.content))
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: want exit 1 with %q, got %v", tc.name, tc.want, r)
		}
	}
}

func TestCheckConfigUnreadableAndEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{filepath.Join(dir, "missing.yaml"), dir} {
		r := run(t, dir, "", "check-config", path)
		if r.code != 2 || !strings.Contains(r.stderr, "cannot read configuration") {
			t.Errorf("check-config %s: want exit 2, got %v", path, r)
		}
	}
	r := run(t, dir, "", "check-config", writeFile(t, filepath.Join(dir, "empty.yaml"), "# nothing yet\n"))
	if r.code != 0 || !strings.Contains(r.stdout, "valid for schema v1, no outputs") {
		t.Errorf("check-config of an empty file: %v", r)
	}
}

// The demo's summary and check-config's listing are for people; the
// lifecycle in events.jsonl is for programs: it must be valid JSON objects
// with the wire reference's envelope keys.
func TestDemoFileIsPlainJSONWithReferenceKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if r := run(t, dir, "", "demo"); r.code != 0 {
		t.Fatalf("demo: %v", r)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, k := range []string{"@timestamp", "instance", "data"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, k, line)
			}
		}
	}
}
