package reliability_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// TestBadEventsAreCountedNotWritten records events that cannot be encoded
// (a string field holding invalid UTF-8, which protobuf and protojson
// refuse) and events with no data at all, between good ones, through both
// JSON encoders. Nothing may panic; a bad event fails, counted, at every
// output; the file holds exactly the good events, each line valid JSON.
func TestBadEventsAreCountedNotWritten(t *testing.T) {
	for _, encoder := range []string{event.JSONEncoderGenerated, event.JSONEncoderProtojson} {
		t.Run(encoder, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "events.jsonl")
			r := newRig(t, mustLoad(t, fmt.Sprintf("file_outputs: [{path: %q}]", path)), event.Options{JSONEncoder: encoder})
			out := "file:" + path
			bad := []*eventrecorderpb.EventData{
				event.NewAlertmanagerStartupEvent("\xff\xfe", "bad"),
				event.NewAlertmanagerStartupEvent("ok", "half a rune \xe2\x82"),
				nil,
				{},
			}
			for i := range 10 {
				r.record(1)
				r.rec.RecordEvent(ctxOn, bad[i%len(bad)])
				r.recorded.Add(1)
			}
			c := r.settle(out)
			r.close()
			serialize := int(metricSum(t, r.reg, "alertmanager_event_serialize_errors_total", nil))
			f, err := os.Open(path)
			must(t, err)
			defer f.Close()
			lines, invalid := 0, 0
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				lines++
				if !json.Valid(sc.Bytes()) {
					invalid++
					t.Errorf("line %d is not JSON: %q", lines, sc.Bytes())
				}
			}
			t.Logf("FIGURES bad events %s: %v; serialize errors %d; file lines %d", encoder, c, serialize, lines)
			if lines != c.Delivered || invalid != 0 {
				t.Errorf("file has %d lines (%d invalid), metrics say %d delivered", lines, invalid, c.Delivered)
			}
			// 10 good, 3+3 invalid UTF-8 (encoding fails), 2+2 without
			// data (encoded as envelopes of unknown type).
			if c.Failed != 6 || serialize != 6 || c.Delivered != 14 {
				t.Errorf("%v, %d serialize errors; want the 6 invalid-UTF-8 events failed and counted, the other 14 delivered", c, serialize)
			}
		})
	}
}
