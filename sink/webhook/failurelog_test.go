package webhook_test

import (
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// refusedURL is a loopback URL on a port nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String() + "/hook"
	l.Close()
	return u
}

// logLine is one JSON log line, with the counts a FailureLog writes.
type logLine struct {
	Level  string `json:"level"`
	Msg    string `json:"msg"`
	Events int    `json:"events"`
	Err    string `json:"err"`
}

func parseLines(t *testing.T, text string) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l == "" {
			continue
		}
		var line logLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, line)
	}
	return out
}

// TestFailuresLoggedOncePerInterval sends 2,000 events to a refused
// loopback port. Each fails, and the log must not say so 2,000 times: with
// an interval longer than the run, there are exactly two lines, one at
// the first failure and one at Close for the rest, whose counts add up to
// every event. Nothing else is logged at info level or above.
func TestFailuresLoggedOncePerInterval(t *testing.T) {
	const n = 2000
	for _, batch := range []bool{false, true} {
		name := "one event per request"
		if batch {
			name = "batches"
		}
		t.Run(name, func(t *testing.T) {
			var buf testtool.SyncBuffer
			logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
			cfg := config(t, refusedURL(t))
			cfg.MaxRetries = 1
			cfg.QueueSize = n
			cfg.Batch = batch
			s, rep := start(t, cfg, sink.Env[int]{Logger: logger, CloseTimeout: waitTimeout})
			s.SetLogInterval(time.Hour)
			s.Deliver(sinktest.Messages(0, n))
			rep.WaitTotal(t, n, waitTimeout)
			if lines := parseLines(t, buf.String()); len(lines) != 1 {
				t.Fatalf("%d lines before Close, want the one at the first failure:\n%s", len(lines), buf.String())
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			conserve(t, rep, n, 0, 0, n)
			lines := parseLines(t, buf.String())
			if len(lines) != 2 {
				t.Fatalf("%d log lines for %d failed events, want 2:\n%s", len(lines), n, buf.String())
			}
			total := 0
			for _, l := range lines {
				if l.Level != "WARN" || l.Msg != "webhook delivery failed" || !strings.Contains(l.Err, "connection refused") || l.Events < 1 {
					t.Errorf("log line %+v, want a warning that events failed, why, and how many", l)
				}
				total += l.Events
			}
			if total != n {
				t.Errorf("the lines count %d failed events, want %d:\n%s", total, n, buf.String())
			}
			if !batch && lines[0].Events != 1 {
				t.Errorf("the first line counts %d events, want the 1 that failed first", lines[0].Events)
			}
		})
	}
}

// TestDropsLoggedOncePerInterval: a full queue drops events at every
// Deliver; the log says so once per interval, with counts that add up to
// every drop.
func TestDropsLoggedOncePerInterval(t *testing.T) {
	var buf testtool.SyncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := config(t, refusedURL(t))
	cfg.Workers, cfg.QueueSize = 1, 1
	cfg.RetryBackoff = model.Duration(time.Hour) // the worker parks on its first event
	s, rep := start(t, cfg, sink.Env[int]{Logger: logger, CloseTimeout: 100 * time.Millisecond})
	s.SetLogInterval(time.Hour)
	for i := range 10 {
		s.Deliver(sinktest.Messages(i*100, 100))
	}
	_ = s.Close()
	_, dropped, _ := rep.Counts()
	if dropped < 10*100-2 {
		t.Fatalf("%d dropped, want all but the 1 or 2 the worker and queue hold", dropped)
	}
	var lines, counted int
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var line struct {
			Msg     string
			Dropped int
		}
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		if line.Msg == "webhook queue full, events dropped" {
			lines++
			counted += line.Dropped
		}
	}
	if lines != 2 || counted != dropped {
		t.Errorf("%d drop lines counting %d, want 2 counting the %d dropped:\n%s", lines, counted, dropped, buf.String())
	}
}
