// Package event records schema-defined events and fans them out to outputs
// without ever blocking the code that records them.
//
// A Recorder takes an *eventrecorderpb.EventData (built with the generated
// constructors such as NewAlertCreatedEvent), wraps it in an envelope with
// the wall-clock time, the instance and the cluster position, and puts it
// on a bounded queue. RecordEvent returns at once: when the queue is full
// the event is dropped and counted, never waited for. One goroutine drains
// the queue in batches, encodes each event once per wire format in use, and
// hands the bytes to every output whose filter accepts the event type.
//
// Outputs are configured per kind (file_outputs, webhook_outputs,
// kafka_outputs, stdout_outputs, and any kind registered with RegisterKind)
// and can be replaced at run time with ApplyConfig, which keeps unchanged
// outputs running. Every event an output is given ends up counted exactly
// once in the metrics: delivered, dropped or failed.
//
// Recording is opt-in per call path: only contexts decorated with
// WithEventRecording record anything, so code shared with tests or tools
// pays nothing.
package event
