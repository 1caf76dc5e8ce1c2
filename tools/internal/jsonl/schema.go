package jsonl

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
)

// Schema is a generation of the event schema a line is written in.
type Schema int

const (
	// SchemaUnknown is no generation yet: every line so far fitted both.
	SchemaUnknown Schema = iota
	// SchemaV1 is package event (eventrecorderpb, proto package
	// eventrecorder.v1, Alertmanager v0.33): label sets as lists of
	// {key, value} pairs, grouped alerts carrying a hash.
	SchemaV1
	// SchemaV2 is package event/v2 (eventsv2pb, proto package
	// eventrecorder.events.v2, Alertmanager v0.35): label sets as JSON
	// objects, grouped alerts carrying a fingerprint, a 64-bit cluster
	// position.
	SchemaV2
)

// DefaultSchema is the generation assumed when no line tells the
// generations apart (a file of startup and shutdown events only) and none
// was asked for: the module's first generation, what package event and
// the demo write by default.
const DefaultSchema = SchemaV1

func (s Schema) String() string {
	switch s {
	case SchemaV1:
		return "v1"
	case SchemaV2:
		return "v2"
	}
	return "unknown"
}

// ParseSchema parses a --schema value: v1 or v2.
func ParseSchema(s string) (Schema, error) {
	switch s {
	case "v1":
		return SchemaV1, nil
	case "v2":
		return SchemaV2, nil
	}
	return SchemaUnknown, fmt.Errorf("%q is not v1 or v2", s)
}

// Event is one decoded line: the event in the generation it was read as.
// Exactly one of V1 and V2 is set.
type Event struct {
	V1 *eventrecorderpb.Event
	V2 *eventsv2pb.Event
}

// Schema is the generation e was read as.
func (e Event) Schema() Schema {
	if e.V2 != nil {
		return SchemaV2
	}
	return SchemaV1
}

// DecodeV2 parses one line as a v2 event, as strictly as Decode parses a
// v1 one.
func DecodeV2(text []byte) (*eventsv2pb.Event, error) {
	ev := &eventsv2pb.Event{}
	if err := protojson.Unmarshal(text, ev); err != nil {
		return nil, err
	}
	return ev, nil
}

// Detector tells the generation of each line of a stream of inputs, read
// in order, and holds the stream to one generation.
//
// A line's generation is its shape, which strict decoding tells: a v1
// label set ({"labels":[{"key":...,"value":...}]}) is no v2 map of
// strings, and a v2 label set ({"alertname":"NodeDown"}) has fields v1
// does not know; a v1 grouped alert's "hash" is unknown to v2, v2's
// "fingerprint" unknown to v1; v2's "receiverMatcherSets" and a cluster
// position beyond 32 bits exist only in v2. A line that decodes as exactly
// one generation decides the stream's, at that line.
//
// A line that decodes as both (an alertmanager_startup_event or
// alertmanager_shutdown_event, which carry no label set, or a silence
// without annotations) is ambiguous: it follows the stream's generation,
// decided by an earlier line or by Schema; before anything decided it the
// line is reported with SchemaUnknown and both readings, and the caller
// settles it (Settle). The cluster position decides nothing: protojson
// reads it as a number or a string in either generation.
//
// A line of the other generation than the stream's is an error naming
// both lines: files mixing generations are rejected line by line, not
// guessed at.
type Detector struct {
	// Schema, when set (from --schema), is the generation every line must
	// be; nothing is detected.
	Schema Schema

	decided Schema
	at      string // file:line that decided, or "" for Schema/Settle
	why     string
}

// Decided returns the stream's generation so far, where it was decided
// (file:line, or "" when it was given or assumed) and what told it.
func (d *Detector) Decided() (s Schema, at, why string) {
	if d.Schema != SchemaUnknown {
		return d.Schema, "", "--schema " + d.Schema.String()
	}
	return d.decided, d.at, d.why
}

// Settle fixes the generation of a stream none of whose lines decided it
// so far (s is usually DefaultSchema), and returns the generation in
// force.
func (d *Detector) Settle(s Schema, why string) Schema {
	if g, _, _ := d.Decided(); g != SchemaUnknown {
		return g
	}
	d.decided, d.at, d.why = s, "", why
	return s
}

