package jsonenc

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"google.golang.org/protobuf/compiler/protogen"
)

const (
	timestamppbPath = "google.golang.org/protobuf/types/known/timestamppb"
	durationpbPath  = "google.golang.org/protobuf/types/known/durationpb"
)

func id(name string) *jen.Statement { return jen.Id(name) }

// appendTo renders `b = append(b, vs...)`.
func appendTo(vs ...jen.Code) *jen.Statement {
	return bAssign(jen.Append(append([]jen.Code{id("b")}, vs...)...))
}

// errorf renders errors.New(prefix + strconv.FormatInt(int64(v), 10)): the
// texts are protojson's, so that logs read the same with either encoder.
func errorWithInt(prefix string, v *jen.Statement) *jen.Statement {
	return jen.Qual("errors", "New").Call(jen.Lit(prefix).Op("+").Qual("strconv", "FormatInt").Call(v, jen.Lit(10)))
}

// emitEnum writes a switch from value to name; values without a name are
// written as numbers, as protojson writes them. Aliases take the first name
// declared, which is the one protojson finds by number.
func emitEnum(jf *jen.File, e *protogen.Enum) {
	seen := map[int32]bool{}
	var cases []jen.Code
	for _, v := range e.Values {
		n := int32(v.Desc.Number())
		if seen[n] {
			continue
		}
		seen[n] = true
		q, err := quote(string(v.Desc.Name()))
		if err != nil {
			panic(err) // enum value names are identifiers
		}
		cases = append(cases, jen.Case(jen.Lit(int(n))).Block(jen.Return(jen.Append(id("b"), stringLit(q).Op("...")))))
	}
	jf.Commentf("%s appends v's name, or its number if it has none, as protojson does.", enumHelper(e))
	jf.Func().Id(enumHelper(e)).Params(id("b").Index().Byte(), id("v").Qual(string(e.GoIdent.GoImportPath), e.GoIdent.GoName)).Index().Byte().Block(
		jen.Switch(id("v")).Block(cases...),
		jen.Return(jen.Qual("strconv", "AppendInt").Call(id("b"), jen.Int64().Call(id("v")), jen.Lit(10))),
	)
	jf.Line()
}

