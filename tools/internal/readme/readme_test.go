package readme_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the README text from the heading containing title to
// the next heading of the same or a higher level.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	i := strings.Index(doc, title)
	if i < 0 {
		t.Fatalf("README has no section %q", title)
	}
	start := strings.LastIndex(doc[:i], "\n") + 1
	level := strings.Count(strings.Fields(doc[start:])[0], "#")
	rest := doc[i:]
	next := regexp.MustCompile(`\n#{1,` + string(rune('0'+level)) + `} `).FindStringIndex(rest)
	if next == nil {
		return rest
	}
	return rest[:next[0]]
}

// yamlKeys lists the YAML keys of a configuration type, following inline
// structs (the event_types filter).
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if strings.Contains(opts, "inline") {
			keys = append(keys, yamlKeys(f.Type)...)
			continue
		}
		if name != "" && name != "-" && f.IsExported() {
			keys = append(keys, name)
		}
	}
	return keys
}

func TestTopCommands(t *testing.T) {
	doc := readme(t)
	top := strings.Join(strings.SplitN(doc, "\n", 12)[:11], "\n")
	for _, cmd := range []string{"make demo", "make test"} {
		if !strings.Contains(top, cmd) {
			t.Errorf("README does not show %q at the top:\n%s", cmd, top)
		}
	}
}

func TestEveryConfigFieldIsDocumented(t *testing.T) {
	doc := readme(t)
	for _, tc := range []struct {
		section string
		typ     reflect.Type
	}{
		{"`file_outputs`", reflect.TypeOf(file.Config{})},
		{"`webhook_outputs`", reflect.TypeOf(webhook.Config{})},
		{"`kafka_outputs`", reflect.TypeOf(kafka.Config{})},
	} {
		sec := section(t, doc, tc.section)
		for _, key := range yamlKeys(tc.typ) {
			if !strings.Contains(sec, "| `"+key+"` |") {
				t.Errorf("README section %s has no row for %s", tc.section, key)
			}
		}
	}
	// stdout has nothing but the settings every output has; its section
	// says so in prose, naming each.
	stdoutSec := section(t, doc, "`stdout_outputs`")
	for _, key := range yamlKeys(reflect.TypeOf(stdout.Config{})) {
		if !strings.Contains(stdoutSec, "`"+key+"`") {
			t.Errorf("README section `stdout_outputs` does not mention %s", key)
		}
	}
	for _, key := range yamlKeys(reflect.TypeOf(kafka.SASLConfig{})) {
		if !strings.Contains(section(t, doc, "`kafka_outputs`"), "`"+key+"`") {
			t.Errorf("README does not mention kafka sasl.%s", key)
		}
	}
	for _, kind := range event.Kinds() {
		if !strings.Contains(doc, "`"+kind.Key()+"`") {
			t.Errorf("README does not document %s", kind.Key())
		}
	}
}

func TestDefaultsMatchTheCode(t *testing.T) {
	sec := section(t, readme(t), "`webhook_outputs`")
	for key, want := range map[string]string{
		"timeout":              webhook.DefaultTimeout.String(),
		"workers":              "4",
		"max_retries":          "3",
		"retry_backoff":        webhook.DefaultRetryBackoff.String(),
		"queue_size":           "1024",
		"batch_max_events":     "100",
		"batch_max_bytes":      "1048576",
		"batch_flush_interval": webhook.DefaultBatchFlushInterval.String(),
	} {
		if !strings.Contains(sec, "| `"+key+"` | `"+want+"` |") {
			t.Errorf("README: webhook %s should default to %s", key, want)
		}
	}
	if webhook.DefaultWorkers != 4 || webhook.DefaultMaxRetries != 3 || webhook.DefaultQueueSize != 1024 ||
		webhook.DefaultBatchMaxEvents != 100 || webhook.DefaultBatchMaxBytes != 1048576 {
		t.Error("webhook defaults changed: update the README and this test")
	}
	ksec := section(t, readme(t), "`kafka_outputs`")
	if !strings.Contains(ksec, "| `client_id` | `"+kafka.DefaultClientID+"` |") || kafka.DefaultBufferSize != 1024 ||
		!strings.Contains(ksec, "| `buffer_size` | `1024` |") {
		t.Error("README: kafka client_id or buffer_size default is out of date")
	}
	fsec := section(t, readme(t), "`file_outputs`")
	if !strings.Contains(fsec, "| `mode` | `"+file.DefaultMode.String()+"` |") {
		t.Errorf("README: file mode should default to %s", file.DefaultMode)
	}
	osec := section(t, readme(t), "## Quick start with the API")
	if !strings.Contains(osec, "| `QueueSize` | `8192` |") || event.DefaultQueueSize != 8192 ||
		!strings.Contains(osec, "| `MaxBatch` | `256` |") || event.DefaultMaxBatch != 256 ||
		!strings.Contains(osec, "| `CloseTimeout` | `"+event.DefaultCloseTimeout.String()+"` |") {
		t.Error("README: recorder option defaults are out of date")
	}
}

