package runtime

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// IsAtLeastVersion1 is referenced by generated schema descriptions
// (`const _ = runtime.IsAtLeastVersion1`), so that code generated for a
// newer runtime than the one it is built against fails to compile, naming
// the constant, instead of misbehaving. A runtime that changes what it
// needs from a schema adds IsAtLeastVersion2 and keeps this one while it
// still accepts descriptions generated for it.
const IsAtLeastVersion1 = true

// IsAtLeastVersion2 is referenced by descriptions that set the event-id
// fields of Schema (ID, SetID).
const IsAtLeastVersion2 = true

// EventTypeUnknown is the event-type name of data that holds no event (nil,
// or no arm set). Schemas return it from TypeName; the runtime creates its
// series up front beside the schema's own names.
const EventTypeUnknown = "unknown"

// Schema describes one event schema to the runtime: what gen/ generates
// for it (schema.gen.go beside the constructors), and all the runtime
// knows about it. E is the envelope type (the message written to outputs,
// such as *eventrecorderpb.Event) and D the event-data type callers record
// (such as *eventrecorderpb.EventData); the envelope type must be
// comparable, which pointer types are. Every function field is required
// except AppendProtojson, ID and SetID, and each must be safe for
// concurrent use.
type Schema[E comparable, D any] struct {
	// Name identifies the schema in messages, such as "eventrecorder.v1"
	// (its protobuf package).
	Name string
	// EventTypes lists every event-type name, in the schema's order. The
	// names label metrics and are what output filters (event_types) may
	// select.
	EventTypes []string
	// TypeName returns the event-type name of d, or EventTypeUnknown
	// when d holds no event. It runs for every recorded event and should
	// not allocate.
	TypeName func(d D) string
	// Envelope wraps d in the schema's envelope, stamped with the time it
	// was recorded (Unix seconds and nanoseconds), the instance and the
	// cluster position. The runtime's position is 64-bit; a schema whose
	// envelope field is narrower converts. It runs on the recorder's
	// consumer, not on the caller's path.
	Envelope func(d D, sec int64, nsec int32, instance string, clusterPosition uint64) E
	// Data, Instance and Time read an envelope back: a replayed event
	// (Recorder.Replay) keeps the time and instance it has.
	Data     func(e E) D
	Instance func(e E) string
	Time     func(e E) time.Time
	// ID and SetID read and set the envelope's event id, as the canonical
	// text of a UUID ("" for none), for a schema whose envelope has an
	// id field; both are nil for one that has not, whose outputs then
	// cannot set include_id (ids still go in Kafka and webhook headers).
	// The runtime carries each event's id beside its envelope and sets
	// the field only to encode for outputs with include_id; a replayed
	// envelope's id is read once and kept.
	ID    func(e E) string
	SetID func(e E, id string)
	// AppendJSON appends e's JSON encoding to dst (sink.JSON); it is the
	// schema's generated append-style encoder.
	AppendJSON func(e E, dst []byte) ([]byte, error)
	// AppendProtojson, if set, is the reference JSON encoder that
	// Options.JSONEncoder "protojson" selects, for comparison.
	AppendProtojson func(e E, dst []byte) ([]byte, error)
	// AppendProtobuf appends e's protobuf encoding (sink.Protobuf).
	AppendProtobuf func(e E, dst []byte) ([]byte, error)
}

// check reports every required part that s lacks.
func (s Schema[E, D]) check() error {
	var missing []string
	for _, f := range []struct {
		name string
		nil  bool
	}{
		{"TypeName", s.TypeName == nil}, {"Envelope", s.Envelope == nil}, {"Data", s.Data == nil},
		{"Instance", s.Instance == nil}, {"Time", s.Time == nil},
		{"AppendJSON", s.AppendJSON == nil}, {"AppendProtobuf", s.AppendProtobuf == nil},
	} {
		if f.nil {
			missing = append(missing, f.name)
		}
	}
	var errs []error
	if (s.ID == nil) != (s.SetID == nil) {
		errs = append(errs, errors.New("ID and SetID must be set together"))
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	seen := map[string]bool{}
	for _, t := range s.EventTypes {
		if t == "" || t == EventTypeUnknown || seen[t] {
			errs = append(errs, fmt.Errorf("event type %q is empty, reserved or listed twice", t))
		}
		seen[t] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("event recorder: schema %q: %w", s.Name, err)
	}
	return nil
}

// Runtime is the recorder runtime bound to one schema: its table of
// output kinds and everything that builds recorders, destinations and
// configurations for it. A schema's facade package holds one, made by
// Bind at package initialisation, and forwards to it.
type Runtime[E comparable, D any] struct {
	schema Schema[E, D]
	// known lists the event types a filter may name, once rather than
	// for each unknown one.
	known string
	// kinds is the schema's output table. Kinds are typed by the
	// envelope (sink.Kind[E]: a sink hands its messages, envelope and
	// all, back to its Reporter), so each schema has a table of its own;
	// the built-in kinds are in every one.
	kinds sink.Registry[E]
	// naming is how outputs are named (WithNaming).
	naming Naming
}

// Bind validates s and returns its runtime, with the built-in output
// kinds (file, webhook, kafka, stdout) registered. It panics when s lacks
// a required part or repeats an event type: a schema description is
// generated code, and one that is wrong is a programming error, found at
// the facade's initialisation. Options choose what is the facade's API
// rather than the schema's (WithNaming).
func Bind[E comparable, D any](s Schema[E, D], opts ...BindOption) *Runtime[E, D] {
	if err := s.check(); err != nil {
		panic(err)
	}
	s.EventTypes = append([]string(nil), s.EventTypes...)
	var o bindOptions
	for _, opt := range opts {
		opt(&o)
	}
	rt := &Runtime[E, D]{schema: s, known: strings.Join(s.EventTypes, ", "), naming: o.naming}
	for _, k := range builtinKinds[E]() {
		if err := rt.kinds.Register(k); err != nil {
			panic(err) // a programming error in this package
		}
	}
	return rt
}

// EventTypes returns the schema's event-type names (a fresh copy).
func (rt *Runtime[E, D]) EventTypes() []string {
	return append([]string(nil), rt.schema.EventTypes...)
}

// TypeOf is the event-type name of an envelope's data.
func (rt *Runtime[E, D]) TypeOf(e E) string { return rt.schema.TypeName(rt.schema.Data(e)) }

// RegisterKind adds an output kind to the schema's table, so that its
// outputs can be configured under "<name>_outputs" in YAML or in
// Config.Outputs. Call it from an init function, before loading
// configuration.
func (rt *Runtime[E, D]) RegisterKind(k sink.Kind[E]) error { return rt.kinds.Register(k) }

// Kinds lists the registered output kinds, built-in ones first.
func (rt *Runtime[E, D]) Kinds() []sink.Kind[E] { return rt.kinds.Kinds() }
