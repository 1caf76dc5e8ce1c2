package sink

import (
	"encoding/hex"
	"fmt"
	"slices"
)

// EventID identifies one recorded event, so that a consumer of an
// at-least-once output can tell a redelivery from a new event. The
// recorder gives every event an id when it is recorded, a UUIDv7 (RFC
// 9562): time-ordered, and unique without coordination between
// processes. The same id goes with the event to every output, on every
// retry, through a durable buffer and across restarts; a replayed event
// keeps the id its envelope has.
//
// The zero value means no id (a message built by hand, or a record a
// durable buffer wrote before events had ids).
type EventID [16]byte

// eventIDTextLen is the length of an id's canonical text: 32 hex digits
// and four hyphens (8-4-4-4-12).
const eventIDTextLen = 36

// IsZero reports whether id is the zero value, no id.
func (id EventID) IsZero() bool { return id == EventID{} }

// String returns the canonical text of id, 36 characters of lower-case
// hex and hyphens (8-4-4-4-12), or "" for the zero value.
func (id EventID) String() string {
	if id.IsZero() {
		return ""
	}
	var b [eventIDTextLen]byte
	return string(id.appendText(b[:0]))
}

// AppendText appends the canonical text of id to b (nothing for the zero
// value); it implements encoding.TextAppender.
func (id EventID) AppendText(b []byte) ([]byte, error) {
	if id.IsZero() {
		return b, nil
	}
	return id.appendText(b), nil
}

func (id EventID) appendText(b []byte) []byte {
	n := len(b)
	b = slices.Grow(b, eventIDTextLen)[:n+eventIDTextLen]
	// Each group hex-encoded in place at constant offsets: 34 ns against
	// 53 for a loop of appends, and a Kafka output writes one per record.
	t := (*[eventIDTextLen]byte)(b[n:])
	hex.Encode(t[0:8], id[0:4])
	t[8] = '-'
	hex.Encode(t[9:13], id[4:6])
	t[13] = '-'
	hex.Encode(t[14:18], id[6:8])
	t[18] = '-'
	hex.Encode(t[19:23], id[8:10])
	t[23] = '-'
	hex.Encode(t[24:36], id[10:16])
	return b
}

// ParseEventID reads the canonical text of a UUID (any version; hex
// digits in either case). The empty string is the zero value, no id.
func ParseEventID(s string) (EventID, error) {
	var id EventID
	if s == "" {
		return id, nil
	}
	if len(s) != eventIDTextLen {
		return id, fmt.Errorf("event id %q is not a UUID (8-4-4-4-12 hex digits)", s)
	}
	j := 0
	for i := 0; i < eventIDTextLen; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return EventID{}, fmt.Errorf("event id %q is not a UUID (8-4-4-4-12 hex digits)", s)
			}
			i++
			continue
		}
		hi, ok1 := fromHex(s[i])
		lo, ok2 := fromHex(s[i+1])
		if !ok1 || !ok2 {
			return EventID{}, fmt.Errorf("event id %q is not a UUID (8-4-4-4-12 hex digits)", s)
		}
		id[j] = hi<<4 | lo
		i, j = i+2, j+1
	}
	return id, nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Identity is embedded, with `yaml:",inline"`, by output configurations to
// accept the include_id setting every output supports: with include_id:
// true the envelope the output receives carries the event's id in its id
// field, so that the id is in the body itself (JSON "id"). It is off by
// default, and then the body is exactly the reference envelope, without
// the field. The recorder encodes the envelope once per format and
// include_id, so outputs that differ in it do not share bytes. The
// built-in kinds' configurations declare the field themselves (IncludeID,
// with the same tags and an IncludesID method), as they do Name.
type Identity struct {
	IncludeID bool `yaml:"include_id,omitempty" json:"include_id,omitempty"`
}

// IncludesID reports whether the configuration sets include_id.
func (i Identity) IncludesID() bool { return i.IncludeID }

// IDIncluder is implemented by configurations that embed Identity or
// declare its field.
type IDIncluder interface {
	IncludesID() bool
}

// IncludesID reports whether cfg asks for the id in the envelope.
func IncludesID(cfg any) bool {
	i, ok := cfg.(IDIncluder)
	return ok && i.IncludesID()
}
