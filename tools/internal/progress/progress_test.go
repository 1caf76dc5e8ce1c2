package progress

import (
	"strings"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// clock is a settable time.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// screen is a terminal; frames returns what was drawn since the last
// call, one string per frame.
type screen struct{ strings.Builder }

func (s *screen) frames() []string {
	out := strings.Split(s.String(), clearLine)
	s.Reset()
	return out[1:]
}

func TestNoRateFromTheFirstBurst(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	var s screen
	b := newBar(&s, "replaying", 1_000_000, c.now)
	// The first read returns 64 KiB from the page cache at once.
	c.advance(time.Microsecond)
	b.Set(65536)
	c.advance(50 * time.Millisecond)
	b.Set(131072)
	if f := s.frames(); len(f) != 0 {
		t.Fatalf("frames within the first 100ms: %q", f)
	}
	c.advance(60 * time.Millisecond)
	b.Set(200_000)
	if f := s.frames(); len(f) != 1 || f[0] != "replaying  20% [====                ] 200 kB / 1.00 MB" {
		t.Fatalf("first frame: %q, want the amount read and no rate", f)
	}
	c.advance(50 * time.Millisecond) // 160ms: too soon for another frame
	b.Set(250_000)
	if f := s.frames(); len(f) != 0 {
		t.Fatalf("frame 50ms after the last: %q", f)
	}
	c.advance(840 * time.Millisecond) // 1s: the rate is 500 kB/s
	b.Set(500_000)
	if f := s.frames(); len(f) != 1 || f[0] != "replaying  50% [==========          ] 500 kB / 1.00 MB, 500 kB/s, 1s left" {
		t.Fatalf("frame after a second: %q", f)
	}
	c.advance(3 * time.Second)
	b.Set(1_000_000)
	if f := s.frames(); len(f) != 1 || f[0] != "replaying 100% [====================] 1.00 MB / 1.00 MB, 250 kB/s" {
		t.Fatalf("last frame: %q", f)
	}
	b.Finish()
	if got := s.String(); got != clearLine {
		t.Fatalf("Finish wrote %q, want the line erased", got)
	}
	s.Reset()
	c.advance(time.Second)
	b.Set(1_000_001)
	if s.Len() != 0 {
		t.Fatalf("drew after Finish: %q", s.String())
	}
}

func TestUnknownTotalAndClear(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	var s screen
	b := newBar(&s, "replaying", -1, c.now)
	b.Clear() // nothing drawn: nothing to erase
	if s.Len() != 0 {
		t.Fatalf("Clear of an undrawn bar wrote %q", s.String())
	}
	c.advance(2 * time.Second)
	b.Set(3_000_000)
	if f := s.frames(); len(f) != 1 || f[0] != "replaying 3.00 MB, 1.50 MB/s" {
		t.Fatalf("frame: %q", f)
	}
	b.Clear()
	if got := s.String(); got != clearLine {
		t.Fatalf("Clear wrote %q", got)
	}
	s.Reset()
	// Cleared for a message: the next Set draws again at once.
	b.Set(3_000_001)
	if f := s.frames(); len(f) != 1 {
		t.Fatalf("no frame after Clear: %q", f)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 999: "999 B", 1000: "1.00 kB", 1234: "1.23 kB", 9994: "9.99 kB", 9995: "10.0 kB",
		45_600_000: "45.6 MB", 999_499: "999 kB", 999_500: "1.00 MB", 789_000_000_000: "789 GB",
		380_000_000_000: "380 GB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNilBarDoesNothing(t *testing.T) {
	var b *Bar
	b.Set(1)
	b.Clear()
	b.Finish()
}
