package eventrecorder

import (
	"context"
	"path/filepath"
	"testing"
)

// RecordEvent on a path where recording is off must cost no allocation,
// the builder's closure included: that is why v0.35 takes a builder.
func TestRecordEventDisabledAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rec, err := New(Config{FileOutputs: []FileOutputConfig{{Name: "a", Path: filepath.Join(t.TempDir(), "e.jsonl")}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	ctx := context.Background()
	version := "0.35.0"
	build := func() EventData { return NewAlertmanagerStartupEvent(version, "") }
	if n := testing.AllocsPerRun(100, func() { rec.RecordEvent(ctx, build) }); n != 0 {
		t.Errorf("RecordEvent with recording off: %v allocations, want 0", n)
	}
	var zero Recorder
	on := WithEventRecording(ctx)
	if n := testing.AllocsPerRun(100, func() { zero.RecordEvent(on, build) }); n != 0 {
		t.Errorf("the zero Recorder's RecordEvent: %v allocations, want 0", n)
	}
}
