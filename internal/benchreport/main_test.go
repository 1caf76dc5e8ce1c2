package main

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Three rounds of go test output, as the suite concatenates them: headers
// repeated, a log line and PASS in between.
const rounds = `goos: linux
goarch: amd64
pkg: github.com/eventrecorder/eventrecorder/internal/bench
cpu: Test CPU
BenchmarkFileThroughput/impl=recorder-2   	   30000	      7000 ns/op	    142857 events/s	    1500 B/op	       1 allocs/op
BenchmarkFileThroughput/impl=naive-2      	   30000	     70000 ns/op	     14285 events/s	    9321 B/op	     143 allocs/op
BenchmarkFanOut/sinks=1-2                 	   30000	      3000 ns/op	      4000 cpu-ns/event
BenchmarkFanOut/sinks=3-2                 	   30000	      3000 ns/op	      6000 cpu-ns/event
PASS
goos: linux
    bench_test.go:12: a log line
BenchmarkFileThroughput/impl=recorder-2   	   30000	      9000 ns/op	    111111 events/s	    1500 B/op	       1 allocs/op
BenchmarkFileThroughput/impl=naive-2      	   30000	     60000 ns/op	     16666 events/s	    9321 B/op	     143 allocs/op
BenchmarkFanOut/sinks=1-2                 	   30000	      3000 ns/op	      5000 cpu-ns/event
BenchmarkFanOut/sinks=3-2                 	   30000	      3000 ns/op	      6500 cpu-ns/event
PASS
BenchmarkFileThroughput/impl=recorder-2   	   30000	      5000 ns/op	    200000 events/s	    1500 B/op	       1 allocs/op
BenchmarkFileThroughput/impl=naive-2      	   30000	     80000 ns/op	     12500 events/s	    9321 B/op	     143 allocs/op
--- FAIL: BenchmarkFanOut/sinks=3
ok  	github.com/eventrecorder/eventrecorder/internal/bench	12.3s
`

func TestParseTakesMediansPerNameAndUnit(t *testing.T) {
	r := results{}
	r.parse("file", strings.NewReader(rounds))
	for _, tc := range []struct {
		name, unit string
		n          int
		median     float64
	}{
		{"BenchmarkFileThroughput/impl=recorder", "events/s", 3, 142857},
		{"BenchmarkFileThroughput/impl=naive", "ns/op", 3, 70000},
		{"BenchmarkFileThroughput/impl=naive", "allocs/op", 3, 143},
		{"BenchmarkFanOut/sinks=1", "cpu-ns/event", 2, 4500}, // even: mean of the middle two
	} {
		k := sel{Group: "file", Name: tc.name, Unit: tc.unit}
		if got := len(r[k]); got != tc.n {
			t.Errorf("%s %s: %d samples, want %d", tc.name, tc.unit, got, tc.n)
		}
		if got := r.median(k); got != tc.median {
			t.Errorf("%s %s: median %v, want %v", tc.name, tc.unit, got, tc.median)
		}
	}
	if got := len(r); got != 4+4+2+2 {
		t.Errorf("%d series, want 12 (file: two benchmarks × 4 units; fan-out: two × 2): %v", got, r)
	}
	if !math.IsNaN(r.median(sel{Group: "file", Name: "BenchmarkNope", Unit: "ns/op"})) {
		t.Error("median of nothing is not NaN")
	}
}

