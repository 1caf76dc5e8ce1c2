//go:build tools

// Package tools pins the one build tool this module runs itself:
// protoc-gen-go, taken from the module's own google.golang.org/protobuf so
// the generated .pb.go files match the runtime library users link. buf,
// the event generators, staticcheck and benchstat are pinned in the
// separate gen/ module (gen/go.mod) instead, so that a module importing
// this one does not inherit them.
package tools

import (
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
)
