// Package runtime is the event recorder of every schema: the part of
// event recording that knows no schema. A schema's package (event for
// eventrecorder.v1, event/v2 for its successor, or a package of your own)
// is generated code plus a thin typed facade over it.
//
// What it does, for any envelope type E and event-data type D: RecordEvent
// stamps the caller's D with the time (one monotonic clock read against a
// wall-clock anchor renewed every 100 ms) and the cluster position and
// puts it on a bounded queue (queue.Queue) whose slots are allocated up
// front, so that recording never blocks and allocates nothing; a full
// queue drops and counts. One goroutine drains the queue in batches,
// wraps each event some output wants in its envelope, encodes it once per
// wire format in use, and hands the bytes to every output (a sink.Sink[E])
// whose event-type filter accepts it. Outputs are configured per kind
// (Config), replaced at run time as a diff (Recorder.ApplyConfigErr keeps
// unchanged outputs running), counted in Prometheus metrics and in
// Recorder.Stats, and closed within a bound (Options.CloseTimeout). Every
// event an output is given is counted exactly once: delivered,
// unacknowledged, dropped, failed or persisted.
//
// # How a schema plugs in
//
// A schema is described by one Schema value: its event-type names and how
// to get a data's type name, how to build an envelope around data (time,
// instance, cluster position) and read one back, and its encoders. The
// gen/ module's protoc-gen-eventrecorder generates it, as schema.gen.go
// beside the constructors, converters and event-type names, from the
// schema's envelope message (fields timestamp, instance, data and
// cluster_position) and the EventData message whose oneof lists the
// event types; the JSON encoder is the AppendJSON method that
// protoc-gen-eventrecorder-json generates on the envelope. The generated
// file also references IsAtLeastVersion1, so that code generated for a
// newer runtime does not build against an older one.
//
// The facade binds the runtime to the description once,
//
//	var rt = runtime.Bind(schema)
//
// (Bind's options choose what belongs to the facade's API rather than to
// the schema: WithNaming(KindQualifiedNames) gives Alertmanager v0.35's
// rule that every output is named and labelled "<kind>:<name>", as
// event/v2 binds it) and forwards to it under the names its API has:
// rt.New and rt.NewLogged build a *Recorder[E, D]; rt.DecodeConfig, rt.MarshalConfig,
// rt.Validate, rt.EqualConfig and rt.Describe are its configuration
// type's UnmarshalYAML, MarshalYAML and other methods (the facade declares
// `type Config runtime.Config`); rt.NewDestination builds a
// stand-alone output; rt.RegisterKind and rt.Kinds are its output-kind
// table. package event (event/recorder.go, event/destination.go) is the
// worked example: a page of one-line forwards; event/v2 is the second.
//
// # Output kinds
//
// Each bound runtime has its own table of output kinds, because a kind is
// typed by the envelope (sink.Kind[E]): a sink hands its messages,
// envelope included, back to the recorder's sink.Reporter, and a kind
// whose sinks did not mention E could not do that without a conversion
// per message. Bind registers the built-in kinds (file, webhook, kafka,
// stdout) in every table, so every schema has them; a kind of your own
// is registered per schema, through that schema's RegisterKind.
//
// # Stability
//
// This package is a public API: schemas outside this module plug into it.
// Its exported surface is Schema, Bind with its options (WithNaming) and
// Runtime's methods, Recorder's
// methods, Config and Options with their limits and defaults,
// OutputStats, OutputInfo, Destination, the context switch
// (WithEventRecording) and the metric and encoder names. What a schema
// must provide changes only with a new IsAtLeastVersion constant.
package runtime
