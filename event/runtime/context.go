package runtime

import "context"

type recordingKey struct{}

// WithEventRecording returns a context that enables event recording. By
// default recording is off, so a call path records only where its owner
// decided that its events belong in the audit trail.
func WithEventRecording(ctx context.Context) context.Context {
	return context.WithValue(ctx, recordingKey{}, true)
}

// EventRecordingEnabled reports whether ctx was decorated with
// WithEventRecording.
func EventRecordingEnabled(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	on, _ := ctx.Value(recordingKey{}).(bool)
	return on
}
