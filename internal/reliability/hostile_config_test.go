package reliability_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// hostileConfigs are configurations and inputs that once cost minutes,
// gigabytes, or a wrong answer — quadratic error explanation, unbounded
// reads, a check-config that said "valid" for what New refused, problems
// hidden behind the first, paths and values misreported — each written
// down exactly (generators spell out the big ones) and run through the
// public API or the eventrecorder command. A row must finish within its
// bound and the heap may not grow beyond its bound while it runs; a row
// running the command bounds the command's peak resident memory too.
//
// The time bounds are there to catch work that grows with the square of
// the input, which took 31 s for the 12 KB of the first row and would
// take hours for the 1 MB ones, not to time the decoder: a 1 MB document
// is rejected in 1.3 to 5 s on an idle machine without -race, in 10 to
// 30 s with it (2026-12-03). Each row's bound is what it needs with -race
// on an idle machine; boundSlack doubles it because go test runs two
// packages' binaries at once on two cores, so that a row may get half of
// them (the webhook URL row took 31.6 s against its 30 in make test).
var hostileConfigs = []struct {
	name   string
	input  string // the input, exactly, or how it is generated
	within time.Duration
	heap   uint64
	rss    int64 // peak resident bytes of the command, for rows that run it
	run    func(t *testing.T, h *hostile)
}{
	// Point 3: explaining problems takes time linear in the document, and
	// at most the first 20 are listed.
	{
		name:   "4,000 empty event_types (12 KB)",
		input:  "stdout_outputs: [{event_types: ['', '', ... 4,000 of them]}]",
		within: 5 * time.Second, heap: 64 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc := "stdout_outputs: [{event_types: [" + strings.Repeat("'', ", 3999) + "'']}]"
			_, err := loadConfig(t, doc)
			wantFirst(t, err, 3980, func(i int) string {
				return fmt.Sprintf(`stdout_outputs[0].event_types[%d]: unknown event type "" %s`, i, knownTypes)
			})
		},
	},
	{
		name:   "3,000 unknown fields in one file output",
		input:  "file_outputs:\n- path: /tmp/x\n  f0: 1\n  ... f2999: 1",
		within: 5 * time.Second, heap: 64 << 20,
		run: func(t *testing.T, _ *hostile) {
			_, err := loadConfig(t, "file_outputs:\n- path: /tmp/x\n"+lines(3000, "  f%d: 1\n"))
			wantFirst(t, err, 2980, func(i int) string { return fmt.Sprintf("file_outputs[0].f%d: unknown field", i) })
		},
	},
	{
		name:   "a 3,000-deep unknown mapping",
		input:  "file_outputs: [{path: /tmp/x, x: {a: {a: ... 3,000 deep ... 1}}}]",
		within: 5 * time.Second, heap: 64 << 20,
		run: func(t *testing.T, _ *hostile) {
			_, err := loadConfig(t, "file_outputs: [{path: /tmp/x, x: "+strings.Repeat("{a: ", 3000)+"1"+strings.Repeat("}", 3000)+"}]")
			wantError(t, err, "mappings and lists nest more than 64 levels deep")
		},
	},
	{
		name:   "1 MB: unknown fields in one file output",
		input:  "file_outputs:\n- path: /tmp/x\n  f0: 1\n  ... until the document is 1 MiB",
		within: 30 * time.Second, heap: 512 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc, n := fill("file_outputs:\n- path: /tmp/x\n", "  f%d: 1\n")
			wantFirst(t, loadOnce(t, doc), n-20, func(i int) string { return fmt.Sprintf("file_outputs[0].f%d: unknown field", i) })
		},
	},
	{
		name:   "1 MB: empty event types",
		input:  "webhook_outputs: [{url: http://x/, event_types: ['', '', ... until 1 MiB]}]",
		within: 30 * time.Second, heap: 512 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc, n := fill("webhook_outputs: [{url: 'http://x/', event_types: [", "'', ", "'']}]")
			n++ // the last ''
			// Each is empty (the webhook's check) and unknown (the
			// recorder's): said once, at its path.
			err := loadOnce(t, doc)
			if got := countProblems(t, err); got != n {
				t.Errorf("%d problems, want %d (1 for each empty event type); error starts:\n%.300v", got, n, err)
			}
		},
	},
	{
		name:   "1 MB: webhook outputs whose URL's own decoder refuses it",
		input:  "webhook_outputs:\n- {url: 'ftp://x/0'}\n- {url: 'ftp://x/1'}\n... until 1 MiB",
		within: 30 * time.Second, heap: 512 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc, n := fill("webhook_outputs:\n", "- {url: 'ftp://x/%d'}\n")
			wantFirst(t, loadOnce(t, doc), n-20, func(i int) string {
				return fmt.Sprintf(`webhook_outputs[%d].url: scheme "ftp" of "ftp://x/%d" is not http or https`, i, i)
			})
		},
	},
	{
		name:   "1 MB: a file mode that is a 1 MB mapping 60 deep",
		input:  "file_outputs: [{path: /tmp/x, mode: {a: {a: ... 60 deep {b0: 1, b1: 1, ... until 1 MiB}}}}]",
		within: 30 * time.Second, heap: 512 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc, _ := fill("file_outputs: [{path: /tmp/x, mode: "+strings.Repeat("{a: ", 60)+"{", "b%d: 1, ", "z: 1}"+strings.Repeat("}", 60)+"}]")
			wantError(t, loadOnce(t, doc), `file_outputs[0].mode: must be an octal permission such as "0640", got a mapping`)
		},
	},
	{
		name:   "1 MB: unknown fields in http_config.tls_config",
		input:  "webhook_outputs: [{url: http://x/, http_config: {tls_config: {b0: 1, b1: 1, ... until 1 MiB}}}]",
		within: 30 * time.Second, heap: 512 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc, n := fill("webhook_outputs: [{url: 'http://x/', http_config: {tls_config: {", "b%d: 1, ", "z: 1}}}]")
			wantFirst(t, loadOnce(t, doc), n+1-20, func(i int) string {
				return fmt.Sprintf("webhook_outputs[0].http_config.tls_config.b%d: unknown field", i)
			})
		},
	},
	{
		name:   "1 MB: Kafka brokers, every one a bad port",
		input:  "kafka_outputs: [{topic: t, brokers: ['a:1000000', 'a:1000001', ... until 1 MiB, 'a:0']}]",
		within: 30 * time.Second, heap: 512 << 20,
		run: func(t *testing.T, _ *hostile) {
			doc, n := fill("kafka_outputs: [{topic: t, brokers: [", "'a:1%06d',", "'a:0']}]")
			if got := countProblems(t, loadOnce(t, doc)); got != n+1 {
				t.Errorf("%d problems, want %d", got, n+1)
			}
		},
	},

	// Point 4: files that should be small are read up to a limit.
	{
		name:   "webhook url_file: /dev/zero",
		input:  "webhook_outputs: [{url_file: /dev/zero}]",
		within: 10 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			wantError(t, newFrom(t, h.input), `webhook_outputs[0].url_file: reading "/dev/zero": larger than 64 KiB, the limit for a URL file`)
		},
	},
	{
		name:   "Kafka sasl.password_file: /dev/zero",
		input:  "kafka_outputs: [{brokers: ['127.0.0.1:1'], topic: t, sasl: {mechanism: PLAIN, username: u, password_file: /dev/zero}}]",
		within: 10 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			wantError(t, newFrom(t, h.input), `kafka_outputs[0].sasl.password_file: cannot read "/dev/zero": larger than 64 KiB, the limit for a password file`)
		},
	},
	{
		name:   "event.LoadConfigFile(/dev/zero)",
		input:  "/dev/zero",
		within: 10 * time.Second, heap: 32 << 20,
		run: func(t *testing.T, h *hostile) {
			_, err := event.LoadConfigFile(h.input)
			wantError(t, err, "/dev/zero: larger than 4 MiB, the limit for a configuration")
		},
	},
	{
		name:   "eventrecorder check-config /dev/zero",
		input:  "eventrecorder check-config /dev/zero",
		within: 60 * time.Second, heap: 16 << 20, rss: 128 << 20,
		run: func(t *testing.T, h *hostile) {
			r := h.command(t, nil, "check-config", "/dev/zero")
			r.want(t, 2, "", "eventrecorder check-config: cannot read configuration: /dev/zero: larger than 4 MiB, the limit for a configuration\n")
		},
	},
	{
		name:   "eventrecorder check-config - < /dev/zero",
		input:  "eventrecorder check-config - < /dev/zero",
		within: 60 * time.Second, heap: 16 << 20, rss: 128 << 20,
		run: func(t *testing.T, h *hostile) {
			zero, err := os.Open("/dev/zero")
			must(t, err)
			defer zero.Close()
			r := h.command(t, zero, "check-config", "-")
			r.want(t, 2, "", "eventrecorder check-config: cannot read configuration: larger than 4 MiB, the limit for a configuration\n")
		},
	},
	{
		name:   "eventrecorder tail: a 2 GiB sparse line, then an event",
		input:  "eventrecorder tail FILE, FILE being 2 GiB of zero bytes (a hole), a newline and one event",
		within: 120 * time.Second, heap: 16 << 20, rss: 256 << 20,
		run: func(t *testing.T, h *hostile) {
			path := sparseEvents(t)
			r := h.command(t, nil, "tail", "--color", "never", path)
			if r.code != 1 || !strings.Contains(r.stdout, "alert_created") || strings.Count(r.stdout, "\n") != 1 ||
				!strings.HasPrefix(r.stderr, path+":1: line of 2147483648 bytes skipped: longer than 16 MiB, the limit for an event line\n") {
				t.Errorf("want exit 1, the event shown and line 1 reported:\n%v", r)
			}
		},
	},
	{
		name:   "eventrecorder replay: a 2 GiB sparse line, then an event",
		input:  "eventrecorder replay --config CFG FILE, FILE as above, CFG a file output",
		within: 120 * time.Second, heap: 16 << 20, rss: 256 << 20,
		run: func(t *testing.T, h *hostile) {
			path := sparseEvents(t)
			out := filepath.Join(t.TempDir(), "out.jsonl")
			cfg := filepath.Join(t.TempDir(), "cfg.yml")
			must(t, os.WriteFile(cfg, []byte(fmt.Sprintf("file_outputs: [{path: %q}]\n", out)), 0o600))
			r := h.command(t, nil, "replay", "--config", cfg, path)
			replayed, _ := os.ReadFile(out)
			if r.code != 1 || strings.Count(string(replayed), "\n") != 1 || !strings.Contains(string(replayed), "alertCreated") ||
				!strings.Contains(r.stderr, path+":1: line of 2147483648 bytes skipped: longer than 16 MiB, the limit for an event line\n") {
				t.Errorf("want exit 1, the event replayed and line 1 reported:\n%v\nreplayed: %q", r, replayed)
			}
		},
	},

	// Point 11: what check-config (LoadConfig, Validate, Describe)
	// accepts, New accepts; these were "valid" and then refused.
	{
		name:   "two stdout outputs",
		input:  "stdout_outputs: [{}, {}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			_, err := loadConfig(t, h.input)
			wantError(t, err, `stdout_outputs[1]: output "stdout" is already configured by stdout_outputs[0]; outputs need distinct names (set name: on one of them)`)
		},
	},
	{
		name:   "two file outputs, one path",
		input:  "file_outputs: [{path: /tmp/events.jsonl}, {path: /tmp/events.jsonl, fsync: batch}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			_, err := loadConfig(t, h.input)
			wantError(t, err, `file_outputs[1]: output "file:/tmp/events.jsonl" is already configured by file_outputs[0]; outputs need distinct names (set name: on one of them)`)
		},
	},
	{
		name:   "two webhooks differing only in ?token=",
		input:  "webhook_outputs: [{url: 'https://hooks.example.com/in?token=a'}, {url: 'https://hooks.example.com/in?token=b'}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			_, err := loadConfig(t, h.input)
			wantError(t, err, `webhook_outputs[1]: output "webhook:https://hooks.example.com/in" is already configured by webhook_outputs[0]; outputs need distinct names (set name: on one of them)`)
		},
	},

	// Point 12: every problem of every output.
	{
		name:   "a file output with seven mistakes",
		input:  "file_outputs: [{path: /tmp/x, path: /tmp/y, mode: 999, fsync: sometimes, colour: red, event_types: [alert_creatd, [x]], name: ' x'}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			_, err := loadConfig(t, h.input)
			wantError(t, err, `file_outputs[0].path: key appears more than once
file_outputs[0].mode: must be a permission between 0000 and 0777, got 999 (write it in octal, such as 0640 or "0640")
file_outputs[0].colour: unknown field
file_outputs[0].event_types[1]: must be a string, got a list
file_outputs[0].fsync: must be "none" or "batch", got "sometimes"
file_outputs[0].event_types[0]: unknown event type "alert_creatd" `+knownTypes+`
file_outputs[0].name: " x" has leading or trailing space`)
		},
	},
	{
		name:   "a webhook output with six mistakes, two of them found by nested decoders",
		input:  "webhook_outputs: [{url: 'ftp://x/', timeout: soon, retry_backoff: later, workers: -1, colour: red, http_config: {proxy_url: 'http://[p/', bogus: 1}}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			_, err := loadConfig(t, h.input)
			wantError(t, err, `webhook_outputs[0].url: scheme "ftp" of "ftp://x/" is not http or https
webhook_outputs[0].timeout: not a valid duration string: "soon"
webhook_outputs[0].retry_backoff: not a valid duration string: "later"
webhook_outputs[0].colour: unknown field
webhook_outputs[0].http_config: parse "http://[p/": missing ']' in host
webhook_outputs[0].http_config.bogus: unknown field
webhook_outputs[0].workers: -1 is negative`)
		},
	},

	// Point 13: paths and values as written, caught at load where they
	// can be.
	{
		name: "unknown field with a mapping value", input: "file_outputs: [{path: /tmp/x, extra: {mode: 1}}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: loadFails("file_outputs[0].extra: unknown field"),
	},
	{
		name: "unknown field two mappings deep", input: "file_outputs: [{path: /tmp/x, colour: {x: {y: 1}}}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: loadFails("file_outputs[0].colour: unknown field"),
	},
	{
		name: "a list for a password in http_config", input: "webhook_outputs: [{url: 'http://x/', http_config: {basic_auth: {username: u, password: [x]}}}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: loadFails("webhook_outputs[0].http_config.basic_auth.password: must be a string, got a list"),
	},
	{
		name: "a decimal file mode", input: "file_outputs: [{path: /tmp/x, mode: 999}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: loadFails(`file_outputs[0].mode: must be a permission between 0000 and 0777, got 999 (write it in octal, such as 0640 or "0640")`),
	},
	{
		name: "an octal file mode too wide", input: "file_outputs: [{path: /tmp/x, mode: 01777}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: loadFails(`file_outputs[0].mode: must be a permission between 0000 and 0777, got 01777 (write it in octal, such as 0640 or "0640")`),
	},
	{
		name: "a URL with port 99999", input: "webhook_outputs: [{url: 'http://hooks.example.com:99999/in'}]",
		within: 5 * time.Second, heap: 16 << 20,
		run: loadFails(`webhook_outputs[0].url: port 99999 of "http://hooks.example.com:99999/in" is not a number from 1 to 65535`),
	},
	{
		name: "a dangling symbolic link as the file path", input: "file_outputs: [{path: DIR/dangling}], DIR/dangling -> DIR/nowhere/events.jsonl",
		within: 10 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, _ *hostile) {
			dir := t.TempDir()
			link, target := filepath.Join(dir, "dangling"), filepath.Join(dir, "nowhere", "events.jsonl")
			must(t, os.Symlink(target, link))
			err := newFrom(t, fmt.Sprintf("file_outputs: [{path: %q}]", link))
			wantError(t, err, fmt.Sprintf(`file_outputs[0].path: cannot open %q: it is a symbolic link to %q, which does not exist`, link, target))
		},
	},
	{
		name: "fsync: batch on /dev/null", input: "file_outputs: [{path: /dev/null, fsync: batch}]",
		within: 10 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, h *hostile) {
			wantError(t, newFrom(t, h.input), `file_outputs[0].fsync: is "batch", but "/dev/null" cannot be fsynced (invalid argument); use "none" for it`)
		},
	},
	{
		name: "an unknown Options.JSONEncoder", input: `event.Options{JSONEncoder: "jsoniter"}`,
		within: 5 * time.Second, heap: 16 << 20,
		run: func(t *testing.T, _ *hostile) {
			rec, err := event.New(event.Config{StdoutOutputs: []event.StdoutOutputConfig{{}}}, event.Options{JSONEncoder: "jsoniter"})
			if err == nil {
				rec.Close()
			}
			wantError(t, err, `event recorder: Options.JSONEncoder "jsoniter" is not "generated" or "protojson"`)
		},
	},
}