func TestMetricsAndEventTypes(t *testing.T) {
	doc := readme(t)
	metrics := section(t, doc, "## Metrics")
	for _, name := range []string{
		"events_recorded_total", "event_recorder_bytes_written_total", "events_dropped_total",
		"event_serialize_errors_total", "event_output_drops_total", kafka.ProduceErrorsMetric,
		"event_recorder_queue_length", "event_recorder_delivery_latency_seconds",
	} {
		if !strings.Contains(metrics, "`"+event.DefaultNamespace+"_"+name+"`") {
			t.Errorf("README metrics table lacks %s_%s", event.DefaultNamespace, name)
		}
	}
	for _, typ := range event.EventTypeNames() {
		if !strings.Contains(doc, "`"+typ+"`") {
			t.Errorf("README does not list event type %s", typ)
		}
	}
	// Every value of the result and error_type labels, and what each
	// Kafka acks level guarantees.
	for _, v := range []string{event.ResultSuccess, event.ResultUnacknowledged, event.ResultFailure, event.ResultPersisted,
		kafka.ErrorNetwork, kafka.ErrorTimeout, kafka.ErrorBroker, kafka.ErrorMessageTooLarge, kafka.ErrorUnknown} {
		if !strings.Contains(metrics, "`"+v+"`") {
			t.Errorf("README metrics table does not explain the label value %s", v)
		}
	}
	kafkaDoc := section(t, doc, "### `kafka_outputs`")
	for _, acks := range []kafka.Acks{kafka.AcksNone, kafka.AcksLeader, kafka.AcksAll} {
		if !strings.Contains(kafkaDoc, "- `"+string(acks)+"`") {
			t.Errorf("README does not say what acks: %s guarantees", acks)
		}
	}
}

func TestMakeTargets(t *testing.T) {
	b, err := os.ReadFile("../../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := section(t, readme(t), "## Make targets")
	for _, m := range regexp.MustCompile(`(?m)^## ([a-z-]+):`).FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(targets, "`make "+m[1]+"`") {
			t.Errorf("README does not list make %s", m[1])
		}
	}
}

func TestLayoutNamesEveryTopLevelEntry(t *testing.T) {
	layout := section(t, readme(t), "## Layout")
	for _, name := range []string{"go.mod", "gen/", "internal/", "sink/", "queue/", "event/", "tools/", "tools.go", "Makefile", "README.md", ".ci/"} {
		if !strings.Contains(layout, "- `"+name+"`") {
			t.Errorf("README layout lacks %s", name)
		}
	}
}

// The configuration example must load as it stands.
func TestConfigExampleLoads(t *testing.T) {
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section(t, readme(t), "## Configuration reference"), -1)
	if len(m) == 0 {
		t.Fatal("README has no YAML example in the configuration reference")
	}
	for _, ex := range m {
		cfg, err := event.LoadConfig([]byte(ex[1]))
		if err != nil {
			t.Fatalf("README example does not load: %v\n%s", err, ex[1])
		}
		if outs, err := cfg.Describe(); err != nil || len(outs) == 0 {
			t.Errorf("README example: %d outputs, %v", len(outs), err)
		}
	}
}

// goBlock is a ```go block of the README.
type goBlock struct {
	heading string // the title of the section it is in
	line    int    // of its first line of code in README.md
	code    string
}