// emitString writes the string escaper. It reproduces protojson's rules:
// only '"', '\\' and control characters are escaped (\b \f \n \r \t by
// name, the others as \u00XX in lower case), with no HTML escaping and with
// U+2028 and U+2029 left as they are; invalid UTF-8 is an error naming the
// field. Runs of bytes that need no escaping are copied in one append.
func emitString(jf *jen.File) {
	jf.Const().Id(helperHex).Op("=").Lit("0123456789abcdef")
	jf.Line()
	esc := func(c rune, name rune) jen.Code {
		return jen.Case(jen.LitRune(c)).Block(appendTo(jen.LitRune('\\'), jen.LitRune(name)))
	}
	jf.Comment(helperString + " appends s as a JSON string escaped as protojson escapes it: only '\"',")
	jf.Comment("'\\' and control characters, no HTML escaping, U+2028/U+2029 kept; invalid UTF-8")
	jf.Comment("is protojson's error for field.")
	jf.Func().Id(helperString).Params(id("b").Index().Byte(), id("s"), id("field").String()).Params(jen.Index().Byte(), jen.Error()).Block(
		appendTo(jen.LitRune('"')),
		id("start").Op(":=").Lit(0),
		jen.For(id("i").Op(":=").Lit(0), id("i").Op("<").Len(id("s")), jen.Empty()).Block(
			jen.If(id("i").Op("+").Lit(8).Op("<=").Len(id("s"))).Block(
				jen.Comment("Eight bytes at a time: the high bit of a byte of m is set where"),
				jen.Comment(`x has a byte below 0x20, a '"', a '\\' or a byte of a multi-byte`),
				jen.Comment("character. A borrow can only set bits above a byte that is set"),
				jen.Comment("for a reason, so the lowest one is always genuine."),
				id("x").Op(":=").Add(load8()),
				id("m").Op(":=").Parens(
					jen.Parens(id("x").Op("-").Add(hex64(0x20))).Op("|").
						Parens(jen.Parens(id("x").Op("^").Add(hex64('"'))).Op("-").Add(hex64(1))).Op("|").
						Parens(jen.Parens(id("x").Op("^").Add(hex64('\\'))).Op("-").Add(hex64(1))).Op("|").Id("x"),
				).Op("&").Add(hex64(0x80)),
				jen.If(id("m").Op("==").Lit(0)).Block(
					id("i").Op("+=").Lit(8),
					jen.Continue(),
				),
				id("i").Op("+=").Qual("math/bits", "TrailingZeros64").Call(id("m")).Op(">>").Lit(3),
			),
			id("c").Op(":=").Id("s").Index(id("i")),
			jen.If(id("c").Op(">=").Qual("unicode/utf8", "RuneSelf")).Block(
				jen.List(id("r"), id("n")).Op(":=").Qual("unicode/utf8", "DecodeRuneInString").Call(id("s").Index(id("i"), jen.Empty())),
				jen.If(id("r").Op("==").Qual("unicode/utf8", "RuneError").Op("&&").Id("n").Op("==").Lit(1)).Block(
					jen.Return(id("b"), jen.Qual("errors", "New").Call(jen.Lit("proto: field ").Op("+").Id("field").Op("+").Lit(" contains invalid UTF-8"))),
				),
				id("i").Op("+=").Id("n"),
				jen.Continue(),
			),
			jen.If(id("c").Op(">=").LitRune(' ').Op("&&").Id("c").Op("!=").LitRune('"').Op("&&").Id("c").Op("!=").LitRune('\\')).Block(
				id("i").Op("++"),
				jen.Continue(),
			),
			appendTo(id("s").Index(id("start"), id("i")).Op("...")),
			jen.Switch(id("c")).Block(
				jen.Case(jen.LitRune('"'), jen.LitRune('\\')).Block(appendTo(jen.LitRune('\\'), id("c"))),
				esc('\b', 'b'),
				esc('\f', 'f'),
				esc('\n', 'n'),
				esc('\r', 'r'),
				esc('\t', 't'),
				jen.Default().Block(appendTo(jen.LitRune('\\'), jen.LitRune('u'), jen.LitRune('0'), jen.LitRune('0'),
					id(helperHex).Index(id("c").Op(">>").Lit(4)), id(helperHex).Index(id("c").Op("&").Lit(0xf)))),
			),
			id("i").Op("++"),
			id("start").Op("=").Id("i"),
		),
		appendTo(id("s").Index(id("start"), jen.Empty()).Op("...")),
		jen.Return(jen.Append(id("b"), jen.LitRune('"')), jen.Nil()),
	)
	jf.Line()
}

// load8 renders a little-endian load of s[i:i+8], in a form the compiler
// turns into one load.
func load8() *jen.Statement {
	var e *jen.Statement
	for k := 0; k < 8; k++ {
		b := jen.Uint64().Call(id("s").Index(id("i").Op("+").Lit(k)))
		if k == 0 {
			b = jen.Uint64().Call(id("s").Index(id("i")))
		} else {
			b = b.Op("<<").Lit(8 * k)
		}
		if e == nil {
			e = b
		} else {
			e = e.Op("|").Add(b)
		}
	}
	return e
}

// hex64 renders c repeated in every byte of a uint64, in hexadecimal.
func hex64(c byte) *jen.Statement {
	return jen.Id(fmt.Sprintf("0x%016x", uint64(c)*0x0101010101010101))
}

// digits renders the ASCII digit of v selected by div and mod, e.g.
// byte('0' + v/100%10).
func digit(v *jen.Statement) *jen.Statement {
	return jen.Byte().Call(jen.LitRune('0').Op("+").Add(v))
}

