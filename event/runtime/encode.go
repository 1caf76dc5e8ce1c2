package runtime

import (
	"fmt"

	"github.com/eventrecorder/eventrecorder/sink"
)

// numFormats sizes arrays indexed by sink.Format.
const numFormats = int(sink.Protobuf) + 1

// An encoding is what an output's values are: the format, and whether the
// envelope carries the event id (include_id). The consumer encodes each
// event once per encoding that some output wants, and outputs of one
// encoding share the bytes.
type encoding int

// numEncodings sizes arrays indexed by encoding.
const numEncodings = 2 * numFormats

func encodingOf(f sink.Format, withID bool) encoding {
	if withID {
		return encoding(numFormats + int(f))
	}
	return encoding(f)
}

func (e encoding) format() sink.Format { return sink.Format(int(e) % numFormats) }
func (e encoding) withID() bool        { return int(e) >= numFormats }

// encodeFunc appends one event's encoding to dst.
type encodeFunc[E any] func(ev E, dst []byte) ([]byte, error)

// JSON encoder names for Options.JSONEncoder.
const (
	JSONEncoderGenerated = "generated"
	JSONEncoderProtojson = "protojson"
)

// encoders returns the schema's encoder of each format, the JSON one
// chosen by Options.JSONEncoder.
func (rt *Runtime[E, D]) encoders(jsonEncoder string) ([numFormats]encodeFunc[E], error) {
	var enc [numFormats]encodeFunc[E]
	switch {
	case jsonEncoder == "" || jsonEncoder == JSONEncoderGenerated:
		enc[sink.JSON] = rt.schema.AppendJSON
	case jsonEncoder == JSONEncoderProtojson && rt.schema.AppendProtojson != nil:
		enc[sink.JSON] = rt.schema.AppendProtojson
	case jsonEncoder == JSONEncoderProtojson:
		return enc, fmt.Errorf("event recorder: Options.JSONEncoder %q: schema %q has no protojson encoder", jsonEncoder, rt.schema.Name)
	default:
		return enc, fmt.Errorf("event recorder: Options.JSONEncoder %q is not %q or %q", jsonEncoder, JSONEncoderGenerated, JSONEncoderProtojson)
	}
	enc[sink.Protobuf] = rt.schema.AppendProtobuf
	return enc, nil
}