// boundSlack scales every row's time bound (see hostileConfigs).
const boundSlack = 2

func TestHostileConfigs(t *testing.T) {
	h := &hostile{}
	for _, row := range hostileConfigs {
		t.Run(row.name, func(t *testing.T) {
			t.Logf("input: %s", row.input)
			if row.rss > 0 {
				h.build(t)
			}
			h.input, h.rss = row.input, 0
			stop := sampleHeap()
			start := time.Now()
			row.run(t, h)
			took := time.Since(start)
			growth := stop()
			t.Logf("FIGURES hostile config %q: %v, heap grew by at most %.1f MiB, command peak RSS %.1f MiB",
				row.name, took.Round(time.Millisecond), float64(growth)/(1<<20), float64(h.rss)/(1<<20))
			if took > boundSlack*row.within {
				t.Errorf("took %v, over its bound of %v", took, boundSlack*row.within)
			}
			if growth > row.heap {
				t.Errorf("the heap grew by %.1f MiB, over its bound of %.1f MiB", float64(growth)/(1<<20), float64(row.heap)/(1<<20))
			}
			if h.rss > row.rss && row.rss > 0 {
				t.Errorf("the command's resident memory peaked at %.1f MiB, over its bound of %.1f MiB", float64(h.rss)/(1<<20), float64(row.rss)/(1<<20))
			}
		})
	}
}

