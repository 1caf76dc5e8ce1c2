package sink_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
)

type failureLine struct {
	Level, Msg, Output, Err string
	Failed                  int
}

func failureLines(t *testing.T, buf *testtool.SyncBuffer) []failureLine {
	t.Helper()
	var out []failureLine
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var fl failureLine
		if err := json.Unmarshal([]byte(l), &fl); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, fl)
	}
	return out
}

// TestFailureLog: the first failure is written at once, later ones are
// added up until the interval has passed or Flush, and the counts on the
// lines add up to every failure, with the latest reason.
func TestFailureLog(t *testing.T) {
	var buf testtool.SyncBuffer
	l := sink.NewFailureLog(slog.New(slog.NewJSONHandler(&buf, nil)), "events failed", "failed", "output", "demo")
	l.SetInterval(time.Hour)
	l.Add(3, errors.New("first"))
	for i := range 100 {
		l.Add(1, errors.New("later "+string(rune('a'+i%26))))
	}
	l.Add(0, errors.New("nothing failed")) // not a failure
	l.Add(2, nil)                          // no reason: the last one given stands
	if got := failureLines(t, &buf); len(got) != 1 || got[0] != (failureLine{Level: "WARN", Msg: "events failed", Output: "demo", Err: "first", Failed: 3}) {
		t.Fatalf("lines before Flush: %+v", got)
	}
	l.Flush()
	l.Flush() // nothing new: no line
	want := []failureLine{
		{Level: "WARN", Msg: "events failed", Output: "demo", Err: "first", Failed: 3},
		{Level: "WARN", Msg: "events failed", Output: "demo", Err: "later v", Failed: 102},
	}
	if got := failureLines(t, &buf); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("lines after Flush: %+v, want %+v", got, want)
	}

	// Once the interval has passed, the next failure writes a line.
	l.SetInterval(0)
	l.Add(1, errors.New("again"))
	l.Add(4, errors.New("and again"))
	got := failureLines(t, &buf)
	if len(got) != 4 || got[2].Failed != 1 || got[3].Failed != 4 || got[3].Err != "and again" {
		t.Fatalf("lines with a zero interval: %+v", got)
	}
}

func TestFailureLogNilLogger(t *testing.T) {
	l := sink.NewFailureLog(nil, "m", "n")
	l.Add(1, errors.New("x"))
	l.Flush()
}
