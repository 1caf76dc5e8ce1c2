package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/eventrecorder/eventrecorder/event/runtime"
)

// tally counts the events handed to the recorder by type, so that the
// summary can say how many each output should have accounted for.
type tally map[string]uint64

func (t tally) add(typeName string) { t[typeName]++ }

func (t tally) total() uint64 {
	var n uint64
	for _, v := range t {
		n += v
	}
	return n
}

// expected is how many of the tallied events pass an output's filter.
func (t tally) expected(types []string) uint64 {
	if len(types) == 0 {
		return t.total()
	}
	var n uint64
	for typ, v := range t {
		if slices.Contains(types, typ) {
			n += v
		}
	}
	return n
}

// summarize writes one line per output and reports whether every event
// reached every output that should have it: nothing dropped in the queue,
// nothing dropped or failed by an output, and every output's outcomes
// adding up to what it was given (the recorder's conservation promise,
// checked from outside).
func summarize(w io.Writer, rec recorder, outputs []runtime.OutputInfo, sent tally) bool {
	stats := rec.Stats()
	ok := true
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, s := range stats {
		line := fmt.Sprintf("  %s\tdelivered %d\tdropped %d\tfailed %d\tbytes %d", s.Name, s.Delivered, s.Dropped, s.Failed, s.Bytes)
		if s.Unacknowledged > 0 {
			// Sent without asking for acknowledgement (Kafka acks: none):
			// not lost as far as anyone knows, but not confirmed either.
			line += fmt.Sprintf("\tunacknowledged %d", s.Unacknowledged)
		}
		if s.Dropped > 0 || s.Failed > 0 {
			ok = false
		}
		// Stats and Describe both list outputs in configuration order.
		if len(outputs) == len(stats) {
			want := sent.expected(outputs[i].EventTypes)
			if got := s.Accounted(); got != want {
				line += fmt.Sprintf("\tUNACCOUNTED %d of %d", int64(want)-int64(got), want)
				ok = false
			}
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
	if len(stats) == 0 {
		fmt.Fprintln(w, "  no outputs configured: nothing was recorded")
	}
	if d := rec.Dropped(); d > 0 {
		fmt.Fprintf(w, "  recorder queue dropped %d events before any output saw them\n", d)
		ok = false
	}
	return ok
}
