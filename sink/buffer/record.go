package buffer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/eventrecorder/eventrecorder/sink"
)

// A record is one sink.Message as the buffer stores it. Layout, version 1:
//
//	version   1 byte (recordVersion)
//	flags     1 byte (flagKey: Key is set, even if empty; flagTime: Time is set)
//	id        uvarint length + bytes: 16 (sink.EventID) or 0 (no id)
//	time      varint Unix nanoseconds, present with flagTime
//	type      uvarint length + bytes
//	key       uvarint length + bytes, present with flagKey
//	value     the rest
//
// The version byte lets a later release change the layout and still read
// what an earlier one left on disk. The id slot held nothing before
// events had ids, so records of that release read back without one.
// Integrity is the queue's business (each
// record is framed with its CRC there).
const recordVersion = 1

const (
	flagKey  = 1 << 0
	flagTime = 1 << 1
)

// maxTypeLen bounds the event-type name a record may claim, so that a
// record damaged past its checksum cannot make the decoder allocate.
const maxTypeLen = 1 << 10

var errRecord = errors.New("malformed buffer record")

type decoded struct {
	id    sink.EventID
	typ   string
	key   []byte
	value []byte
	time  time.Time
}

func appendRecord(dst []byte, id sink.EventID, typ string, key, value []byte, t time.Time) []byte {
	var flags byte
	if key != nil {
		flags |= flagKey
	}
	if !t.IsZero() {
		flags |= flagTime
	}
	dst = append(dst, recordVersion, flags)
	if id.IsZero() {
		dst = append(dst, 0)
	} else {
		dst = append(dst, byte(len(id)))
		dst = append(dst, id[:]...)
	}
	if !t.IsZero() {
		dst = binary.AppendVarint(dst, t.UnixNano())
	}
	dst = binary.AppendUvarint(dst, uint64(len(typ)))
	dst = append(dst, typ...)
	if key != nil {
		dst = binary.AppendUvarint(dst, uint64(len(key)))
		dst = append(dst, key...)
	}
	return append(dst, value...)
}

// decodeRecord parses rec. The byte slices it returns are copies: the queue's record is only valid until its
// next pop, and the message outlives that in the inner sink.
func decodeRecord(rec []byte) (decoded, error) {
	var d decoded
	if len(rec) < 2 {
		return d, fmt.Errorf("%w: %d bytes", errRecord, len(rec))
	}
	if rec[0] != recordVersion {
		return d, fmt.Errorf("%w: unknown version %d", errRecord, rec[0])
	}
	flags := rec[1]
	b := rec[2:]
	field := func(limit int) ([]byte, bool) {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) || n > uint64(limit) {
			return nil, false
		}
		f := b[w : w+int(n)]
		b = b[w+int(n):]
		return f, true
	}
	id, ok := field(len(d.id))
	if !ok || (len(id) != 0 && len(id) != len(d.id)) {
		return d, fmt.Errorf("%w: bad id", errRecord)
	}
	copy(d.id[:], id)
	if flags&flagTime != 0 {
		ns, w := binary.Varint(b)
		if w <= 0 {
			return d, fmt.Errorf("%w: bad time", errRecord)
		}
		d.time = time.Unix(0, ns)
		b = b[w:]
	}
	typ, ok := field(maxTypeLen)
	if !ok {
		return d, fmt.Errorf("%w: bad type", errRecord)
	}
	var key []byte
	if flags&flagKey != 0 {
		if key, ok = field(len(b)); !ok {
			return d, fmt.Errorf("%w: bad key", errRecord)
		}
	}
	// The value gets room for one byte more, so that an empty value
	// still has a data pointer of its own: the decorator tells in-flight
	// messages apart by it.
	d.value = append(make([]byte, 0, len(b)+1), b...)
	if flags&flagKey != 0 {
		d.key = append(make([]byte, 0, len(key)), key...)
	}
	d.typ = string(typ)
	return d, nil
}
