package runtime_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
)

// TestLineOutputsShareTheBatch: file outputs that take every event of a
// batch write the consumer's lines and share one batch of messages; one
// whose filter takes fewer, and events that fail to encode, take the
// other path. Every file must hold exactly its events, in order, and
// every event be counted once: delivered, or failed where it did not
// encode.
func TestLineOutputsShareTheBatch(t *testing.T) {
	schema := toySchema
	schema.AppendJSON = func(e *toyEvent, dst []byte) ([]byte, error) {
		if e.Data.N%7 == 3 {
			return append(dst, "partial"...), errors.New("cannot encode")
		}
		b, err := json.Marshal(e.Data)
		return append(dst, b...), err
	}
	rt := runtime.Bind(schema)
	dir := t.TempDir()
	var cfg runtime.Config
	for i, types := range [][]string{nil, nil, {"a"}} {
		cfg.FileOutputs = append(cfg.FileOutputs, runtime.FileOutputConfig{
			Path: filepath.Join(dir, fmt.Sprintf("out-%d.jsonl", i)), Filter: sink.Filter{EventTypes: types},
		})
	}
	rec, err := rt.New(cfg, runtime.Options{Instance: "toy-1", MaxBatch: 16})
	if err != nil {
		t.Fatal(err)
	}
	ctx := runtime.WithEventRecording(context.Background())
	const n = 1000
	var want [3][]int
	var failed [3]uint64
	for i := range n {
		kind := "a"
		if i%5 == 0 {
			kind = "b"
		}
		rec.RecordEvent(ctx, &toyData{Kind: kind, N: i})
		for o := range 3 {
			if o == 2 && kind != "a" {
				continue
			}
			if i%7 == 3 {
				failed[o]++
				continue
			}
			want[o] = append(want[o], i)
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	stats := rec.Stats()
	for o := range 3 {
		f, err := os.Open(cfg.FileOutputs[o].Path)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var d toyData
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("output %d: line %q: %v", o, sc.Text(), err)
			}
			got = append(got, d.N)
		}
		_ = f.Close()
		if fmt.Sprint(got) != fmt.Sprint(want[o]) {
			t.Errorf("output %d wrote %d events, want %d:\n got %v\nwant %v", o, len(got), len(want[o]), got, want[o])
		}
		st := stats[o]
		if st.Delivered != uint64(len(want[o])) || st.Failed != failed[o] || st.Accounted() != uint64(len(want[o]))+failed[o] {
			t.Errorf("output %d: %+v, want %d delivered and %d failed", o, st, len(want[o]), failed[o])
		}
		// Bytes written count each line's newline, as Alertmanager's
		// file output does: they are the file's size.
		if fi, err := os.Stat(cfg.FileOutputs[o].Path); err != nil {
			t.Fatal(err)
		} else if st.Bytes != uint64(fi.Size()) {
			t.Errorf("output %d: %d bytes written, but the file holds %d", o, st.Bytes, fi.Size())
		}
	}
}
