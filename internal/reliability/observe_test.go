package reliability_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// TestFileFailureReasonIsLogged fills the disk under a file output (its
// path points at /dev/full): the events are counted as failed, and the
// log must say why, or an operator sees the failure counter climb with
// no reason anywhere.
func TestFileFailureReasonIsLogged(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	r := newRig(t, mustLoad(t, fmt.Sprintf("file_outputs: [{path: %q}]", path)), event.Options{})
	must(t, os.Remove(path))
	must(t, os.Symlink("/dev/full", path))
	r.record(5)
	if c := r.settle("file:" + path); c.Failed != 5 {
		t.Fatalf("%v; want all 5 failed", c)
	}
	r.close()
	if !strings.Contains(r.logs.String(), "no space left on device") {
		t.Errorf("the log never says why the events failed (no space left on device):\n%s", r.logs.String())
	}
}

// TestCloseErrorNamesEachOutputOnce closes a recorder whose webhook
// receiver never answers and whose Kafka broker is not there: the error
// must name each output that gave up, once.
func TestCloseErrorNamesEachOutputOnce(t *testing.T) {
	rx := newReceiver(t, answerNever, false)
	kafkaAddr := fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))
	cfg := mustLoad(t, fmt.Sprintf("webhook_outputs: [{url: %q}]\nkafka_outputs: [{brokers: [%q], topic: events}]", rx.url(), kafkaAddr))
	r := newRig(t, cfg, event.Options{CloseTimeout: time.Second})
	r.record(5)
	waitFor(t, "a request to hang", func() bool { return rx.requests.Load() > 0 })
	_, err := r.close()
	if err == nil {
		t.Fatal("Close gave up on events and returned nil")
	}
	for _, out := range []string{"webhook:" + rx.url(), "kafka:" + kafkaAddr + "/events"} {
		if n := strings.Count(err.Error(), out); n != 1 {
			t.Errorf("Close error names %s %d times: %v", out, n, err)
		}
	}
}

// failingWriter fails every write after the first ok bytes, writing a
// prefix of the next one: a stdout whose reader went away mid-line.
type failingWriter struct {
	mu   sync.Mutex
	ok   int
	got  []byte
	errs int
}

var errPipe = errors.New("write /dev/stdout: broken pipe")

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.ok - len(w.got); room < len(p) {
		n := max(room, 0)
		w.got = append(w.got, p[:n]...)
		w.errs++
		return n, errPipe
	}
	w.got = append(w.got, p...)
	return len(p), nil
}

// TestStdoutTornLineIsNotSpliced makes the writer fail once in the
// middle of a line and then recover: the fragment (a failed event) must
// not be glued to the next batch's first line, or a reader of the stream
// loses an event it was told was delivered. Every delivered event must be
// a line of its own.
func TestStdoutTornLineIsNotSpliced(t *testing.T) {
	msgs := sinktest.Messages(0, 4)
	line := len(msgs[0].Value) + 1
	w := &failingWriter{ok: line + line/2}
	rep := sinktest.NewReporter[int]()
	s := stdout.NewWriter(w, sink.Env[int]{Reporter: rep})
	s.Deliver(msgs[:2]) // the first line lands, the second is torn
	w.mu.Lock()
	w.ok = 1 << 20 // the reader is back
	w.mu.Unlock()
	s.Deliver(msgs[2:])
	must(t, s.Close())
	if d, dr, f := rep.Counts(); d != 3 || dr != 0 || f != 1 {
		t.Fatalf("delivered %d, dropped %d, failed %d; want 3 delivered and the torn one failed", d, dr, f)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(w.got), "\n") {
		lines[l] = true
	}
	for _, m := range rep.Delivered() {
		if !lines[string(m.Value)] || !json.Valid(m.Value) {
			t.Errorf("delivered event %d is not a line of its own in the output:\n%s", m.Event, w.got)
		}
	}
}

// TestStdoutFaults covers the stdout kind's one fault, a failing writer,
// through the public NewWriter (the recorder's stdout outputs always write
// to the process's standard output). Every message is reported exactly
// once: whole lines delivered, the rest failed with the reason.
func TestStdoutFaults(t *testing.T) {
	msgs := sinktest.Messages(0, 10)
	line := len(msgs[0].Value) + 1 // every message of the batch is as long
	for _, row := range []struct {
		name      string
		ok        int // bytes the writer takes before failing
		delivered int
	}{
		{"writer fails at once", 0, 0},
		{"writer fails mid-line", 3*line + line/2, 3},
		{"writer fails at a line boundary", 7 * line, 7},
		{"writer never fails", 1 << 20, 10},
	} {
		t.Run(row.name, func(t *testing.T) {
			w := &failingWriter{ok: row.ok}
			rep := sinktest.NewReporter[int]()
			s := stdout.NewWriter(w, sink.Env[int]{Reporter: rep})
			s.Deliver(msgs)
			must(t, s.Close())
			s.Deliver(msgs[:2]) // after Close: failed, not written
			d, dr, f := rep.Counts()
			if d != row.delivered || dr != 0 || f != 12-row.delivered || d+dr+f != 12 {
				t.Errorf("delivered %d, dropped %d, failed %d; want %d delivered and the other %d failed", d, dr, f, row.delivered, 12-row.delivered)
			}
			for _, err := range rep.Errors() {
				if !errors.Is(err, errPipe) && !errors.Is(err, stdout.ErrClosed) {
					t.Errorf("failure reason %v names neither the write error nor the closed output", err)
				}
			}
			t.Logf("FIGURES stdout %q: sent 12 = delivered %d + dropped %d + failed %d", row.name, d, dr, f)
		})
	}
}