// emitTimestamp writes the RFC 3339 formatter with protojson's range checks.
// The civil date comes from the day count by H. Hinnant's days-to-civil
// algorithm, counted from 0000-03-01 so that a leap day ends its year; this
// avoids time.Time and its calendar tables on the hot path.
func emitTimestamp(jf *jen.File) {
	two := func(v string) []jen.Code {
		return []jen.Code{digit(id(v).Op("/").Lit(10)), digit(id(v).Op("%").Lit(10))}
	}
	var date []jen.Code
	date = append(date, jen.LitRune('"'),
		digit(id("year").Op("/").Lit(1000)), digit(id("year").Op("/").Lit(100).Op("%").Lit(10)),
		digit(id("year").Op("/").Lit(10).Op("%").Lit(10)), digit(id("year").Op("%").Lit(10)), jen.LitRune('-'))
	date = append(date, two("month")...)
	date = append(date, jen.LitRune('-'))
	date = append(date, two("day")...)
	date = append(date, jen.LitRune('T'))
	date = append(date, two("hour")...)
	date = append(date, jen.LitRune(':'))
	date = append(date, two("minute")...)
	date = append(date, jen.LitRune(':'))
	date = append(date, two("second")...)

	jf.Comment(helperTimestamp + " appends t in RFC 3339, UTC, with 0, 3, 6 or 9 fractional digits,")
	jf.Comment("and fails outside 0001-01-01..9999-12-31 or for invalid nanos, as protojson does.")
	jf.Func().Id(helperTimestamp).Params(id("b").Index().Byte(), id("t").Op("*").Qual(timestamppbPath, "Timestamp")).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(id("secs"), id("nanos")).Op(":=").List(id("t").Dot("GetSeconds").Call(), id("t").Dot("GetNanos").Call()),
		jen.If(id("secs").Op("<").Lit(-62135596800).Op("||").Id("secs").Op(">").Lit(253402300799)).Block(
			jen.Return(id("b"), errorWithInt("proto: google.protobuf.Timestamp: seconds out of range ", id("secs"))),
		),
		jen.If(id("nanos").Op("<").Lit(0).Op("||").Id("nanos").Op(">").Lit(999999999)).Block(
			jen.Return(id("b"), errorWithInt("proto: google.protobuf.Timestamp: nanos out of range ", jen.Int64().Call(id("nanos")))),
		),
		jen.Comment("Seconds since 0001-01-01T00:00:00Z, never negative after the check above."),
		id("s").Op(":=").Uint64().Call(id("secs").Op("+").Lit(62135596800)),
		id("sod").Op(":=").Id("s").Op("%").Lit(86400),
		id("z").Op(":=").Id("s").Op("/").Lit(86400).Op("+").Lit(306),
		id("era").Op(":=").Id("z").Op("/").Lit(146097),
		id("doe").Op(":=").Id("z").Op("-").Id("era").Op("*").Lit(146097),
		id("yoe").Op(":=").Parens(id("doe").Op("-").Id("doe").Op("/").Lit(1460).Op("+").Id("doe").Op("/").Lit(36524).Op("-").Id("doe").Op("/").Lit(146096)).Op("/").Lit(365),
		id("doy").Op(":=").Id("doe").Op("-").Parens(jen.Lit(365).Op("*").Id("yoe").Op("+").Id("yoe").Op("/").Lit(4).Op("-").Id("yoe").Op("/").Lit(100)),
		id("mp").Op(":=").Parens(jen.Lit(5).Op("*").Id("doy").Op("+").Lit(2)).Op("/").Lit(153),
		id("day").Op(":=").Id("doy").Op("-").Parens(jen.Lit(153).Op("*").Id("mp").Op("+").Lit(2)).Op("/").Lit(5).Op("+").Lit(1),
		id("month").Op(":=").Id("mp").Op("+").Lit(3),
		id("year").Op(":=").Id("era").Op("*").Lit(400).Op("+").Id("yoe"),
		jen.If(id("month").Op(">").Lit(12)).Block(
			id("month").Op("-=").Lit(12),
			id("year").Op("++"),
		),
		jen.List(id("hour"), id("minute"), id("second")).Op(":=").List(id("sod").Op("/").Lit(3600), id("sod").Op("/").Lit(60).Op("%").Lit(60), id("sod").Op("%").Lit(60)),
		appendTo(date...),
		bAssign(id(helperFraction).Call(id("b"), jen.Uint32().Call(id("nanos")))),
		jen.Return(jen.Append(id("b"), jen.LitRune('Z'), jen.LitRune('"')), jen.Nil()),
	)
	jf.Line()
}

