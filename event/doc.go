// Package event records schema-defined events and fans them out to outputs
// without ever blocking the code that records them.
//
// A Recorder takes an *eventrecorderpb.EventData (built with the generated
// constructors such as NewAlertCreatedEvent), notes the wall-clock time and
// the cluster position, and puts both on a bounded queue whose slots are
// allocated up front: RecordEvent allocates nothing and returns at once.
// When the queue is full the event is dropped and counted, never waited
// for. One goroutine drains the queue in batches, wraps each event an
// output wants in its envelope (timestamp, instance, cluster position),
// encodes it once per wire format in use, and hands the bytes to every
// output whose filter accepts the event type.
//
// Timestamps cost one monotonic clock read: the recorder adds the elapsed
// monotonic time to a wall-clock reading it renews every 100 ms, so a step
// of the system clock shows in timestamps within 100 ms.
//
// Outputs are configured per kind (file_outputs, webhook_outputs,
// kafka_outputs, stdout_outputs, and any kind registered with RegisterKind)
// and can be replaced at run time with ApplyConfig, which keeps unchanged
// outputs running. Every event an output is given ends up counted exactly
// once in the metrics: delivered, dropped or failed.
//
// The recorder is event/runtime, which knows no schema; this package is
// the eventrecorder.v1 schema's generated code (constructors, converters,
// event-type names and the schema description, schema.gen.go) and a thin
// typed facade over the runtime (recorder.go, destination.go) that keeps
// the reference API's names and signatures.
//
// Recording is opt-in per call path: only contexts decorated with
// WithEventRecording record anything, so code shared with tests or tools
// pays nothing.
package event
