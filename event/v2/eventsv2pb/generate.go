// Package eventsv2pb holds the second generation of the event schema,
// events.proto, wire- and JSON-compatible with Alertmanager v0.35's
// events.v2: the protobuf types protoc-gen-go generates from it and, for
// every message, an AppendJSON method (from protoc-gen-eventrecorder-json)
// that writes what protojson writes without reflection.
package eventsv2pb

// buf and the JSON encoder generator are pinned in the gen/ module, so buf
// runs from gen/ (go -C) on event/v2 as its input, with paths in
// ../buf.gen.yaml relative to gen/; see event/generate.go.
//go:generate go -C ../../../gen tool buf generate ../event/v2 --template ../event/v2/buf.gen.yaml