func TestEvaluateAgainstTargets(t *testing.T) {
	r := results{}
	r.parse("file", strings.NewReader(rounds))
	r.parse("encode", strings.NewReader(`BenchmarkEncode/impl=generated-2  100  1400 ns/op  0 B/op  0 allocs/op
BenchmarkEncode/impl=protojson-2  100  68000 ns/op  9000 B/op  142 allocs/op
`))
	figs := []figure{
		{Title: "throughput", Subject: s("file", "BenchmarkFileThroughput/impl=recorder", "events/s"),
			Baseline: ps("file", "BenchmarkFileThroughput/impl=naive", "events/s"), Ratio: subjectOverBaseline, Target: atLeast(10)},
		{Title: "fanout", Subject: s("file", "BenchmarkFanOut/sinks=3", "cpu-ns/event"),
			Baseline: ps("file", "BenchmarkFanOut/sinks=1", "cpu-ns/event"), Ratio: subjectOverBaseline, Target: atMost(1.3)},
		{Title: "allocs", Subject: s("encode", "BenchmarkEncode/impl=generated", "allocs/op"),
			Baseline: ps("encode", "BenchmarkEncode/impl=protojson", "allocs/op"), Ratio: baselineOverSubject, Target: atLeast(5)},
		{Title: "absolute", Subject: s("encode", "BenchmarkEncode/impl=generated", "allocs/op"), Target: atMost(0)},
		{Title: "watch", Subject: s("file", "BenchmarkFileThroughput/impl=recorder", "B/op")},
		{Title: "missing", Subject: s("kafka", "BenchmarkKafkaThroughput/impl=recorder", "events/s"),
			Baseline: ps("kafka", "BenchmarkKafkaThroughput/impl=sarama", "events/s"), Ratio: subjectOverBaseline, Target: atLeast(1)},
		// An absolute target beside a baseline: the subject, 1400 ns,
		// misses 1000 however far ahead of protojson it is.
		{Title: "absolute beside a baseline", Subject: s("encode", "BenchmarkEncode/impl=generated", "ns/op"),
			Baseline: ps("encode", "BenchmarkEncode/impl=protojson", "ns/op"), Ratio: baselineOverSubject, Target: atMost(1000), TargetSubject: true},
		{Title: "per alert", Subject: s("encode", "BenchmarkEncode/impl=protojson", "allocs/op"),
			Baseline: ps("encode", "BenchmarkEncode/impl=generated", "allocs/op"), Ratio: perAlertOf99, RatioUnit: "allocs/alert", Target: atMost(1)},
	}
	got := evaluate(r, figs)
	want := []struct {
		result string
		ratio  float64
	}{
		{"PASS", 142857.0 / 14285},
		{"MISS", 6250.0 / 4500},
		{"PASS", math.Inf(1)},
		{"PASS", math.NaN()},
		{"—", math.NaN()},
		{"MISSING", math.NaN()},
		{"MISS", 68000.0 / 1400},
		{"MISS", 142.0 / 99},
	}
	for i, e := range got {
		if e.Result() != want[i].result {
			t.Errorf("%s: result %s, want %s (subject %v, baseline %v, ratio %v)", e.Title, e.Result(), want[i].result, e.Subject, e.Baseline, e.Ratio)
		}
		if w := want[i].ratio; !(math.IsNaN(w) && math.IsNaN(e.Ratio)) && e.Ratio != w {
			t.Errorf("%s: ratio %v, want %v", e.Title, e.Ratio, w)
		}
	}
}

func TestFiguresNameBenchmarksOfTheirGroup(t *testing.T) {
	ids := map[string]group{}
	for _, g := range suite {
		if _, dup := ids[g.ID]; dup {
			t.Errorf("group id %q twice", g.ID)
		}
		ids[g.ID] = g
		if g.Pkg == "" || g.Bench == "" || g.Benchtime == "" || len(g.Views) == 0 {
			t.Errorf("group %q is incomplete: %+v", g.ID, g)
		}
	}
	check := func(title string, k sel) {
		g, ok := ids[k.Group]
		if !ok {
			t.Errorf("%s: no group %q", title, k.Group)
			return
		}
		top, _, _ := strings.Cut(k.Name, "/")
		pattern, _, _ := strings.Cut(g.Bench, "/") // -bench matches level by level
		if !regexp.MustCompile(pattern).MatchString(top) {
			t.Errorf("%s: %s is not run by group %s (-bench %s)", title, k.Name, g.ID, g.Bench)
		}
		if k.Unit == "" {
			t.Errorf("%s: no unit", title)
		}
	}
	for _, f := range figures {
		check(f.Title, f.Subject)
		if f.Baseline != nil {
			check(f.Title, *f.Baseline)
			if f.Ratio == nil || f.RatioText == "" {
				t.Errorf("%s: a baseline without a ratio", f.Title)
			}
		}
	}
}

