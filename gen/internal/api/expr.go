package api

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/dave/jennifer/jen"
)

// translator turns the Go expressions and types written in the mapping into
// jennifer code. A selector whose left side is a name from the import table
// becomes a qualified identifier, so jennifer writes the import block and
// the mapping never has to.
type translator struct {
	imports map[string]string // package name → import path
	// env replaces identifiers: an inlined converter's parameters by its
	// arguments, loop variables by their generated names. Nil replaces
	// nothing.
	env env
}

// env maps an identifier to the code that replaces it; each call returns
// fresh code, so that one replacement can appear in many places.
type env map[string]func() *jen.Statement

// with returns a copy of e with name replaced by code.
func (e env) with(name string, code func() *jen.Statement) env {
	out := make(env, len(e)+1)
	for k, v := range e {
		out[k] = v
	}
	out[name] = code
	return out
}

// exprIn translates src with the identifiers of e replaced.
func (t *translator) exprIn(src string, e env) (*jen.Statement, error) {
	tt := *t
	tt.env = e
	return tt.expr(src)
}

// expr parses and translates one Go expression (or type).
func (t *translator) expr(src string) (*jen.Statement, error) {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	c, err := t.node(e)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %w", src, err)
	}
	return c, nil
}

// param is one parsed parameter or struct field: its names and its type.
type param struct {
	names []string
	typ   *jen.Statement
	ast   ast.Expr
}

// params parses a Go parameter list such as "a, b labels.Matchers, n int".
func (t *translator) params(src string) ([]param, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	e, err := parser.ParseExpr("func(" + src + ")")
	if err != nil {
		return nil, fmt.Errorf("parameters %q: %w", src, err)
	}
	ft, ok := e.(*ast.FuncType)
	if !ok {
		return nil, fmt.Errorf("parameters %q: not a parameter list", src)
	}
	var out []param
	for _, f := range ft.Params.List {
		if len(f.Names) == 0 {
			return nil, fmt.Errorf("parameters %q: every parameter needs a name", src)
		}
		typ, err := t.node(f.Type)
		if err != nil {
			return nil, fmt.Errorf("parameters %q: %w", src, err)
		}
		p := param{typ: typ, ast: f.Type}
		for _, n := range f.Names {
			p.names = append(p.names, n.Name)
		}
		out = append(out, p)
	}
	return out, nil
}

// renderParams renders parsed parameters, keeping their grouping.
func renderParams(ps []param) []jen.Code {
	var out []jen.Code
	for _, p := range ps {
		for i, n := range p.names {
			if i == len(p.names)-1 {
				out = append(out, jen.Id(n).Add(p.typ.Clone()))
			} else {
				out = append(out, jen.Id(n))
			}
		}
	}
	return out
}