// goBlocks returns the README's Go blocks, fence indentation removed.
func goBlocks(doc string) []goBlock {
	var (
		out     []goBlock
		heading string
		cur     *goBlock
		indent  string
		code    strings.Builder
	)
	for i, l := range strings.Split(doc, "\n") {
		trimmed := strings.TrimLeft(l, " \t")
		switch {
		case cur != nil && trimmed == "```":
			cur.code = code.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			code.WriteString(strings.TrimPrefix(l, indent) + "\n")
		case trimmed == "```go":
			cur = &goBlock{heading: heading, line: i + 2}
			indent = l[:len(l)-len(trimmed)]
			code.Reset()
		case strings.HasPrefix(l, "#"):
			heading = strings.TrimSpace(strings.TrimLeft(l, "#"))
		}
	}
	return out
}

// fragmentHarness completes the README's Go blocks that are fragments by
// nature, keyed by the title of their section: each shows a call into a
// program's own code. The convention: a block that starts with "package"
// is a whole file and builds as it stands; any other block is the body of
// a function, in a file with the imports and declarations given here for
// its section.
var fragmentHarness = map[string]struct {
	imports []string
	decls   string
}{
	"Custom output kinds": {
		imports: []string{
			"github.com/eventrecorder/eventrecorder/event",
			"github.com/eventrecorder/eventrecorder/event/eventrecorderpb",
			"github.com/eventrecorder/eventrecorder/sink",
		},
		decls: "// The program's own configuration type and sink.\n" +
			"type AuditConfig struct {\n" +
			"\tsink.Filter `yaml:\",inline\"`\n" +
			"\tsink.Naming `yaml:\",inline\"`\n" +
			"}\n\n" +
			"func newAuditSink(AuditConfig, sink.Env[*eventrecorderpb.Event]) sink.Sink[*eventrecorderpb.Event] { return nil }\n",
	},
}

// readmeBlocksDir is where the blocks' packages appear to be, inside the
// module (so that they resolve its packages and dependencies) and under
// testdata (so that ./... never matches them). Nothing is written there:
// the go command reads them through an overlay.
const readmeBlocksDir = "tools/internal/readme/testdata/readmeblocks"

// TestGoBlocksCompile builds every Go block of the README, completed by
// the convention of fragmentHarness. (go build, not go vet: vet needs the
// package's directory to exist.)
func TestGoBlocksCompile(t *testing.T) {
	root, overlay, pkgs := goBlockOverlay(t)
	build := exec.Command(goTool(t), "build", "-overlay", overlay)
	build.Args = append(build.Args, pkgs...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("README Go blocks do not compile:\n%s", out)
	}
}

// The quick start is a program: built and run against a file output, it
// records what it says it does.
func TestQuickStartRuns(t *testing.T) {
	root, overlay, _ := goBlockOverlay(t)
	var pkg string
	for _, b := range goBlocks(readme(t)) {
		if b.heading == "Quick start with the API" {
			pkg = "./" + readmeBlocksDir + "/" + blockName(b)
		}
	}
	if pkg == "" {
		t.Fatal("README's quick start has no Go block")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "quickstart")
	build := exec.Command(goTool(t), "build", "-overlay", overlay, "-o", exe, pkg)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the quick start: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "eventrecorder.yml"), []byte("file_outputs:\n  - path: events.jsonl\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(exe)
	run.Dir = dir
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("running the quick start: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"alertCreated"`) || !strings.Contains(lines[0], `"NodeDown"`) ||
		!strings.Contains(lines[1], `"silenceCreated"`) || !strings.Contains(lines[0], `"instance":"am-1:9093"`) {
		t.Errorf("the quick start recorded:\n%s\nwant NodeDown's alert_created and a silence_created from am-1:9093", b)
	}
}

func blockName(b goBlock) string { return fmt.Sprintf("l%d", b.line) }

// goBlockOverlay writes each block, completed, to a temporary file and an
// overlay mapping it into the module; it returns the module's root, the
// overlay file and the blocks' package paths.
func goBlockOverlay(t *testing.T) (root, overlay string, pkgs []string) {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(readme(t))
	if len(blocks) < 2 {
		t.Fatalf("README has %d Go blocks; the quick start and the custom kind at least", len(blocks))
	}
	tmp := t.TempDir()
	replace := map[string]string{}
	for _, b := range blocks {
		// Line directives make the compiler's errors name README.md lines.
		src := fmt.Sprintf("//line README.md:%d\n%s", b.line, b.code)
		if !strings.HasPrefix(strings.TrimSpace(b.code), "package ") {
			h, ok := fragmentHarness[b.heading]
			if !ok {
				t.Errorf("README.md:%d: the Go block in %q is a fragment: make it a whole file (start it with package) or give its section a harness in fragmentHarness", b.line, b.heading)
				continue
			}
			var f strings.Builder
			f.WriteString("package readmeblock\n\nimport (\n")
			for _, imp := range h.imports {
				fmt.Fprintf(&f, "\t%q\n", imp)
			}
			f.WriteString(")\n\n" + h.decls + "\nfunc readmeBlock() {\n")
			fmt.Fprintf(&f, "//line README.md:%d\n%s}\n", b.line, b.code)
			src = f.String()
		}
		name := blockName(b)
		file := filepath.Join(tmp, name+".go")
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, filepath.FromSlash(readmeBlocksDir), name, "block.go")] = file
		pkgs = append(pkgs, "./"+readmeBlocksDir+"/"+name)
	}
	js, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	overlay = filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlay, js, 0o644); err != nil {
		t.Fatal(err)
	}
	return root, overlay, pkgs
}

