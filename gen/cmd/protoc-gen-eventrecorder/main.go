// Command protoc-gen-eventrecorder is a protoc/buf plugin that generates
// the event package's constructors, converters and event-type names from
// the schema and the mapping file. buf runs it as a local plugin; see
// event/buf.gen.yaml. The mapping language is described in the package doc
// of github.com/eventrecorder/eventrecorder/gen.
//
// Options (opt: in buf.gen.yaml):
//
//	mapping=<file>  the mapping file, relative to the directory buf runs in
//	                (default mapping.yaml; event/buf.gen.yaml, run from
//	                gen/, gives ../event/mapping.yaml)
package main

import (
	"flag"
	"path/filepath"

	"github.com/eventrecorder/eventrecorder/gen/internal/api"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	var flags flag.FlagSet
	mapping := flags.String("mapping", "mapping.yaml", "mapping file")
	protogen.Options{ParamFunc: flags.Set}.Run(func(p *protogen.Plugin) error {
		p.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL)
		m, err := api.LoadMapping(*mapping)
		if err != nil {
			return err
		}
		return api.Generate(p, m, filepath.Base(*mapping))
	})
}
