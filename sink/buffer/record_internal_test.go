package buffer

import (
	"errors"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// A record keeps the event's id; one written without an id (by the
// release before ids, whose id slot is empty) reads back with none; an
// id slot of any other length than 16 is a malformed record.
func TestRecordKeepsEventID(t *testing.T) {
	id := sink.EventID{0x01, 0x9a, 0xd9, 0xc4, 0x3e, 0x1a, 0x7b, 0x2c, 0x8d, 0x4e, 0x5f, 0x6a, 0x7b, 0x8c, 0x9d, 0x0e}
	at := time.Unix(1700000000, 5)
	for _, want := range []sink.EventID{id, {}} {
		rec := appendRecord(nil, want, "alert_created", []byte("am-0"), []byte(`{"x":1}`), at)
		d, err := decodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if d.id != want || d.typ != "alert_created" || string(d.key) != "am-0" || string(d.value) != `{"x":1}` || !d.time.Equal(at) {
			t.Fatalf("record of id %q read back as %+v", want, d)
		}
	}
	// The layout the release before ids wrote: version, flags, an empty
	// id slot, the type and the value.
	old := append([]byte{recordVersion, 0, 0, 3}, "foo{}"...)
	if d, err := decodeRecord(old); err != nil || !d.id.IsZero() || d.typ != "foo" || string(d.value) != "{}" {
		t.Fatalf("a record without an id: %+v, %v", d, err)
	}
	for _, n := range []byte{1, 15, 17} {
		bad := append([]byte{recordVersion, 0, n}, make([]byte, n)...)
		bad = append(bad, 3, 'f', 'o', 'o')
		if _, err := decodeRecord(bad); !errors.Is(err, errRecord) {
			t.Errorf("an id of %d bytes: error %v, want a malformed record", n, err)
		}
	}
}
