package lines

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// TestWriterRecoversAfterAStall: a write that returns after its Deliver
// gave up on it is not reported again, and the next batch is written
// normally, its leading newline kept when the late write tore a line.
func TestWriterRecoversAfterAStall(t *testing.T) {
	rep := sinktest.NewReporter[int]()
	w := NewWriter[int](rep, "test", errors.New("closed"))
	w.Stall = 50 * time.Millisecond
	gate := make(chan struct{})
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		torn := false
		for {
			select {
			case <-w.Stopping():
				return
			case job := <-w.Jobs():
				buf, prefix := Lead(job, torn)
				if len(got) == 0 {
					<-gate // the first write hangs, then lands half a line
					n := len(buf) / 2
					torn = buf[n-1] != '\n'
					got = append(got, string(buf[:n]))
					w.Finish(n, prefix, errors.New("short"))
					continue
				}
				got = append(got, string(buf))
				w.Finish(len(buf), prefix, nil)
			}
		}
	}()
	w.Deliver(batchOf(`{"a":1}`, `{"b":2}`, `{"c":3}`))
	if d, _, f := rep.Counts(); d != 0 || f != 3 {
		t.Fatalf("stalled batch: delivered %d failed %d, want 3 failed", d, f)
	}
	close(gate)
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.Deliver(batchOf(`{"d":4}`))
		if d, _, _ := rep.Counts(); d == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no batch delivered after the stalled write returned")
		}
		time.Sleep(time.Millisecond) // polling interval, not synchronisation
	}
	w.Stop()
	<-done
	d, dr, f := rep.Counts()
	if d != 1 || dr != 0 || d+f != rep.Total() {
		t.Fatalf("delivered %d dropped %d failed %d", d, dr, f)
	}
	if len(got) != 2 || got[0] != "{\"a\":1}\n{\"b\"" || got[1] != "\n{\"d\":4}\n" {
		t.Fatalf("written %q, want the torn half and then a newline before the next line", got)
	}
	for _, err := range rep.Errors() {
		if !errors.Is(err, ErrStalled) || !strings.HasPrefix(err.Error(), "write test: ") {
			t.Errorf("error %v", err)
		}
	}
	w.Deliver(batchOf(`{"e":5}`))
	if errs := rep.Errors(); errs[len(errs)-1].Error() != "closed" {
		t.Errorf("after Stop: %v", errs[len(errs)-1])
	}
}

// TestDeliverLinesHoldsUntilWritten: a batch handed over as sink.Lines is
// written from those bytes, and a write that outlives its Deliver (a
// stall) keeps them held until it returns, so the recorder does not
// encode the next batch into memory the kernel may still be reading.
func TestDeliverLinesHoldsUntilWritten(t *testing.T) {
	rep := sinktest.NewReporter[int]()
	w := NewWriter[int](rep, "test", errors.New("closed"))
	w.Stall = 50 * time.Millisecond
	gate := make(chan struct{})
	wrote := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-w.Stopping():
				return
			case job := <-w.Jobs():
				buf, prefix := Lead(job, false)
				<-gate
				wrote <- string(buf)
				w.Finish(len(buf), prefix, nil)
			}
		}
	}()
	l := sink.NewLines([]byte("\n{\"a\":1}\n{\"b\":2}\n"))
	w.DeliverLines(batchOf(`{"a":1}`, `{"b":2}`), l)
	if _, _, f := rep.Counts(); f != 2 {
		t.Fatalf("stalled batch: failed %d, want 2", f)
	}
	if !l.Held() {
		t.Fatal("the stalled write's bytes are not held")
	}
	close(gate)
	if got := <-wrote; got != "{\"a\":1}\n{\"b\":2}\n" {
		t.Errorf("wrote %q, want the shared lines", got)
	}
	w.Stop()
	<-done
	if l.Held() {
		t.Error("still held after the write returned")
	}
}
