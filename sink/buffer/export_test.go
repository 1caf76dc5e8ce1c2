package buffer

import "github.com/eventrecorder/eventrecorder/sink"

// RecordSize is how many bytes the buffer stores for m.
func RecordSize[T any](m sink.Message[T]) int {
	return len(appendRecord(nil, m.ID, m.Type, m.Key, m.Value, m.Time))
}
