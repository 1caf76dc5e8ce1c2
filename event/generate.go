package event

// Regenerate everything that follows from the schema: the protobuf types,
// the constructors, converters and event-type names, and the JSON encoders.
//
// buf and the event generators are pinned in the gen/ module (gen/go.mod),
// kept apart so that modules importing this one do not inherit them. buf
// therefore runs from gen/ (go -C), on this directory as input, and starts
// the plugins there too: buf.gen.yaml's paths are relative to gen/.
//go:generate go -C ../gen tool buf generate ../event --template ../event/buf.gen.yaml