// TestRejectedConfigReturnsPromptly builds a recorder from a configuration
// that is rejected after its first Kafka output has started (the second
// one's password file does not exist). Nothing was recorded, so the
// started output has nothing to flush: the error must come back at once,
// not after the output has waited out its close budget for a broker that
// is not there.
func TestRejectedConfigReturnsPromptly(t *testing.T) {
	const budget = 20 * time.Second // Options.CloseTimeout; an output gets half
	port := kafkatest.FreePort(t)
	cfg := mustLoad(t, fmt.Sprintf("kafka_outputs:\n- {brokers: ['127.0.0.1:%d'], topic: events}\n- {brokers: ['127.0.0.1:%d'], topic: other, sasl: {mechanism: PLAIN, username: u, password_file: /nonexistent/pw}}", port, port))
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		rec, err := event.New(cfg, event.Options{CloseTimeout: budget})
		if err == nil {
			rec.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if want := `kafka_outputs[1].sasl.password_file: cannot read "/nonexistent/pw": no such file or directory`; err == nil || err.Error() != want {
			t.Errorf("event.New error %v, want %s", err, want)
		}
	case <-time.After(closeSlack):
		// Wait for it anyway, so that nothing outlives the test.
		err := <-done
		t.Errorf("a rejected configuration took %v to return its error (%v): an idle output waited out its close budget", time.Since(start).Round(time.Second), err)
	}
}

// TestWebhooksDifferingOnlyInSecretsCoexist configures two webhook
// outputs to the same endpoint that differ only in the token of their
// query, as two tenants of one receiving service would be. Their derived
// names mask the token, so they would collide: the configuration is
// rejected, by LoadConfig as by New, with an error that says how to fix
// it, and with distinct names both run, each under its own metric series,
// none of which holds a token.
func TestWebhooksDifferingOnlyInSecretsCoexist(t *testing.T) {
	rx := newReceiver(t, answerOK, false)
	urlA, urlB := rx.url()+"?token=tenant-a-secret", rx.url()+"?token=tenant-b-secret"

	want := `webhook_outputs[1]: output "webhook:` + rx.url() + `" is already configured by webhook_outputs[0]; outputs need distinct names (set name: on one of them)`
	if _, err := loadConfig(t, fmt.Sprintf("webhook_outputs: [{url: %q}, {url: %q}]", urlA, urlB)); err == nil || err.Error() != want {
		t.Fatalf("unnamed outputs: LoadConfig error %v, want %s", err, want)
	}
	a, errA := webhook.ParseURL(urlA)
	b, errB := webhook.ParseURL(urlB)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if _, err := tryRig(t, event.Config{WebhookOutputs: []event.WebhookOutputConfig{{URL: a}, {URL: b}}}, event.Options{}); err == nil || err.Error() != want {
		t.Fatalf("unnamed outputs: event.New error %v, want %s", err, want)
	}

	r := newRig(t, mustLoad(t, fmt.Sprintf("webhook_outputs: [{url: %q, name: tenant-a}, {url: %q, name: tenant-b}]", urlA, urlB)), event.Options{})
	r.record(3)
	for _, name := range []string{"tenant-a", "tenant-b"} {
		if c := r.settle(name); c.Delivered != 3 {
			t.Errorf("output %s: %v, want 3 delivered", name, c)
		}
	}
	for _, q := range []string{"token=tenant-a-secret", "token=tenant-b-secret"} {
		if got := rx.acceptedFor(q); got != 3 {
			t.Errorf("receiver accepted %d events with %s, want 3", got, q)
		}
	}
	if _, err := r.close(); err != nil {
		t.Fatal(err)
	}
	observable := labelValues(t, r.reg) + r.logs.String()
	for _, secret := range []string{"tenant-a-secret", "tenant-b-secret"} {
		if strings.Contains(observable, secret) {
			t.Errorf("the token %s shows in metric labels or logs:\n%s", secret, observable)
		}
	}
}