func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the README's blocks: %v", err)
	}
	return p
}

// TestMaximaMatchTheCode: every numeric setting's row gives its maximum,
// and the maximum is the one the code enforces.
func TestMaximaMatchTheCode(t *testing.T) {
	doc := readme(t)
	row := func(sec, key string) string {
		t.Helper()
		for _, line := range strings.Split(section(t, doc, sec), "\n") {
			if strings.HasPrefix(line, "| `"+key+"` |") {
				return line
			}
		}
		t.Errorf("README section %s has no row for %s", sec, key)
		return ""
	}
	d := func(v time.Duration) string { return model.Duration(v).String() }
	for _, c := range []struct{ sec, key, max string }{
		{"## Quick start with the API", "QueueSize", strconv.Itoa(event.QueueSizeLimit)},
		{"## Quick start with the API", "MaxBatch", strconv.Itoa(event.MaxBatchLimit)},
		{"## Quick start with the API", "CloseTimeout", d(event.CloseTimeoutLimit)},
		{"`file_outputs`", "mode", "0777"},
		{"`webhook_outputs`", "timeout", d(webhook.TimeoutLimit)},
		{"`webhook_outputs`", "workers", strconv.Itoa(webhook.WorkersLimit)},
		{"`webhook_outputs`", "max_retries", strconv.Itoa(webhook.MaxRetriesLimit)},
		{"`webhook_outputs`", "retry_backoff", d(webhook.RetryBackoffLimit)},
		{"`webhook_outputs`", "queue_size", strconv.Itoa(webhook.QueueSizeLimit)},
		{"`webhook_outputs`", "batch_max_events", strconv.Itoa(webhook.BatchMaxEventsLimit)},
		{"`webhook_outputs`", "batch_max_bytes", strconv.Itoa(webhook.BatchMaxBytesLimit)},
		{"`webhook_outputs`", "batch_flush_interval", d(webhook.BatchFlushIntervalLimit)},
		{"`kafka_outputs`", "buffer_size", strconv.Itoa(kafka.BufferSizeLimit)},
	} {
		if line := row(c.sec, c.key); !strings.Contains(line, "at most `"+c.max+"`") {
			t.Errorf("README row for %s does not say \"at most `%s`\":\n%s", c.key, c.max, line)
		}
	}
	// Every number a configuration type has is in the list above.
	for sec, typ := range map[string]reflect.Type{
		"`file_outputs`": reflect.TypeOf(file.Config{}), "`webhook_outputs`": reflect.TypeOf(webhook.Config{}),
		"`kafka_outputs`": reflect.TypeOf(kafka.Config{}), "## Quick start with the API": reflect.TypeOf(event.Options{}),
	} {
		for i := range typ.NumField() {
			f := typ.Field(i)
			switch f.Type.Kind() {
			case reflect.Int, reflect.Int64, reflect.Uint32:
			default:
				continue
			}
			key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if key == "" {
				key = f.Name
			}
			if line := row(sec, key); !strings.Contains(line, "at most `") {
				t.Errorf("README row for the number %s gives no maximum:\n%s", key, line)
			}
		}
	}
}