// hostile is what a row gets: its input, and the command built once.
type hostile struct {
	input string

	once     sync.Once
	bin      string
	buildErr error
	rss      int64 // the peak resident memory of the last command run
}

// build builds the eventrecorder command (without -race: the rows bound
// its memory, not the test's) into a directory that outlives the rows.
func (h *hostile) build(t *testing.T) {
	t.Helper()
	h.once.Do(func() {
		dir, err := os.MkdirTemp("", "eventrecorder-hostile-")
		if err != nil {
			h.buildErr = err
			return
		}
		h.bin = filepath.Join(dir, "eventrecorder")
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			h.buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", h.bin, "./tools/cmd/eventrecorder")
		cmd.Dir = strings.TrimSpace(string(root))
		if out, err := cmd.CombinedOutput(); err != nil {
			h.buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if h.buildErr != nil {
		t.Fatalf("building the eventrecorder command: %v", h.buildErr)
	}
}

type commandResult struct {
	stdout, stderr string
	code           int
}

func (r commandResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

func (r commandResult) want(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code || r.stdout != stdout || r.stderr != stderr {
		t.Errorf("got:\n%v\nwant exit %d, stdout %q, stderr %q", r, code, stdout, stderr)
	}
}

// command runs the built command with stdin (nil: none) and records its
// peak resident memory.
func (h *hostile) command(t *testing.T, stdin *os.File, args ...string) commandResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	h.rss = 0
	err := cmd.Start()
	if err == nil {
		done := make(chan struct{})
		polled := make(chan int64)
		go func() { polled <- peakRSS(cmd.Process.Pid, done) }()
		err = cmd.Wait()
		close(done)
		h.rss = <-polled
	}
	r := commandResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && ctx.Err() == nil:
		r.code = exit.ExitCode()
	default:
		t.Fatalf("eventrecorder %s: %v\n%v", strings.Join(args, " "), err, r)
	}
	return r
}

// peakRSS polls the high-water mark of the resident memory of process
// pid until done. (The rusage of a child is no use: on Linux it counts the
// parent's memory, shared until exec.) A growth in the last moments before
// exit can be missed; one to gigabytes cannot.
func peakRSS(pid int, done <-chan struct{}) int64 {
	var peak int64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				var kb int64
				if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
					peak = max(peak, kb<<10)
				}
			}
		}
		select {
		case <-done:
			return peak
		case <-tick.C:
		}
	}
}