// emitDuration writes the "1.5s" formatter with protojson's range and sign
// checks.
func emitDuration(jf *jen.File) {
	jf.Comment(helperDuration + " appends d as protojson does (\"-1.5s\"), with its range and sign checks.")
	jf.Func().Id(helperDuration).Params(id("b").Index().Byte(), id("d").Op("*").Qual(durationpbPath, "Duration")).Params(jen.Index().Byte(), jen.Error()).Block(
		jen.List(id("secs"), id("nanos")).Op(":=").List(id("d").Dot("GetSeconds").Call(), id("d").Dot("GetNanos").Call()),
		jen.If(id("secs").Op("<").Lit(-315576000000).Op("||").Id("secs").Op(">").Lit(315576000000)).Block(
			jen.Return(id("b"), errorWithInt("proto: google.protobuf.Duration: seconds out of range ", id("secs"))),
		),
		jen.If(id("nanos").Op("<").Lit(-999999999).Op("||").Id("nanos").Op(">").Lit(999999999)).Block(
			jen.Return(id("b"), errorWithInt("proto: google.protobuf.Duration: nanos out of range ", jen.Int64().Call(id("nanos")))),
		),
		jen.If(jen.Parens(id("secs").Op(">").Lit(0).Op("&&").Id("nanos").Op("<").Lit(0)).Op("||").Parens(id("secs").Op("<").Lit(0).Op("&&").Id("nanos").Op(">").Lit(0))).Block(
			jen.Return(id("b"), jen.Qual("errors", "New").Call(jen.Lit("proto: google.protobuf.Duration: signs of seconds and nanos do not match"))),
		),
		appendTo(jen.LitRune('"')),
		jen.If(id("secs").Op("<").Lit(0).Op("||").Id("nanos").Op("<").Lit(0)).Block(
			appendTo(jen.LitRune('-')),
			jen.List(id("secs"), id("nanos")).Op("=").List(jen.Op("-").Id("secs"), jen.Op("-").Id("nanos")),
		),
		bAssign(jen.Qual("strconv", "AppendInt").Call(id("b"), id("secs"), jen.Lit(10))),
		bAssign(id(helperFraction).Call(id("b"), jen.Uint32().Call(id("nanos")))),
		jen.Return(jen.Append(id("b"), jen.LitRune('s'), jen.LitRune('"')), jen.Nil()),
	)
	jf.Line()
}

