//go:build tools

// Package tools pins the versions of the command-line tools this module's
// build uses (buf, protoc-gen-go, staticcheck, benchstat). They run through
// `go run`, so nothing is installed globally and go.mod decides the version.
package tools

import (
	_ "github.com/bufbuild/buf/cmd/buf"
	_ "golang.org/x/perf/cmd/benchstat"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