// sparseEvents writes a file of 2 GiB of zero bytes (a hole: no disk is
// used), a newline and one event line.
func sparseEvents(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	ev, err := protojson.Marshal(&eventrecorderpb.Event{Instance: "am-1:9093", Timestamp: timestamppb.New(time.Unix(1764600000, 0)),
		Data: event.NewAlertCreatedEvent(&alert.Alert{Alert: model.Alert{Labels: model.LabelSet{"alertname": "NodeDown"}}})})
	must(t, err)
	_, err = f.WriteAt(append(append([]byte("\n"), ev...), '\n'), 2<<30)
	must(t, err)
	return path
}

// loadFails is a row that wants LoadConfig to fail with msg.
func loadFails(msg string) func(*testing.T, *hostile) {
	return func(t *testing.T, h *hostile) {
		_, err := loadConfig(t, h.input)
		wantError(t, err, msg)
	}
}

// loadOnce is LoadConfig alone, for the 1 MB documents: loadConfig
// decodes each of them nine ways.
func loadOnce(t *testing.T, doc string) error {
	t.Helper()
	if len(doc) > 1<<20 {
		t.Fatalf("the document is %d bytes, over 1 MiB", len(doc))
	}
	_, err := event.LoadConfig([]byte(doc))
	return err
}

