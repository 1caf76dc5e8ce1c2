// Package am035 holds only tests: it links Alertmanager v0.35's own
// generated events.v2 package (proto package events.v2) into one binary
// with this module's second-generation schema (eventrecorder.events.v2) and
// its first (eventrecorder.v1), which must not collide in the protobuf
// registry, and checks that each side reads the other's events, binary and
// JSON, as the same event. TestConformance records every event type
// through v0.35's recorder and through event/v2's, built by the same calls
// of their identical APIs, and requires the same JSON lines and protobuf
// that v0.35's generated types decode to the same message.
//
// It is a module of its own because the root module requires Alertmanager
// v0.33 (the API it is a drop-in for); `make test-compat` runs it.
package am035
