package event

import (
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/sink"
)

// numFormats sizes arrays indexed by sink.Format.
const numFormats = int(sink.Protobuf) + 1

// encodeFunc appends one event's encoding to dst.
type encodeFunc func(dst []byte, ev *eventrecorderpb.Event) ([]byte, error)

// JSON encoder names for Options.JSONEncoder.
const (
	JSONEncoderGenerated = "generated"
	JSONEncoderProtojson = "protojson"
)

func encoderFor(jsonEncoder string) [numFormats]encodeFunc {
	var enc [numFormats]encodeFunc
	enc[sink.JSON] = appendJSON
	if jsonEncoder == JSONEncoderProtojson {
		enc[sink.JSON] = appendProtojson
	}
	enc[sink.Protobuf] = appendProto
	return enc
}

var protoOpts = proto.MarshalOptions{}

func appendProto(dst []byte, ev *eventrecorderpb.Event) ([]byte, error) {
	return protoOpts.MarshalAppend(dst, ev)
}

var protojsonOpts = protojson.MarshalOptions{}

func appendProtojson(dst []byte, ev *eventrecorderpb.Event) ([]byte, error) {
	return protojsonOpts.MarshalAppend(dst, ev)
}

// appendJSON is the generated encoder: protojson's output, without
// reflection or allocation.
func appendJSON(dst []byte, ev *eventrecorderpb.Event) ([]byte, error) {
	return ev.AppendJSON(dst)
}