// newFrom loads the configuration, which must load, and returns New's
// error.
func newFrom(t *testing.T, doc string) error {
	t.Helper()
	cfg := mustLoad(t, doc)
	rec, err := event.New(cfg, event.Options{CloseTimeout: time.Second})
	if err == nil {
		rec.Close()
	}
	return err
}

func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got: %v\nwant: %s", err, want)
	}
}

// wantFirst wants the 20 problems line(0) to line(19), then "and more
// more problems".
func wantFirst(t *testing.T, err error, more int, line func(int) string) {
	t.Helper()
	var want []string
	for i := range 20 {
		want = append(want, line(i))
	}
	want = append(want, fmt.Sprintf("and %d more problems", more))
	wantError(t, err, strings.Join(want, "\n"))
}

// countProblems is how many problems an error lists and counts.
func countProblems(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	var more int
	if _, scanErr := fmt.Sscanf(lines[len(lines)-1], "and %d more problems", &more); scanErr == nil {
		return len(lines) - 1 + more
	}
	return len(lines)
}

// lines repeats format for 0 to n-1.
func lines(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// fill writes prefix, then format for 0, 1, 2... while the document stays
// within 1 MiB with the suffix, and returns it with the number of items.
func fill(prefix, format string, suffix ...string) (string, int) {
	end := strings.Join(suffix, "")
	var b strings.Builder
	b.WriteString(prefix)
	n := 0
	for ; ; n++ {
		item := format
		if strings.Contains(format, "%") {
			item = fmt.Sprintf(format, n)
		}
		if b.Len()+len(item)+len(end) > 1<<20 {
			break
		}
		b.WriteString(item)
	}
	b.WriteString(end)
	return b.String(), n
}

// TestCheckConfigAgreesWithNew is check-config's promise: it "loads the
// file exactly as the library does". For each configuration, written in
// YAML and built in Go, LoadConfig, Describe and Validate accept it if
// and only if New does, and refuse it with New's message. (Files that
// cannot be opened and brokers that cannot be reached are New's alone;
// no row has them.)
func TestCheckConfigAgreesWithNew(t *testing.T) {
	dir := t.TempDir()
	urlA, urlB := filepath.Join(dir, "url-a"), filepath.Join(dir, "url-b")
	must(t, os.WriteFile(urlA, []byte("https://hooks.example.com/in?token=a\n"), 0o600))
	must(t, os.WriteFile(urlB, []byte("https://hooks.example.com/in?token=b\n"), 0o600))
	file := func(name string) string { return filepath.Join(dir, name) }
	secret := func(s string) *webhook.SecretURL {
		u, err := webhook.ParseURL(s)
		must(t, err)
		return u
	}
	dup := func(path, name, prev string) string {
		return fmt.Sprintf("%s: output %q is already configured by %s; outputs need distinct names (set name: on one of them)", path, name, prev)
	}
	for _, row := range []struct {
		name, yaml string
		cfg        event.Config
		want       string // "" for accepted
	}{
		{
			name: "one of each kind",
			yaml: fmt.Sprintf("file_outputs: [{path: %q}]\nstdout_outputs: [{}]\nwebhook_outputs: [{url: 'https://hooks.example.com/in?token=a'}]\nkafka_outputs: [{brokers: ['127.0.0.1:1'], topic: t}]", file("a.jsonl")),
			cfg: event.Config{FileOutputs: []event.FileOutputConfig{{Path: file("a.jsonl")}}, StdoutOutputs: []event.StdoutOutputConfig{{}},
				WebhookOutputs: []event.WebhookOutputConfig{{URL: secret("https://hooks.example.com/in?token=a")}},
				KafkaOutputs:   []event.KafkaOutputConfig{{Brokers: []string{"127.0.0.1:1"}, Topic: "t"}}},
		},
		{
			name: "two stdout outputs",
			yaml: "stdout_outputs: [{}, {}]",
			cfg:  event.Config{StdoutOutputs: []event.StdoutOutputConfig{{}, {}}},
			want: dup("stdout_outputs[1]", "stdout", "stdout_outputs[0]"),
		},
		{
			name: "two stdout outputs with names",
			yaml: "stdout_outputs: [{name: a}, {name: b, event_types: [notification]}]",
			cfg:  event.Config{StdoutOutputs: []event.StdoutOutputConfig{{Name: "a"}, {Name: "b", Filter: filter("notification")}}},
		},
		{
			name: "two file outputs, one path",
			yaml: fmt.Sprintf("file_outputs: [{path: %q}, {path: %q, fsync: batch}]", file("b.jsonl"), file("b.jsonl")),
			cfg:  event.Config{FileOutputs: []event.FileOutputConfig{{Path: file("b.jsonl")}, {Path: file("b.jsonl"), Fsync: "batch"}}},
			want: dup("file_outputs[1]", "file:"+file("b.jsonl"), "file_outputs[0]"),
		},
		{
			name: "a file output and a stdout output both named audit",
			yaml: fmt.Sprintf("file_outputs: [{path: %q, name: audit}]\nstdout_outputs: [{name: audit}]", file("c.jsonl")),
			cfg:  event.Config{FileOutputs: []event.FileOutputConfig{{Path: file("c.jsonl"), Name: "audit"}}, StdoutOutputs: []event.StdoutOutputConfig{{Name: "audit"}}},
			want: dup("stdout_outputs[0]", "audit", "file_outputs[0]"),
		},
		{
			name: "two webhooks differing only in ?token=",
			yaml: "webhook_outputs: [{url: 'https://hooks.example.com/in?token=a'}, {url: 'https://hooks.example.com/in?token=b'}]",
			cfg:  event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URL: secret("https://hooks.example.com/in?token=a")}, {URL: secret("https://hooks.example.com/in?token=b")}}},
			want: dup("webhook_outputs[1]", "webhook:https://hooks.example.com/in", "webhook_outputs[0]"),
		},
		{
			name: "two webhooks differing only in ?token=, named",
			yaml: "webhook_outputs: [{url: 'https://hooks.example.com/in?token=a', name: a}, {url: 'https://hooks.example.com/in?token=b', name: b}]",
			cfg: event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URL: secret("https://hooks.example.com/in?token=a"), Name: "a"},
				{URL: secret("https://hooks.example.com/in?token=b"), Name: "b"}}},
		},
		{
			name: "two url_files holding URLs differing only in ?token=",
			yaml: fmt.Sprintf("webhook_outputs: [{url_file: %q}, {url_file: %q}]", urlA, urlB),
			cfg:  event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URLFile: urlA}, {URLFile: urlB}}},
			want: dup("webhook_outputs[1]", "webhook:https://hooks.example.com/in", "webhook_outputs[0]"),
		},
		{
			name: "two Kafka outputs, brokers in another order",
			yaml: "kafka_outputs: [{brokers: ['127.0.0.1:1', '127.0.0.1:2'], topic: t}, {brokers: ['127.0.0.1:2', '127.0.0.1:1'], topic: t, acks: all}]",
			cfg: event.Config{KafkaOutputs: []event.KafkaOutputConfig{{Brokers: []string{"127.0.0.1:1", "127.0.0.1:2"}, Topic: "t"},
				{Brokers: []string{"127.0.0.1:2", "127.0.0.1:1"}, Topic: "t", Acks: "all"}}},
			want: dup("kafka_outputs[1]", "kafka:127.0.0.1:1,127.0.0.1:2/t", "kafka_outputs[0]"),
		},
	} {
		t.Run(row.name, func(t *testing.T) {
			check := func(what string, err error) {
				t.Helper()
				got := "<accepted>"
				if err != nil {
					got = err.Error()
				}
				want := row.want
				if want == "" {
					want = "<accepted>"
				}
				if got != want {
					t.Errorf("%s:\n got: %s\nwant: %s", what, got, want)
				}
			}
			loaded, err := loadConfig(t, row.yaml)
			if err == nil {
				_, err = loaded.Describe()
			}
			check("LoadConfig and Describe", err)
			for _, c := range []struct {
				what string
				cfg  event.Config
			}{{"loaded", loaded}, {"built in Go", row.cfg}} {
				if c.what == "loaded" && row.want != "" {
					continue // nothing loaded
				}
				check("Validate ("+c.what+")", c.cfg.Validate())
				_, err := c.cfg.Describe()
				check("Describe ("+c.what+")", err)
				rec, err := event.New(c.cfg, event.Options{CloseTimeout: time.Second})
				if err == nil {
					rec.Close()
				}
				check("New ("+c.what+")", err)
			}
		})
	}
}

func filter(types ...string) sink.Filter { return sink.Filter{EventTypes: types} }
