// Package am034 holds only tests: it links Alertmanager v0.34's own schema
// package (proto package eventrecorderpb) into one binary with this
// module's, which must not collide with it in the protobuf registry, and
// checks that each side decodes the other's bytes to the same event.
//
// It is a module of its own because the root module requires Alertmanager
// v0.33 (the API it is a drop-in for); `make test-compat` runs it.
package am034