// Ambiguous is a line that decodes as both generations, before the stream
// had one: both readings, for the caller to keep until the generation is
// settled.
type Ambiguous struct {
	V1 *eventrecorderpb.Event
	V2 *eventsv2pb.Event
}

// As returns the reading of generation s.
func (a Ambiguous) As(s Schema) Event {
	if s == SchemaV2 {
		return Event{V2: a.V2}
	}
	return Event{V1: a.V1}
}

// MixedError is a line of the other generation than the stream's.
type MixedError struct {
	Pos     string // file:line of the line
	Line    Schema // the line's generation
	Stream  Schema // the stream's
	At      string // where the stream's was decided; "" when given or assumed
	Why     string // what told the stream's
	LineWhy string // what tells the line's
}

func (e *MixedError) Error() string {
	if e.At == "" {
		return fmt.Sprintf("expected a %s event (%s), got a %s one (%s)", e.Stream, e.Why, e.Line, e.LineWhy)
	}
	return fmt.Sprintf("expected a %s event (the input's schema generation, detected at %s), got a %s one (%s); files mixing schema generations are not read: split them by generation",
		e.Stream, e.At, e.Line, e.LineWhy)
}

// Line decodes one line (pos is its file:line, for errors). It returns the
// event in the stream's generation; or, for an ambiguous line before the
// stream has one, a zero Event and both readings. A line that fits
// neither generation, or only the other one, is an error saying what was
// expected.
func (d *Detector) Line(pos string, text []byte) (Event, *Ambiguous, error) {
	want, _, _ := d.Decided()
	switch want {
	case SchemaV1:
		v1, err1 := Decode(text)
		if err1 == nil {
			return Event{V1: v1}, nil, nil
		}
		if _, err2 := DecodeV2(text); err2 == nil {
			return Event{}, nil, d.mixed(pos, SchemaV2, err1)
		}
		return Event{}, nil, fmt.Errorf("not a v1 event: %v", trimProto(err1))
	case SchemaV2:
		v2, err2 := DecodeV2(text)
		if err2 == nil {
			return Event{V2: v2}, nil, nil
		}
		if _, err1 := Decode(text); err1 == nil {
			return Event{}, nil, d.mixed(pos, SchemaV1, err2)
		}
		return Event{}, nil, fmt.Errorf("not a v2 event: %v", trimProto(err2))
	}
	v1, err1 := Decode(text)
	v2, err2 := DecodeV2(text)
	switch {
	case err1 == nil && err2 == nil:
		return Event{}, &Ambiguous{V1: v1, V2: v2}, nil
	case err1 == nil:
		d.decided, d.at, d.why = SchemaV1, pos, "not v2: "+trimProto(err2)
		return Event{V1: v1}, nil, nil
	case err2 == nil:
		d.decided, d.at, d.why = SchemaV2, pos, "not v1: "+trimProto(err1)
		return Event{V2: v2}, nil, nil
	}
	return Event{}, nil, fmt.Errorf("neither a v1 nor a v2 event: as v1: %v; as v2: %v", trimProto(err1), trimProto(err2))
}

func (d *Detector) mixed(pos string, line Schema, errStream error) error {
	s, at, why := d.Decided()
	return &MixedError{Pos: pos, Line: line, Stream: s, At: at, Why: why, LineWhy: "as " + s.String() + ": " + trimProto(errStream)}
}

// trimProto drops protojson's "proto: " prefix and its unusual
// non-breaking space, so that the error reads like the rest of the line.
func trimProto(err error) string {
	s := strings.ReplaceAll(err.Error(), "\u00a0", " ")
	s = strings.TrimPrefix(s, "proto: ")
	return strings.TrimPrefix(s, "proto:")
}

// TypeName is the event's type name: its EventData arm's field name, which
// is what both generations name their event types.
func (e Event) TypeName() string {
	var m protoreflect.Message
	if e.V2 != nil {
		m = e.V2.GetData().ProtoReflect()
	} else {
		m = e.V1.GetData().ProtoReflect()
	}
	if !m.IsValid() {
		return "unknown"
	}
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("event_type"))
	if fd == nil {
		return "unknown"
	}
	return string(fd.Name())
}
