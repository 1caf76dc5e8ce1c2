// Package eventrecorder (import path
// github.com/eventrecorder/eventrecorder/event/v2) is the recorder for the
// second generation of the event schema, eventsv2pb, the one Alertmanager
// v0.35 writes. Its package name is Alertmanager's, so that v0.35 code
// calling eventrecorder.X needs only its import path changed.
//
// What is generated here from the schema and mapping.yaml, by the same
// generators as package event's: the event-type names (EventType*
// constants), one constructor per event type returning
// *eventsv2pb.EventData (new<Payload>Data), and the converters from
// Alertmanager's types (alertAsProto, silenceAsProto, ...). They are
// unexported because v0.35's exported API is opaque (EventData and Event
// hide their messages).
//
// That API is the facade around them, over event/runtime: data.go (the
// opaque EventData and Event, the snapshots AlertGroup, GroupedAlert and
// InhibitRule, Notification and the ten New*Event constructors),
// recorder.go (Recorder, Config) and destination.go (the stand-alone
// outputs). It keeps every name and signature of Alertmanager v0.35.0's
// eventrecorder package (reference_api_test.go) and its naming rule:
// every output has a name, unique per kind, and goes by "<kind>:<name>"
// in metric labels and logs. This module's additions are there as well:
// New and Options, ApplyConfigErr, Stats, Replay, event_types filters,
// RegisterKind, and the outputs' own settings.
package eventrecorder

// Regenerate everything that follows from the schema: the protobuf types
// and JSON encoders in eventsv2pb/, and this package's constructors,
// converters and event-type names. buf and the event generators are
// pinned in the gen/ module, so buf runs from gen/ (go -C) with event/v2
// as its input, and buf.gen.yaml's paths are relative to gen/; see
// ../generate.go.
//go:generate go -C ../../gen tool buf generate ../event/v2 --template ../event/v2/buf.gen.yaml
