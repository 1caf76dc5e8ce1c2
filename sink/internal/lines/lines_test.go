package lines

import (
	"errors"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

func batchOf(values ...string) []sink.Message[int] {
	var b []sink.Message[int]
	for i, v := range values {
		b = append(b, sink.Message[int]{Event: i, Value: []byte(v)})
	}
	return b
}

func TestJoinAndWhole(t *testing.T) {
	var keep []byte
	batch := batchOf(`{"a":1}`, `{"b":22}`, `{"c":333}`)
	out, prefix := Join(&keep, batch, false)
	if string(out) != "{\"a\":1}\n{\"b\":22}\n{\"c\":333}\n" || prefix != 0 {
		t.Fatalf("Join = %q, %d", out, prefix)
	}
	out, prefix = Join(&keep, batch[:1], true)
	if string(out) != "\n{\"a\":1}\n" || prefix != 1 {
		t.Fatalf("Join after a fragment = %q, %d", out, prefix)
	}
	// Lines are 8, 9 and 10 bytes after a 1-byte lead-in.
	for _, c := range []struct{ n, want int }{{0, 0}, {1, 0}, {8, 0}, {9, 1}, {17, 1}, {18, 2}, {27, 2}, {28, 3}} {
		if got := Whole(batch, 1, c.n); got != c.want {
			t.Errorf("Whole(n=%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

func TestJoinDropsAnOversizedBuffer(t *testing.T) {
	var keep []byte
	Join(&keep, batchOf(strings.Repeat("x", maxKept+1)), false)
	if keep != nil {
		t.Fatalf("kept a %d-byte buffer, more than %d", cap(keep), maxKept)
	}
	Join(&keep, batchOf("small"), false)
	if keep == nil || len(keep) != 0 {
		t.Fatalf("a small buffer is not kept empty for reuse: len %d", len(keep))
	}
}

func TestReport(t *testing.T) {
	rep := sinktest.NewReporter[int]()
	boom := errors.New("boom")
	Report[int](rep, batchOf("a", "b", "c"), 2, boom)
	Report[int](rep, batchOf("d"), 1, nil)
	Report[int](rep, batchOf("e"), 0, boom)
	if d, dr, f := rep.Counts(); d != 3 || dr != 0 || f != 2 {
		t.Fatalf("reported %d delivered, %d dropped, %d failed; want 3, 0, 2", d, dr, f)
	}
	var got []string
	for _, m := range rep.Delivered() {
		got = append(got, string(m.Value))
	}
	for _, m := range rep.Failed() {
		got = append(got, string(m.Value))
	}
	if strings.Join(got, "") != "abdce" {
		t.Fatalf("delivered then failed: %q, want a b d, then c e", got)
	}
	if errs := rep.Errors(); len(errs) != 2 || errs[0] != boom || errs[1] != boom {
		t.Fatalf("failure errors %v, want boom twice", errs)
	}
}
