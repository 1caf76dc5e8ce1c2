// Command protoc-gen-eventrecorder-json is a protoc/buf plugin that
// generates append-style JSON encoders, equivalent to protojson, for every
// message of the schema. buf runs it as a local plugin; see
// event/buf.gen.yaml. The generator itself is gen/internal/jsonenc, which
// also declares the plugin's supported features (proto3 optional).
package main

import (
	"google.golang.org/protobuf/compiler/protogen"

	"github.com/eventrecorder/eventrecorder/gen/internal/jsonenc"
)

func main() {
	protogen.Options{}.Run(jsonenc.Generate)
}
