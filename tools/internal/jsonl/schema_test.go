package jsonl_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

// The two real lifecycles: the v1 one tail's tests render, and the one
// stock Alertmanager v0.35.0 wrote (see its .md).
var (
	v1File = filepath.Join("..", "..", "cmd", "eventrecorder", "testdata", "lifecycle.jsonl")
	v2File = filepath.Join("..", "..", "..", "internal", "alertmanagertest", "testdata", "v0.35.0-lifecycle.jsonl")
)

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// outcome is what the Detector made of one line.
type outcome struct {
	schema    jsonl.Schema // the reading returned; SchemaUnknown when ambiguous
	ambiguous bool
	mixed     bool
	err       error
}

func detect(t *testing.T, d *jsonl.Detector, name string, lines []string) []outcome {
	t.Helper()
	var out []outcome
	for i, l := range lines {
		ev, amb, err := d.Line(fmt.Sprintf("%s:%d", name, i+1), []byte(l))
		o := outcome{ambiguous: amb != nil, err: err}
		var m *jsonl.MixedError
		o.mixed = errors.As(err, &m)
		if err == nil && amb == nil {
			o.schema = ev.Schema()
			if (ev.V1 == nil) == (ev.V2 == nil) {
				t.Errorf("%s:%d: want exactly one reading, got v1 %v v2 %v", name, i+1, ev.V1 != nil, ev.V2 != nil)
			}
		}
		if amb != nil && (amb.V1 == nil || amb.V2 == nil) {
			t.Errorf("%s:%d: an ambiguous line needs both readings", name, i+1)
		}
		out = append(out, o)
	}
	return out
}

func TestDetectorRealLifecycles(t *testing.T) {
	for _, tc := range []struct {
		path      string
		want      jsonl.Schema
		lines     int
		ambiguous []int // line numbers of lines fitting both, before the decision
		why       string
	}{
		// Line 1 is the startup event (no label set); line 2, alert_created,
		// has its labels as pairs.
		{v1File, jsonl.SchemaV1, 13, []int{1}, `not v2: (line 1:181): invalid value for string field value: [`},
		{v2File, jsonl.SchemaV2, 24, []int{1}, `not v1: (line 1:166): unknown field "alertname"`},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			lines := fileLines(t, tc.path)
			if len(lines) != tc.lines {
				t.Fatalf("%s has %d lines, want %d", tc.path, len(lines), tc.lines)
			}
			d := &jsonl.Detector{}
			var amb []int
			for i, o := range detect(t, d, "f", lines) {
				switch {
				case o.err != nil:
					t.Errorf("f:%d: %v", i+1, o.err)
				case o.ambiguous:
					amb = append(amb, i+1)
				case o.schema != tc.want:
					t.Errorf("f:%d read as %v, want %v", i+1, o.schema, tc.want)
				}
			}
			if fmt.Sprint(amb) != fmt.Sprint(tc.ambiguous) {
				t.Errorf("ambiguous lines %v, want %v", amb, tc.ambiguous)
			}
			if s, at, why := d.Decided(); s != tc.want || at != "f:2" || why != tc.why {
				t.Errorf("decided %v at %q (%q), want %v at f:2 (%q)", s, at, why, tc.want, tc.why)
			}
		})
	}
}

// A v1 file with the v2 lifecycle appended: every v2 line with a label
// set or a grouped alert is refused, naming where the input's generation
// was decided; the four v2 lines without (startup, silence_created and
// silence_updated, whose silence has no annotations, shutdown) fit v1 and
// are read as v1.
func TestDetectorRejectsMixedFiles(t *testing.T) {
	lines := append(fileLines(t, v1File), fileLines(t, v2File)...)
	d := &jsonl.Detector{}
	var mixed, v1 []int
	for i, o := range detect(t, d, "mixed.jsonl", lines) {
		switch {
		case o.mixed:
			mixed = append(mixed, i+1)
			if i+1 == 15 {
				want := `expected a v1 event (the input's schema generation, detected at mixed.jsonl:2), got a v2 one (as v1: (line 1:166): unknown field "alertname"); files mixing schema generations are not read: split them by generation`
				if o.err.Error() != want {
					t.Errorf("line 15: error\n%s\nwant\n%s", o.err, want)
				}
			}
		case o.err != nil:
			t.Errorf("line %d: not a mixed-generation error: %v", i+1, o.err)
		case o.schema == jsonl.SchemaV1:
			v1 = append(v1, i+1)
		}
	}
	if len(mixed) != 20 || len(v1) != 16 {
		t.Errorf("%d lines refused (%v), %d read as v1 (%v); want 20 and 16", len(mixed), mixed, len(v1), v1)
	}
	for _, n := range []int{14, 21, 24, 37} {
		if !contains(v1, n) {
			t.Errorf("line %d (fits both) should be read as the input's v1", n)
		}
	}
}