func (t *translator) nodes(es []ast.Expr) ([]jen.Code, error) {
	out := make([]jen.Code, 0, len(es))
	for _, e := range es {
		c, err := t.node(e)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// node translates the subset of Go expression syntax a field mapping
// needs. Anything else (function literals, channel types, ...) is an error
// rather than a guess.
func (t *translator) node(e ast.Expr) (*jen.Statement, error) {
	switch e := e.(type) {
	case *ast.Ident:
		if code, ok := t.env[e.Name]; ok {
			return code(), nil
		}
		return jen.Id(e.Name), nil
	case *ast.BasicLit:
		return jen.Id(e.Value), nil
	case *ast.SelectorExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			if imp, ok := t.imports[id.Name]; ok {
				return jen.Qual(imp, e.Sel.Name), nil
			}
		}
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		return x.Dot(e.Sel.Name), nil
	case *ast.CallExpr:
		fun, err := t.node(e.Fun)
		if err != nil {
			return nil, err
		}
		args, err := t.nodes(e.Args)
		if err != nil {
			return nil, err
		}
		if e.Ellipsis.IsValid() && len(args) > 0 {
			args[len(args)-1] = jen.Add(args[len(args)-1]).Op("...")
		}
		return fun.Call(args...), nil
	case *ast.IndexExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		i, err := t.node(e.Index)
		if err != nil {
			return nil, err
		}
		return x.Index(i), nil
	case *ast.SliceExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		var parts []jen.Code
		for _, p := range []ast.Expr{e.Low, e.High, e.Max} {
			if p == nil {
				parts = append(parts, jen.Empty())
				continue
			}
			c, err := t.node(p)
			if err != nil {
				return nil, err
			}
			parts = append(parts, c)
		}
		if !e.Slice3 {
			parts = parts[:2]
		}
		return x.Index(parts...), nil
	case *ast.StarExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		return jen.Op("*").Add(x), nil
	case *ast.UnaryExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		return jen.Op(e.Op.String()).Add(x), nil
	case *ast.BinaryExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		y, err := t.node(e.Y)
		if err != nil {
			return nil, err
		}
		return x.Op(e.Op.String()).Add(y), nil
	case *ast.ParenExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		return jen.Parens(x), nil
	case *ast.TypeAssertExpr:
		x, err := t.node(e.X)
		if err != nil {
			return nil, err
		}
		if e.Type == nil {
			return x.Assert(jen.Type()), nil
		}
		typ, err := t.node(e.Type)
		if err != nil {
			return nil, err
		}
		return x.Assert(typ), nil
	case *ast.CompositeLit:
		var typ *jen.Statement
		if e.Type != nil {
			var err error
			if typ, err = t.node(e.Type); err != nil {
				return nil, err
			}
		} else {
			typ = jen.Null()
		}
		elts, err := t.nodes(e.Elts)
		if err != nil {
			return nil, err
		}
		return typ.Values(elts...), nil
	case *ast.KeyValueExpr:
		if id, ok := e.Key.(*ast.Ident); ok {
			// A field name in a struct literal, never a variable to
			// replace.
			v, err := t.node(e.Value)
			if err != nil {
				return nil, err
			}
			return jen.Id(id.Name).Op(":").Add(v), nil
		}
		k, err := t.node(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := t.node(e.Value)
		if err != nil {
			return nil, err
		}
		return k.Op(":").Add(v), nil
	case *ast.ArrayType:
		elt, err := t.node(e.Elt)
		if err != nil {
			return nil, err
		}
		if e.Len == nil {
			return jen.Index().Add(elt), nil
		}
		n, err := t.node(e.Len)
		if err != nil {
			return nil, err
		}
		return jen.Index(n).Add(elt), nil
	case *ast.MapType:
		k, err := t.node(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := t.node(e.Value)
		if err != nil {
			return nil, err
		}
		return jen.Map(k).Add(v), nil
	case *ast.Ellipsis:
		elt, err := t.node(e.Elt)
		if err != nil {
			return nil, err
		}
		return jen.Op("...").Add(elt), nil
	case *ast.StructType:
		if e.Fields != nil && len(e.Fields.List) > 0 {
			return nil, fmt.Errorf("struct types with fields are not supported inline; declare them under structs")
		}
		return jen.Struct(), nil
	case *ast.InterfaceType:
		if e.Methods != nil && len(e.Methods.List) > 0 {
			return nil, fmt.Errorf("interface types with methods are not supported")
		}
		return jen.Interface(), nil
	}
	return nil, fmt.Errorf("unsupported syntax %T", e)
}

// identsIn collects every identifier an expression mentions, so generated
// locals never shadow something the mapping refers to.
func identsIn(src string, into map[string]bool) {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return // reported when the expression is translated
	}
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			into[id.Name] = true
		}
		return true
	})
}

// isSimple reports whether an expression is a plain name or field path
// (x, x.y.z), cheap and side-effect free to evaluate twice.
func isSimple(src string) bool {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return false
	}
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return true
		case *ast.SelectorExpr:
			e = x.X
		default:
			return false
		}
	}
}

// goKeywords and predeclared names are never used for generated locals.
var reservedNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`any append bool byte cap clear close complex complex64
		complex128 copy delete error false float32 float64 imag int int8 int16 int32 int64
		iota len make max min new nil panic print println real recover rune string true
		uint uint8 uint16 uint32 uint64 uintptr comparable`) {
		m[n] = true
	}
	for tok := token.BREAK; tok <= token.VAR; tok++ {
		if tok.IsKeyword() {
			m[tok.String()] = true
		}
	}
	return m
}()