// emitFraction writes the fractional-second formatter: none for whole
// seconds, else 3, 6 or 9 digits, the fewest that are exact.
func emitFraction(jf *jen.File) {
	jf.Comment(helperFraction + " appends the fraction of a second n nanoseconds make: nothing, or 3, 6")
	jf.Comment("or 9 digits, the fewest that are exact.")
	jf.Func().Id(helperFraction).Params(id("b").Index().Byte(), id("n").Uint32()).Index().Byte().Block(
		jen.If(id("n").Op("==").Lit(0)).Block(jen.Return(id("b"))),
		id("width").Op(":=").Lit(9),
		jen.If(id("n").Op("%").Lit(1000000).Op("==").Lit(0)).Block(
			jen.List(id("n"), id("width")).Op("=").List(id("n").Op("/").Lit(1000000), jen.Lit(3)),
		).Else().If(id("n").Op("%").Lit(1000).Op("==").Lit(0)).Block(
			jen.List(id("n"), id("width")).Op("=").List(id("n").Op("/").Lit(1000), jen.Lit(6)),
		),
		jen.Var().Id("frac").Index(jen.Lit(10)).Byte(),
		id("frac").Index(jen.Lit(0)).Op("=").LitRune('.'),
		jen.For(id("i").Op(":=").Id("width"), id("i").Op(">").Lit(0), id("i").Op("--")).Block(
			id("frac").Index(id("i")).Op("=").Byte().Call(jen.LitRune('0').Op("+").Id("n").Op("%").Lit(10)),
			id("n").Op("/=").Lit(10),
		),
		jen.Return(jen.Append(id("b"), id("frac").Index(jen.Empty(), id("width").Op("+").Lit(1)).Op("..."))),
	)
	jf.Line()
}

// emitFloat writes protojson's number format: encoding/json's choice
// between %f and %e, the shortest round-tripping digits, and NaN and the
// infinities as strings.
func emitFloat(jf *jen.File) {
	abs := id("abs")
	jf.Comment(helperFloat + " appends f as protojson does: encoding/json's number format, with NaN")
	jf.Comment("and the infinities as strings.")
	jf.Func().Id(helperFloat).Params(id("b").Index().Byte(), id("f").Float64(), id("bitSize").Int()).Index().Byte().Block(
		jen.Switch().Block(
			jen.Case(jen.Qual("math", "IsNaN").Call(id("f"))).Block(jen.Return(jen.Append(id("b"), stringLit(`"NaN"`).Op("...")))),
			jen.Case(jen.Qual("math", "IsInf").Call(id("f"), jen.Lit(1))).Block(jen.Return(jen.Append(id("b"), stringLit(`"Infinity"`).Op("...")))),
			jen.Case(jen.Qual("math", "IsInf").Call(id("f"), jen.Lit(-1))).Block(jen.Return(jen.Append(id("b"), stringLit(`"-Infinity"`).Op("...")))),
		),
		id("format").Op(":=").Byte().Call(jen.LitRune('f')),
		jen.If(abs.Clone().Op(":=").Qual("math", "Abs").Call(id("f")), abs.Clone().Op("!=").Lit(0)).Block(
			jen.If(
				id("bitSize").Op("==").Lit(64).Op("&&").Parens(abs.Clone().Op("<").Lit(1e-6).Op("||").Add(abs.Clone()).Op(">=").Lit(1e21)).Op("||").
					Id("bitSize").Op("==").Lit(32).Op("&&").Parens(jen.Float32().Call(abs.Clone()).Op("<").Lit(1e-6).Op("||").Float32().Call(abs.Clone()).Op(">=").Lit(1e21)),
			).Block(id("format").Op("=").LitRune('e')),
		),
		bAssign(jen.Qual("strconv", "AppendFloat").Call(id("b"), id("f"), id("format"), jen.Lit(-1), id("bitSize"))),
		jen.If(id("format").Op("==").LitRune('e')).Block(
			jen.Comment("Clean up e-09 to e-9, as encoding/json does."),
			id("n").Op(":=").Len(id("b")),
			jen.If(id("n").Op(">=").Lit(4).Op("&&").Id("b").Index(id("n").Op("-").Lit(4)).Op("==").LitRune('e').Op("&&").
				Id("b").Index(id("n").Op("-").Lit(3)).Op("==").LitRune('-').Op("&&").Id("b").Index(id("n").Op("-").Lit(2)).Op("==").LitRune('0')).Block(
				id("b").Index(id("n").Op("-").Lit(2)).Op("=").Id("b").Index(id("n").Op("-").Lit(1)),
				id("b").Op("=").Id("b").Index(jen.Empty(), id("n").Op("-").Lit(1)),
			),
		),
		jen.Return(id("b")),
	)
	jf.Line()
}