func TestMarkdownIsDeterministicAndComplete(t *testing.T) {
	r := results{}
	r.parse("file", strings.NewReader(rounds))
	rep := &report{
		Rounds:   3,
		Groups:   suite,
		Tables:   map[string][]string{"file": {"benchstat table"}},
		Figures:  evaluate(r, figures),
		Machine:  machine{Date: "2026-01-02 03:04 UTC", Commit: "abc1234", Kernel: "Linux", CPU: "Test CPU", GoVersion: "go1.26", Cores: 2, GOMAXPROCS: 2},
		Profiles: []*profile{{Command: "go test ...", Benchmark: "BenchmarkFileThroughput/impl=recorder-2 ...", CPU: "cpu top", CPUCum: "cum top", Alloc: "alloc top", AllocObj: "objects top"}},
	}
	var a, b bytes.Buffer
	writeMarkdown(&a, rep)
	writeMarkdown(&b, rep)
	if a.String() != b.String() {
		t.Fatal("two renderings of the same report differ")
	}
	md := a.String()
	for _, want := range []string{
		"# Benchmarks", "## Machine", "## Summary", "## How it was run", "## Results", "## Profiles: file pipeline",
		"| File output throughput vs naive pipeline | 143k events/s | 14.3k events/s | 10.0× (recorder ÷ naive) | ≥ 10× | PASS |",
		"| Kafka out of the box vs sarama's defaults (keyed by instance, 4 partitions) | missing | missing | missing (recorder ÷ sarama) | ≥ 1× | MISSING |",
		// An absolute target beside its baseline, and a ratio with a unit.
		"| Caller's cost: NewAlertCreatedEvent + RecordEvent, file output (reference alert) | missing | missing | missing (literal ÷ generated) | ≤ 1.00 µs/op | MISSING |",
		"| Notification allocations per alert, 100 alerts vs 1 | missing | missing | missing ((100 alerts − 1) ÷ 99) | ≤ 1 allocs/alert | MISSING |",
		"| Caller's cost, CPU of the caller's thread | missing | missing | missing (literal ÷ generated) | ≤ 1.00 µs/op | MISSING |",
		"| Caller's allocations: NewAlertCreatedEvent + RecordEvent, file output | missing | missing | missing (literal ÷ generated) | ≤ 5 allocs/op | MISSING |",
		"go test -run '^$' -bench '^BenchmarkFileThroughput$' -benchtime 200000x -benchmem -count 1 ./internal/bench",
		"`benchstat -col '/impl@(floor recorder)' file.txt`", "`benchstat -col '/impl@(naive recorder)' file.txt`", "## Profiles: webhook batch mode", "`go -C gen tool benchstat`",
		"benchstat table", "cpu top", "cum top", "alloc top", "objects top",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, g := range suite {
		if !strings.Contains(md, "### "+g.Title+"\n") {
			t.Errorf("report lacks the section of group %s", g.ID)
		}
	}
}

func TestFormatRatio(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{32.3, "", "32.3×"},
		{1, "allocs/alert", "1.00 allocs/alert"},
		{math.Inf(1), "", "∞"},
		{math.NaN(), "allocs/alert", "missing"},
	} {
		if got := formatRatio(tc.v, tc.unit); got != tc.want {
			t.Errorf("formatRatio(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		unit string
		want string
	}{
		{1423, "ns/op", "1.42 µs/op"},
		{68672, "ns/op", "68.7 µs/op"},
		{12.5, "ns/op", "12.5 ns/op"},
		{2.5e6, "ns/op", "2.50 ms/op"},
		{4713, "cpu-ns/event", "CPU 4.71 µs/event"},
		{812, "cpu-ns/op", "CPU 812 ns/op"},
		{131918, "events/s", "132k events/s"},
		{1.2e6, "events/s", "1.20M events/s"},
		{0, "allocs/op", "0 allocs/op"},
		{0.25, "allocs/op", "0.25 allocs/op"},
		{152, "B/queued-event", "152 B/queued-event"},
		{math.NaN(), "B/op", "missing"},
	} {
		if got := formatValue(tc.v, tc.unit); got != tc.want {
			t.Errorf("formatValue(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}

// A figure that misses its target is listed with its reason under the
// summary; one without a reason says so; one that passes is not listed.
func TestMissesAreExplained(t *testing.T) {
	explained := figure{Title: "explained", Subject: s("g", "B", "ns/op"), Target: atMost(1), Why: "because of X."}
	silent := figure{Title: "silent", Subject: s("g", "B", "ns/op"), Target: atMost(1)}
	passed := figure{Title: "passed", Subject: s("g", "B", "ns/op"), Target: atMost(10)}
	var b bytes.Buffer
	writeMisses(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, []evaluation{
		{figure: explained, Subject: 2}, {figure: silent, Subject: 2}, {figure: passed, Subject: 2},
	})
	md := b.String()
	for _, want := range []string{"## Why the misses miss", "- **explained**: because of X.", "- **silent**: No reason is recorded"} {
		if !strings.Contains(md, want) {
			t.Errorf("misses section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "passed") {
		t.Errorf("a passing figure is listed as a miss:\n%s", md)
	}
	b.Reset()
	writeMisses(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, []evaluation{{figure: passed, Subject: 2}})
	if b.Len() != 0 {
		t.Errorf("a run with no miss has a misses section: %q", b.String())
	}
}
