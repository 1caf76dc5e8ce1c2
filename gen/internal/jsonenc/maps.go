package jsonenc

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// mapValue emits the encoding of map field f's value m, which is not
// empty, as a call of the encoder for f's map type.
func (ps *pkgState) mapValue(fn *function, f *protogen.Field, m *jen.Statement) error {
	key, val := f.Message.Fields[0], f.Message.Fields[1]
	name, err := ps.mapHelper(key, val)
	if err != nil {
		return fmt.Errorf("%s: map value: %w", f.Desc.FullName(), err)
	}
	args := []jen.Code{id("b"), m}
	if !ps.maps[name].usesErr {
		fn.code(bAssign(id(name).Call(args...)))
		return nil
	}
	if val.Desc.Kind() == protoreflect.StringKind {
		// protojson names the map entry's value field, pkg.Msg.FooEntry.value.
		args = append(args, jen.Lit(string(val.Desc.FullName())))
	}
	fn.callErr(id(name).Call(args...))
	return nil
}

// mapHelper returns the name of the encoder for maps from key's type to
// val's, generating it on first use. Maps of the same Go types share one
// encoder; for string values the field protojson names in its invalid UTF-8
// error is a parameter.
func (ps *pkgState) mapHelper(key, val *protogen.Field) (string, error) {
	valName, err := mapValueName(val)
	if err != nil {
		return "", err
	}
	name := "jsonencMap_" + scalarName(key.Desc.Kind()) + "_" + valName
	if _, ok := ps.maps[name]; ok {
		return name, nil
	}
	usesErr := false
	fn := &function{usesErr: &usesErr}
	keyType, valType := goType(key), goType(val)

	if key.Desc.Kind() == protoreflect.BoolKind {
		// At most two keys, written false first without sorting.
		fn.lit("{")
		for _, k := range []bool{false, true} {
			entry := fn.sub()
			entry.lit(fmt.Sprintf(`"%t":`, k))
			if err := ps.valueNamed(entry, val, id("v"), id("field")); err != nil {
				return "", err
			}
			entry.lit(",")
			fn.code(jen.If(jen.List(id("v"), id("ok")).Op(":=").Id("m").Index(jen.Lit(k)), id("ok")).Block(entry.block()...))
		}
	} else {
		ps.helpers[helperEntry] = true
		entryType := jen.Id(helperEntry).Types(keyType, valType)
		fn.code(jen.Var().Id("scratch").Index(id(helperScratch)).Add(entryType.Clone()))
		fn.code(id("es").Op(":=").Id("scratch").Index(jen.Empty(), jen.Lit(0)))
		fn.code(jen.If(jen.Len(id("m")).Op(">").Len(id("scratch"))).Block(
			id("es").Op("=").Make(jen.Index().Add(entryType.Clone()), jen.Lit(0), jen.Len(id("m"))),
		))
		fn.code(jen.For(jen.List(id("k"), id("v")).Op(":=").Range().Id("m")).Block(
			id("es").Op("=").Append(id("es"), entryType.Clone().Values(id("k"), id("v"))),
		))
		compare := jen.Qual("cmp", "Compare").Call(id("x").Dot("k"), id("y").Dot("k"))
		if key.Desc.Kind() == protoreflect.StringKind {
			compare = jen.Qual("strings", "Compare").Call(id("x").Dot("k"), id("y").Dot("k"))
		}
		fn.code(jen.Qual("slices", "SortFunc").Call(id("es"),
			jen.Func().Params(jen.List(id("x"), id("y")).Add(entryType.Clone())).Int().Block(jen.Return(compare))))
		fn.lit("{")

		// The key: a JSON string, also for integers.
		entry := fn.sub()
		k := id("e").Dot("k")
		switch key.Desc.Kind() {
		case protoreflect.StringKind:
			ps.helpers[helperString] = true
			usesErr = true
			// protojson's error for a key names no field.
			entry.code(jen.If(jen.List(id("b"), jen.Err()).Op("=").Id(helperString).Call(id("b"), k, jen.Lit("")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(id("b"), jen.Qual("errors", "New").Call(jen.Lit("proto: invalid UTF-8"))),
			))
			entry.lit(":")
		case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
			entry.lit(`"`)
			entry.code(bAssign(jen.Qual("strconv", "AppendInt").Call(id("b"), jen.Int64().Call(k), jen.Lit(10))))
			entry.lit(`":`)
		case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
			entry.lit(`"`)
			entry.code(bAssign(jen.Qual("strconv", "AppendInt").Call(id("b"), k, jen.Lit(10))))
			entry.lit(`":`)
		case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
			entry.lit(`"`)
			entry.code(bAssign(jen.Qual("strconv", "AppendUint").Call(id("b"), jen.Uint64().Call(k), jen.Lit(10))))
			entry.lit(`":`)
		case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
			entry.lit(`"`)
			entry.code(bAssign(jen.Qual("strconv", "AppendUint").Call(id("b"), k, jen.Lit(10))))
			entry.lit(`":`)
		default:
			return "", fmt.Errorf("%s: %s map keys are not supported by the JSON encoder generator", key.Desc.FullName(), key.Desc.Kind())
		}
		if err := ps.valueNamed(entry, val, id("e").Dot("v"), id("field")); err != nil {
			return "", err
		}
		entry.lit(",")
		fn.code(jen.For(jen.List(id("_"), id("e")).Op(":=").Range().Id("es")).Block(entry.block()...))
	}
	fn.flush()
	// The map is not empty, so the last entry's comma becomes the brace.
	fn.code(id("b").Index(jen.Len(id("b")).Op("-").Lit(1)).Op("=").LitRune('}'))

	params := []jen.Code{id("b").Index().Byte(), id("m").Map(keyType).Add(valType)}
	results := []jen.Code{jen.Index().Byte()}
	ret := jen.Return(id("b"))
	if usesErr {
		results = append(results, jen.Error())
		ret = jen.Return(id("b"), jen.Nil())
		if val.Desc.Kind() == protoreflect.StringKind {
			params = append(params, id("field").String())
		}
	}
	body := fn.block()
	if usesErr {
		body = append([]jen.Code{jen.Var().Err().Error()}, body...)
	}
	body = append(body, ret)
	decl := jen.Commentf("%s appends m, which must not be empty, as protojson", name).Line().
		Comment("writes it: an object with the keys in ascending order (false before true,").Line().
		Comment("integers by value, strings by byte order).").Line().
		Func().Id(name).Params(params...).Params(results...).Block(body...)
	ps.maps[name] = mapHelper{decl: decl, usesErr: usesErr}
	return name, nil
}

// mapValueName is the part of a map encoder's name for its value type.
func mapValueName(val *protogen.Field) (string, error) {
	switch val.Desc.Kind() {
	case protoreflect.EnumKind:
		return "E_" + strings.ReplaceAll(string(val.Enum.Desc.FullName()), ".", "_"), nil
	case protoreflect.MessageKind:
		return "M_" + strings.ReplaceAll(string(val.Message.Desc.FullName()), ".", "_"), nil
	case protoreflect.GroupKind:
		return "", unsupported(val, "group values")
	}
	return scalarName(val.Desc.Kind()), nil
}

// scalarName names a scalar kind by the Go type it is held in, which also
// decides its JSON form; bytes are "bytes".
func scalarName(k protoreflect.Kind) string {
	switch k {
	case protoreflect.BoolKind:
		return "bool"
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return "int32"
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return "int64"
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return "uint32"
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return "uint64"
	case protoreflect.FloatKind:
		return "float32"
	case protoreflect.DoubleKind:
		return "float64"
	case protoreflect.StringKind:
		return "string"
	case protoreflect.BytesKind:
		return "bytes"
	}
	return k.String()
}

// goType is the Go type protoc-gen-go gives a map key or value of field f.
func goType(f *protogen.Field) *jen.Statement {
	switch f.Desc.Kind() {
	case protoreflect.EnumKind:
		return jen.Qual(string(f.Enum.GoIdent.GoImportPath), f.Enum.GoIdent.GoName)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return jen.Op("*").Qual(string(f.Message.GoIdent.GoImportPath), f.Message.GoIdent.GoName)
	case protoreflect.BytesKind:
		return jen.Index().Byte()
	}
	return jen.Id(scalarName(f.Desc.Kind()))
}

// emitEntry writes the entry type map encoders sort, and the size of the
// array they sort in without allocating.
func emitEntry(jf *jen.File) {
	jf.Commentf("%s is how many entries a map encoder sorts on its stack; a larger map", helperScratch)
	jf.Comment("costs one allocation.")
	jf.Const().Id(helperScratch).Op("=").Lit(mapScratch)
	jf.Line()
	jf.Commentf("%s is one map entry, copied out of the map to be sorted by key.", helperEntry)
	jf.Type().Id(helperEntry).Types(id("K"), id("V").Any()).Struct(
		id("k").Id("K"),
		id("v").Id("V"),
	)
	jf.Line()
}