func contains(s []int, n int) bool {
	for _, v := range s {
		if v == n {
			return true
		}
	}
	return false
}

// --schema: nothing is detected; the other generation's lines are refused
// naming the flag, and an ambiguous line (the v1 file's startup and
// shutdown) is read as the given generation.
func TestDetectorGivenSchema(t *testing.T) {
	d := &jsonl.Detector{Schema: jsonl.SchemaV2}
	outs := detect(t, d, "f", fileLines(t, v1File))
	if outs[0].err != nil || outs[0].ambiguous || outs[0].schema != jsonl.SchemaV2 {
		t.Errorf("line 1 (startup) with --schema v2: %+v, want read as v2", outs[0])
	}
	for i, o := range outs[1:12] {
		if !o.mixed {
			t.Errorf("f:%d: want refused as v1 under --schema v2, got %+v", i+2, o)
		}
	}
	if o := outs[12]; o.err != nil || o.schema != jsonl.SchemaV2 {
		t.Errorf("line 13 (shutdown) with --schema v2: %+v, want read as v2", o)
	}
	want := `expected a v2 event (--schema v2), got a v1 one (as v2: (line 1:181): invalid value for string field value: [)`
	if outs[1].err == nil || outs[1].err.Error() != want {
		t.Errorf("line 2: error %v, want %s", outs[1].err, want)
	}
	if s, at, why := d.Decided(); s != jsonl.SchemaV2 || at != "" || why != "--schema v2" {
		t.Errorf("Decided() = %v %q %q", s, at, why)
	}
}

func TestDetectorLinesOfNeither(t *testing.T) {
	for _, tc := range []struct {
		given jsonl.Schema
		line  string
		want  string
	}{
		{jsonl.SchemaUnknown, `{"data":{"alertFired":{}}}`,
			`neither a v1 nor a v2 event: as v1: (line 1:10): unknown field "alertFired"; as v2: (line 1:10): unknown field "alertFired"`},
		{jsonl.SchemaV1, `{"instance":7}`, `not a v1 event: (line 1:13): invalid value for string field instance: 7`},
		{jsonl.SchemaV2, `not json`, `not a v2 event: syntax error (line 1:1): invalid value not`},
	} {
		d := &jsonl.Detector{Schema: tc.given}
		_, amb, err := d.Line("f:1", []byte(tc.line))
		if amb != nil || err == nil || err.Error() != tc.want {
			t.Errorf("%v %s: error %v, want %s", tc.given, tc.line, err, tc.want)
		}
	}
}

// A cluster position beyond 32 bits exists only in v2 (a uint64, written
// as a JSON string): it decides v2 even on an event with no label set.
// Within 32 bits it decides nothing, as a string or a number: protojson
// reads both in either generation.
func TestDetectorClusterPosition(t *testing.T) {
	for _, tc := range []struct {
		pos       string
		ambiguous bool
	}{
		{`"5000000000"`, false},
		{`"7"`, true},
		{`7`, true},
	} {
		d := &jsonl.Detector{}
		ev, amb, err := d.Line("f:1", []byte(`{"instance":"a","data":{"alertmanagerShutdownEvent":{}},"clusterPosition":`+tc.pos+`}`))
		if err != nil || (amb != nil) != tc.ambiguous || !tc.ambiguous && ev.V2.GetClusterPosition() != 5000000000 {
			t.Errorf("clusterPosition %s: ambiguous %v, err %v, event %v", tc.pos, amb != nil, err, ev)
		}
	}
}

// A stream of nothing but ambiguous lines is settled by the caller, and a
// settled generation holds for the lines after.
func TestDetectorSettle(t *testing.T) {
	d := &jsonl.Detector{}
	lines := fileLines(t, v2File)
	shutdown := lines[len(lines)-1]
	if _, amb, err := d.Line("f:1", []byte(shutdown)); amb == nil || err != nil {
		t.Fatalf("shutdown line: ambiguous %v, err %v", amb != nil, err)
	}
	if s, _, _ := d.Decided(); s != jsonl.SchemaUnknown {
		t.Fatalf("decided %v after an ambiguous line", s)
	}
	if got := d.Settle(jsonl.DefaultSchema, "assumed"); got != jsonl.SchemaV1 {
		t.Fatalf("Settle = %v", got)
	}
	if got := d.Settle(jsonl.SchemaV2, "again"); got != jsonl.SchemaV1 {
		t.Errorf("a second Settle changed the generation to %v", got)
	}
	if _, _, err := d.Line("f:2", []byte(lines[1])); err == nil || !strings.Contains(err.Error(), "expected a v1 event (assumed), got a v2 one") {
		t.Errorf("v2 line after settling on v1: %v", err)
	}
}
