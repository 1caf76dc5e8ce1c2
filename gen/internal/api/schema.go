package api

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The schema description (schema.gen.go): the value that binds a schema
// to the recorder runtime (event/runtime.Schema), so that a facade is the
// runtime plus this value plus thin typed wrappers. It names the
// event-type list and switch of eventtype.gen.go, builds and reads the
// envelope message, and picks the encoders: the append-style JSON encoder
// that protoc-gen-eventrecorder-json generates on the envelope
// (AppendJSON), protojson for comparison, and protobuf.

// envelopeFields are the envelope message's fields, by name. id is
// optional: nil for an envelope without an event-id field.
type envelopeFields struct {
	msg                                     *protogen.Message
	timestamp, instance, data, position, id *protogen.Field
}

// envelope finds the envelope message and checks its fields: what the
// runtime stamps must be there, with the types the generated code
// assumes.
func (g *generator) envelope() (*envelopeFields, error) {
	msg, err := g.lookupMessage(g.m.Envelope)
	if err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	env := &envelopeFields{msg: msg}
	var problems []string
	field := func(name string, ok func(*protogen.Field) bool, want string) *protogen.Field {
		for _, f := range msg.Fields {
			if string(f.Desc.Name()) == name && f.Desc.Cardinality() != protoreflect.Repeated && f.Oneof == nil {
				if ok(f) {
					return f
				}
				break
			}
		}
		problems = append(problems, fmt.Sprintf("%s must be a singular %s", name, want))
		return nil
	}
	isMsg := func(full protoreflect.FullName) func(*protogen.Field) bool {
		return func(f *protogen.Field) bool { return f.Message != nil && f.Message.Desc.FullName() == full }
	}
	env.timestamp = field("timestamp", isMsg("google.protobuf.Timestamp"), "google.protobuf.Timestamp")
	env.instance = field("instance", func(f *protogen.Field) bool { return f.Desc.Kind() == protoreflect.StringKind }, "string")
	env.data = field("data", isMsg(g.eventData.Desc.FullName()), string(g.eventData.Desc.FullName()))
	env.position = field("cluster_position", func(f *protogen.Field) bool {
		k := f.Desc.Kind()
		return k == protoreflect.Uint32Kind || k == protoreflect.Uint64Kind
	}, "uint32 or uint64")
	for _, f := range msg.Fields {
		if f.Desc.Name() == "id" {
			env.id = field("id", func(f *protogen.Field) bool { return f.Desc.Kind() == protoreflect.StringKind }, "string when present")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("envelope %s: %s", msg.Desc.FullName(), strings.Join(problems, "; "))
	}
	return env, nil
}

func (g *generator) schema(f *jen.File) error {
	env, err := g.envelope()
	if err != nil {
		return err
	}
	f.ImportName(RuntimePackage, "runtime")
	f.ImportName("google.golang.org/protobuf/encoding/protojson", "protojson")
	f.ImportName("google.golang.org/protobuf/proto", "proto")
	rt := func(name string) *jen.Statement { return jen.Qual(RuntimePackage, name) }
	ev := func() *jen.Statement { return jen.Op("*").Add(qual(env.msg.GoIdent)) }
	method := func(name string) *jen.Statement { return jen.Parens(ev()).Dot(name) }
	encoder := func(name, what string, marshal *jen.Statement) {
		f.Add(doc(fmt.Sprintf("%s appends e's %s encoding to dst.", name, what)))
		f.Func().Id(name).Params(jen.Id("e").Add(ev()), jen.Id("dst").Index().Byte()).Params(jen.Index().Byte(), jen.Error()).Block(
			jen.Return(marshal.Values().Dot("MarshalAppend").Call(jen.Id("dst"), jen.Id("e"))),
		)
	}

	// The event-id fields are the runtime's second version; a schema
	// without an id field still binds to the first.
	version := "IsAtLeastVersion1"
	if env.id != nil {
		version = "IsAtLeastVersion2"
	}
	f.Add(doc("The schema description below is generated for the runtime it names; an older runtime lacks this constant, and the build fails here rather than at run time."))
	f.Const().Id("_").Op("=").Add(rt(version))

	pkg := string(g.file.Desc.Package())
	f.Add(doc(fmt.Sprintf("schema describes the %s schema to the recorder runtime: its event types, its envelope %s and its encoders. The package's facade binds the runtime to it (runtime.Bind).", pkg, env.msg.GoIdent.GoName)))
	f.Var().Id("schema").Op("=").Add(rt("Schema")).Types(ev(), jen.Op("*").Add(qual(g.eventData.GoIdent))).Values(jen.DictFunc(func(d jen.Dict) {
		d[jen.Id("Name")] = jen.Lit(pkg)
		d[jen.Id("EventTypes")] = jen.Id(g.m.eventTypeList())
		d[jen.Id("TypeName")] = jen.Id(g.m.Names.EventTypeName)
		d[jen.Id("Envelope")] = jen.Id("newEnvelope")
		d[jen.Id("Data")] = method("Get" + env.data.GoName)
		d[jen.Id("Instance")] = method("Get" + env.instance.GoName)
		d[jen.Id("Time")] = jen.Id("envelopeTime")
		if env.id != nil {
			d[jen.Id("ID")] = method("Get" + env.id.GoName)
			d[jen.Id("SetID")] = jen.Id("setEnvelopeID")
		}
		d[jen.Id("AppendJSON")] = method("AppendJSON")
		d[jen.Id("AppendProtojson")] = jen.Id("appendProtojson")
		d[jen.Id("AppendProtobuf")] = jen.Id("appendProtobuf")
	}))

	f.Add(doc(fmt.Sprintf("envelope holds %s and its timestamp in one allocation: building an envelope is one allocation per recorded event, on the recorder's consumer.", withArticle(env.msg.GoIdent.GoName))))
	f.Type().Id("envelope").Struct(
		jen.Id("ev").Add(qual(env.msg.GoIdent)),
		jen.Id("ts").Add(qual(env.timestamp.Message.GoIdent)),
	)

	position := jen.Id("clusterPosition")
	comment := "The runtime's cluster position is 64-bit, as the envelope's field is."
	if env.position.Desc.Kind() == protoreflect.Uint32Kind {
		position = jen.Uint32().Call(position)
		comment = "The runtime's cluster position is 64-bit; this schema's field is 32-bit, which holds any real cluster's positions."
	}
	f.Add(doc("newEnvelope wraps d in its envelope, stamped by the recorder. " + comment))
	f.Func().Id("newEnvelope").Params(
		jen.Id("d").Op("*").Add(qual(g.eventData.GoIdent)),
		jen.Id("sec").Int64(), jen.Id("nsec").Int32(), jen.Id("instance").String(), jen.Id("clusterPosition").Uint64(),
	).Add(ev()).Block(
		jen.Id("env").Op(":=").New(jen.Id("envelope")),
		jen.List(jen.Id("env").Dot("ts").Dot("Seconds"), jen.Id("env").Dot("ts").Dot("Nanos")).Op("=").List(jen.Id("sec"), jen.Id("nsec")),
		jen.Id("env").Dot("ev").Dot(env.timestamp.GoName).Op("=").Op("&").Id("env").Dot("ts"),
		jen.Id("env").Dot("ev").Dot(env.instance.GoName).Op("=").Id("instance"),
		jen.Id("env").Dot("ev").Dot(env.data.GoName).Op("=").Id("d"),
		jen.Id("env").Dot("ev").Dot(env.position.GoName).Op("=").Add(position),
		jen.Return(jen.Op("&").Id("env").Dot("ev")),
	)

	f.Add(doc("envelopeTime is when e was recorded."))
	f.Func().Id("envelopeTime").Params(jen.Id("e").Add(ev())).Qual("time", "Time").Block(
		jen.Return(jen.Id("e").Dot("Get" + env.timestamp.GoName).Call().Dot("AsTime").Call()),
	)
	if env.id != nil {
		f.Add(doc("setEnvelopeID sets e's event id, which the runtime sets only to encode for outputs that include it."))
		f.Func().Id("setEnvelopeID").Params(jen.Id("e").Add(ev()), jen.Id("id").String()).Block(
			jen.Id("e").Dot(env.id.GoName).Op("=").Id("id"),
		)
	}
	encoder("appendProtojson", "protojson (reference JSON)", jen.Qual("google.golang.org/protobuf/encoding/protojson", "MarshalOptions"))
	encoder("appendProtobuf", "protobuf", jen.Qual("google.golang.org/protobuf/proto", "MarshalOptions"))
	return nil
}
