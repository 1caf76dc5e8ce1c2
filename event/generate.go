package event

// Regenerate everything that follows from the schema: the protobuf types,
// the constructors, converters and event-type names, and the JSON encoders.
//go:generate go run github.com/bufbuild/buf/cmd/buf generate
