// Package buffer puts a buffer in front of any output: a decorator
// around a sink.Sink, in the manner of the Kubernetes API server's
// buffered audit backend, that knows no event type. Deliver stores each
// message as a record (in memory, or on disk in a queue.Disk) and
// returns; a pump hands the records to the inner sink, at most
// Options.InFlight unreported at once, and a record leaves the buffer
// only once the inner sink has reported it and every record before it
// (acknowledgements are cumulative, reports come in any order). Failures
// that may pass are retried until Close, so an outage fills the buffer
// rather than failing events, and a disk buffer's records outlive the
// process: what one holds at Close is reported sink.Persisted and
// delivered by the next output started on the directory.
//
// Outputs take the buffer block of their configuration (Config) and call
// Wrap in their kind's New; see the README's "Output buffers" for what
// each setting guarantees.
package buffer
