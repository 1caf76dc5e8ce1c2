package api

import (
	"fmt"
	"go/ast"
	"go/parser"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// How a generated constructor or converter allocates.
//
// Building an event is what instrumented code pays on its own goroutine,
// and one heap object per message (per label pair, per matcher, per
// timestamp) made that cost mostly allocation. So a generated function
// allocates the messages of one call together:
//
//   - The messages it builds outside any loop have fixed slots in a block
//     struct of their own (type <function>Block), one allocation.
//   - The messages it builds inside loops (the elements of repeated
//     fields) come from one slab per message type, with a slab of
//     pointers beside it; a repeated field is a slice of that pointer
//     slab, capped at its length so that an append by a caller copies
//     rather than overwrites its neighbour.
//   - The slabs are sized first: the function runs the loops once to
//     count (lengths only, where an element builds no loop of its own),
//     then allocates, then fills.
//   - newSlab allocates the block and the first slab with its pointers in
//     one object, rounded up to a capacity class, so that a converted
//     alert (its block, label pairs and their pointers) is one allocation.
//     Further message types get a slab each.
//
// Converter calls written as a field's whole value are inlined, so that
// the callee's messages join the caller's block and slabs. Every call of
// a generated function still allocates its own block and slabs: what it
// returns shares memory with nothing another call returns, and a caller
// may keep or change it (the recorder only asks that an event not change
// once recorded).
//
// A function that builds a single message and nothing else keeps the
// plain &Msg{...}, already one allocation.

// slabClasses are the capacities newSlab allocates in one block; a count
// above the last allocates its slab and pointers apart. Every count up to
// 16 (label sets are mostly that small) has its own, so that the only
// rounding is the allocator's; beyond, steps of an eighth to a quarter
// keep the unused tail small.
var slabClasses = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128}

// slabFunc is the generated allocation helper.
const slabFunc = "newSlab"

// fnBuilder builds the body of one generated function.
type fnBuilder struct {
	g  *generator
	fc *funcCtx
	// single is set when the function builds one message and nothing
	// else: it is then a plain composite literal.
	single   bool
	blk      string // the block's local name
	slots    []slot
	slotSeen map[string]bool
	slabs    []*slab
	slabOf   map[protoreflect.FullName]*slab
	inlining []string        // converters being inlined, outermost first
	refs     map[string]bool // converters the body calls as functions
	usesSelf bool            // some field expression reads self
}

// slot is one message of the block.
type slot struct {
	name string
	typ  *jen.Statement
}

// slab is the elements of one message type that a function builds in
// loops, and the pointers to them.
type slab struct {
	msg     *protogen.Message
	n, name string // locals: the count and the slab
}

// sizing is what a piece of the body adds to the slabs' counts: static
// increments per execution, and statements for what depends on the data.
type sizing struct {
	incs  []slabInc
	stmts []jen.Code
}

type slabInc struct {
	s *slab
	k int
}

func (z *sizing) inc(s *slab, k int) {
	for i := range z.incs {
		if z.incs[i].s == s {
			z.incs[i].k += k
			return
		}
	}
	z.incs = append(z.incs, slabInc{s, k})
}

func (z *sizing) add(o sizing) {
	for _, in := range o.incs {
		z.inc(in.s, in.k)
	}
	z.stmts = append(z.stmts, o.stmts...)
}

// built is one value: its sizing, the statements that build it, and the
// expression that is then its value.
type built struct {
	size sizing
	fill []jen.Code
	val  *jen.Statement
	// inlined marks a value the generator built (an inlined converter or
	// a nested message) even when it took no statements.
	inlined bool
}

// scope is what the mapping's expressions see at one point of the body.
// Identifiers are replaced separately in the sizing and in the filling
// code, so that each pass can tell which names it uses.
type scope struct {
	cnt, fill env
	names     map[string]bool // the mapping's parameters and loop variables here
	inLoop    bool
	inlined   bool // an inlined converter: its loop variables get fresh names
}

func (sc *scope) loopScope() *scope {
	names := make(map[string]bool, len(sc.names))
	for k := range sc.names {
		names[k] = true
	}
	return &scope{cnt: sc.cnt, fill: sc.fill, names: names, inLoop: true, inlined: sc.inlined}
}

func (g *generator) newBuilder(params []param, spec *Spec, single bool) *fnBuilder {
	fc := g.newFuncCtx(params, spec)
	g.takeCalleeNames(spec, fc.taken, map[string]bool{})
	b := &fnBuilder{
		g: g, fc: fc, single: single,
		slotSeen: map[string]bool{},
		slabOf:   map[protoreflect.FullName]*slab{},
		refs:     map[string]bool{},
	}
	if !single {
		b.blk = fc.local("blk")
	}
	return b
}

// rootScope is the scope of the function's own parameters.
func (b *fnBuilder) rootScope(params []param) *scope {
	sc := &scope{names: map[string]bool{}}
	for _, p := range params {
		for _, n := range p.names {
			sc.names[n] = true
		}
	}
	return sc
}

// takeCalleeNames keeps generated locals from shadowing the names that
// inlined converters' expressions mention (helpers, other converters).
// Their parameters and loop variables are replaced when inlined, so they
// do not count.
func (g *generator) takeCalleeNames(spec *Spec, taken, seen map[string]bool) {
	mentioned := map[string]bool{}
	specIdents(spec, mentioned)
	for name := range mentioned {
		c := g.convByName[name]
		if c == nil || seen[name] {
			continue
		}
		seen[name] = true
		cs := c.spec()
		idents, own := map[string]bool{}, map[string]bool{}
		specIdents(cs, idents)
		specLoopVars(cs, own)
		if ps, err := g.tr.params(c.Params); err == nil {
			for _, p := range ps {
				for _, n := range p.names {
					own[n] = true
				}
			}
		}
		for n := range idents {
			if !own[n] {
				taken[n] = true
			}
		}
		g.takeCalleeNames(cs, taken, seen)
	}
}

func specIdents(s *Spec, into map[string]bool) {
	if s == nil {
		return
	}
	for _, src := range []string{s.Expr, s.Range, s.When, s.MapKey} {
		if src != "" {
			identsIn(src, into)
		}
	}
	for _, sub := range s.Fields {
		specIdents(sub, into)
	}
	specIdents(s.Value, into)
}

func specLoopVars(s *Spec, into map[string]bool) {
	if s == nil {
		return
	}
	for _, v := range []string{s.As, s.Key} {
		if v != "" {
			into[v] = true
		}
	}
	for _, sub := range s.Fields {
		specLoopVars(sub, into)
	}
	specLoopVars(s.Value, into)
}

// noteRefs records the converters an expression calls as functions, so
// that an unexported converter gets a function of its own only when
// something calls it.
func (b *fnBuilder) noteRefs(src string, sc *scope) {
	ids := map[string]bool{}
	identsIn(src, ids)
	for id := range ids {
		if b.g.convByName[id] != nil && !sc.names[id] {
			b.refs[id] = true
		}
	}
}

// slot claims a field of the block.
func (b *fnBuilder) slot(want string, typ *jen.Statement) string {
	name := want
	for i := 2; b.slotSeen[name]; i++ {
		name = fmt.Sprintf("%s%d", want, i)
	}
	b.slotSeen[name] = true
	b.slots = append(b.slots, slot{name: name, typ: typ})
	return name
}

func (b *fnBuilder) slabFor(msg *protogen.Message) *slab {
	if s := b.slabOf[msg.Desc.FullName()]; s != nil {
		return s
	}
	s := &slab{
		msg:  msg,
		n:    b.fc.local("n" + msg.GoIdent.GoName),
		name: b.fc.local(lowerFirst(msg.GoIdent.GoName) + "Slab"),
	}
	b.slabOf[msg.Desc.FullName()] = s
	b.slabs = append(b.slabs, s)
	return s
}

// childSlot names the slot of a field's message after its path.
func childSlot(parent string, fld *protogen.Field) string {
	if parent == "" {
		return lowerFirst(fld.GoName)
	}
	return parent + fld.GoName
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// An initialism at the start (ID) is lowered whole.
	i := 0
	for i < len(s) && s[i] >= 'A' && s[i] <= 'Z' {
		i++
	}
	switch {
	case i == 0:
		return s
	case i == 1 || i == len(s):
		return strings.ToLower(s[:i]) + s[i:]
	}
	return strings.ToLower(s[:i-1]) + s[i-1:]
}

// translated returns code translating src in e, fresh at every call. src
// has been translated once already, so it has no syntax error.
func (b *fnBuilder) translated(src string, e env) func() *jen.Statement {
	return func() *jen.Statement {
		v, _ := b.g.tr.exprIn(src, e)
		return v
	}
}

// message builds msg from spec: a slot of the block outside loops, an
// element of its type's slab inside one. Every field must be mapped or
// listed under omit, so a field added to the schema is not silently left
// empty.
//
// With a target, the message's pointer is assigned to that variable,
// declared by the caller, instead of being the value's expression.
func (b *fnBuilder) message(msg *protogen.Message, spec *Spec, sc *scope, slotName, target, where string) (built, error) {
	if spec.Range != "" || spec.Value != nil || spec.As != "" || spec.Var != "" || spec.Key != "" || spec.SortBy != "" || spec.When != "" || spec.MapKey != "" {
		return built{}, fmt.Errorf("%s: range/key/as/var/sort_by/when/map_key/value apply to repeated and map fields, %s is a message", where, msg.Desc.FullName())
	}
	fields := map[string]*protogen.Field{}
	for _, fld := range msg.Fields {
		fields[string(fld.Desc.Name())] = fld
	}
	omit := map[string]bool{}
	var unknown []string
	for _, name := range spec.Omit {
		if fields[name] == nil {
			unknown = append(unknown, name)
		}
		if spec.Fields[name] != nil {
			return built{}, fmt.Errorf("%s: field %s is both mapped and omitted", where, name)
		}
		omit[name] = true
	}
	for name := range spec.Fields {
		if fields[name] == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return built{}, fmt.Errorf("%s: %s has no field %s", where, msg.Desc.FullName(), strings.Join(unknown, ", "))
	}

	// The slot is claimed before the children's, so that the block lists
	// a message before its parts.
	var name string
	if !sc.inLoop && !b.single {
		name = b.slot(slotName, qual(msg.GoIdent))
	}
	// self is the message being built. Its pointer needs a local name
	// before the fields are translated.
	usesSelf := false
	for _, fs := range spec.Fields {
		if fs != nil && fs.Expr != "" {
			ids := map[string]bool{}
			identsIn(fs.Expr, ids)
			usesSelf = usesSelf || ids[selfName]
		}
	}
	var ptr string // the local holding the message's pointer, if any
	switch {
	case usesSelf && sc.names[selfName]:
		return built{}, fmt.Errorf("%s: %s names the message being built, and a parameter or loop variable cannot be called so", where, selfName)
	case usesSelf && b.single:
		panic("generator: self in a function built as a single literal") // converter() never builds those as single
	case sc.inLoop || usesSelf:
		ptr = target
		if ptr == "" {
			ptr = b.fc.local(lowerFirst(msg.GoIdent.GoName))
		}
	}
	fsc := sc
	if usesSelf {
		b.usesSelf = true
		p := ptr
		fsc = &scope{cnt: sc.cnt, fill: sc.fill.with(selfName, func() *jen.Statement { return jen.Id(p) }),
			names: sc.names, inLoop: sc.inLoop, inlined: sc.inlined}
	}

	var out built
	type item struct {
		name string
		val  *jen.Statement
	}
	var builtItems, exprItems []item
	for _, fld := range msg.Fields {
		fname := string(fld.Desc.Name())
		s, ok := spec.Fields[fname]
		if !ok {
			if omit[fname] {
				continue
			}
			return built{}, fmt.Errorf("%s: field %s.%s is neither mapped nor listed under omit", where, msg.Desc.Name(), fname)
		}
		if fld.Oneof != nil && !fld.Oneof.Desc.IsSynthetic() {
			return built{}, fmt.Errorf("%s: field %s.%s is in a oneof, which mappings do not support", where, msg.Desc.Name(), fname)
		}
		fb, err := b.field(fld, s, fsc, childSlot(name, fld), where+": "+string(msg.Desc.Name())+"."+fname)
		if err != nil {
			return built{}, err
		}
		out.size.add(fb.size)
		out.fill = append(out.fill, fb.fill...)
		if len(fb.fill) > 0 || fb.inlined {
			builtItems = append(builtItems, item{fld.GoName, fb.val})
		} else {
			exprItems = append(exprItems, item{fld.GoName, fb.val})
		}
	}
	items := append(builtItems, exprItems...)

	// Into the block or a slab, which are zeroed, fields are stored one
	// by one, the built ones first (self may read them): assigning a
	// whole literal would clear the memory again and copy it, both under
	// the garbage collector's write barriers.
	stores := func(dst func() *jen.Statement) {
		for _, it := range items {
			out.fill = append(out.fill, dst().Dot(it.name).Op("=").Add(it.val))
		}
	}
	decl := ":="
	if ptr == target {
		decl = "="
	}
	switch {
	case sc.inLoop:
		s := b.slabFor(msg)
		out.size.inc(s, 1)
		out.fill = append(out.fill, jen.Id(ptr).Op(decl).Id(s.name).Dot("next").Call())
		stores(func() *jen.Statement { return jen.Id(ptr) })
		out.val = jen.Id(ptr)
		return out, nil
	case b.single:
		var kv []jen.Code
		for _, fld := range msg.Fields { // a literal keeps schema order
			for _, it := range items {
				if it.name == fld.GoName {
					kv = append(kv, jen.Id(it.name).Op(":").Add(it.val))
				}
			}
		}
		if len(kv) == 0 {
			out.val = jen.Op("&").Add(qual(msg.GoIdent)).Values()
		} else {
			out.val = jen.Op("&").Add(qual(msg.GoIdent)).Custom(multi, kv...)
		}
	case ptr != "":
		out.fill = append(out.fill, jen.Id(ptr).Op(decl).Op("&").Id(b.blk).Dot(name))
		stores(func() *jen.Statement { return jen.Id(ptr) })
		out.val = jen.Id(ptr)
		return out, nil
	default:
		stores(func() *jen.Statement { return jen.Id(b.blk).Dot(name) })
		out.val = jen.Op("&").Id(b.blk).Dot(name)
	}
	if target != "" {
		out.fill = append(out.fill, jen.Id(target).Op("=").Add(out.val))
		out.val = jen.Id(target)
	}
	return out, nil
}

// selfName names, in a message's field expressions, the message being
// built.
const selfName = "self"

// field builds the value of one field from its spec.
func (b *fnBuilder) field(fld *protogen.Field, s *Spec, sc *scope, slotName, where string) (built, error) {
	v, err := b.fieldValue(fld, s, sc, slotName, where)
	v.inlined = err == nil && (s.Expr == "" || len(v.fill) > 0 || v.inlined)
	return v, err
}

func (b *fnBuilder) fieldValue(fld *protogen.Field, s *Spec, sc *scope, slotName, where string) (built, error) {
	name := string(fld.Desc.Name())
	switch {
	case s == nil:
		return built{}, fmt.Errorf("%s: empty mapping", where)
	case s.Expr != "" && fld.Desc.IsMap():
		if err := b.checkMapCall(s.Expr, fld, sc, where); err != nil {
			return built{}, err
		}
		return b.opaque(s.Expr, sc, where)
	case s.Range != "" && fld.Desc.IsMap():
		if len(s.Fields) > 0 || len(s.Omit) > 0 {
			return built{}, fmt.Errorf("%s: a map is filled with range/key/as/map_key/value, not fields", where)
		}
		want := s.Var
		if want == "" {
			want = lowerCamel(name)
		}
		k, v := fld.Message.Fields[0], fld.Message.Fields[1]
		if v.Message != nil {
			return built{}, fmt.Errorf("%s: maps with message values cannot be filled by a loop; give an expression", where)
		}
		return b.mapLoop(elemType(k), elemType(v), s, sc, want, where)
	case s.Expr != "":
		if fld.Message != nil && !fld.Desc.IsMap() {
			conv, call, err := b.inlinable(s.Expr, fld.Message, fld.Desc.IsList(), sc, where)
			if err != nil {
				return built{}, err
			}
			if conv != nil {
				v, err := b.inline(conv, call, s.Expr, sc, slotName, lowerCamel(name), where)
				v.inlined = true
				return v, err
			}
		}
		return b.opaque(s.Expr, sc, where)
	case s.Range != "":
		if !fld.Desc.IsList() {
			return built{}, fmt.Errorf("%s: range needs a repeated or map field", where)
		}
		if s.MapKey != "" {
			return built{}, fmt.Errorf("%s: map_key applies to map fields", where)
		}
		if len(s.Fields) > 0 || len(s.Omit) > 0 {
			return built{}, fmt.Errorf("%s: with range, give the element's fields under value", where)
		}
		want := s.Var
		if want == "" {
			want = lowerCamel(name)
		}
		return b.loop(fld.Message, elemType(fld), s, sc, want, "", where)
	case s.Fields != nil || s.Omit != nil:
		if fld.Message == nil || fld.Desc.IsList() || fld.Desc.IsMap() {
			return built{}, fmt.Errorf("%s: fields need a singular message field", where)
		}
		return b.message(fld.Message, s, sc, slotName, "", where)
	default:
		return built{}, fmt.Errorf("%s: needs an expression, fields or range", where)
	}
}

// opaque is an expression the generator does not look into: what it
// allocates is its own.
func (b *fnBuilder) opaque(src string, sc *scope, where string) (built, error) {
	v, err := b.g.tr.exprIn(src, sc.fill)
	if err != nil {
		return built{}, fmt.Errorf("%s: %w", where, err)
	}
	b.noteRefs(src, sc)
	return built{val: v}, nil
}

// inlinable reports the converter src calls, when src is nothing but a
// call of one (a field's whole value, or a loop's element) building msg.
func (b *fnBuilder) inlinable(src string, msg *protogen.Message, repeated bool, sc *scope, where string) (*Converter, *ast.CallExpr, error) {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil, nil, nil // reported when translated
	}
	call, ok := e.(*ast.CallExpr)
	if !ok || call.Ellipsis.IsValid() {
		return nil, nil, nil
	}
	id, ok := call.Fun.(*ast.Ident)
	if !ok || sc.names[id.Name] {
		return nil, nil, nil
	}
	conv := b.g.convByName[id.Name]
	if conv == nil {
		return nil, nil, nil
	}
	if mk, mv, ok := conv.mapResult(); ok {
		return nil, nil, fmt.Errorf("%s: %s returns map<%s, %s>, the field holds %s", where, conv.Name, mk, mv, describe(msg, repeated))
	}
	result, rep := conv.resultName()
	rmsg, err := b.g.lookupMessage(result)
	if err != nil {
		return nil, nil, fmt.Errorf("converters: %s: result: %w", conv.Name, err)
	}
	if rmsg != msg || rep != repeated {
		return nil, nil, fmt.Errorf("%s: %s returns %s, the field holds %s", where, conv.Name, describe(rmsg, rep), describe(msg, repeated))
	}
	return conv, call, nil
}

func describe(msg *protogen.Message, repeated bool) string {
	if repeated {
		return "repeated " + string(msg.Desc.FullName())
	}
	return string(msg.Desc.FullName())
}

// resultName splits a converter's result into the message and whether
// it is repeated.
func (c *Converter) resultName() (string, bool) {
	result := strings.TrimSpace(c.Result)
	if rest, ok := strings.CutPrefix(result, "repeated "); ok {
		return strings.TrimSpace(rest), true
	}
	return result, false
}

// binding is an inlined converter's parameter whose argument is more than
// a name or a field path: it is evaluated into a local, by the sizing and
// by the filling code each, where they use it. Its name is claimed on
// first use.
type binding struct {
	src, want string
	cnt, fill string
}

func (bd *binding) ref(fc *funcCtx, name *string) func() *jen.Statement {
	return func() *jen.Statement {
		if *name == "" {
			*name = fc.local(bd.want)
		}
		return jen.Id(*name)
	}
}

// inline builds what a call of conv builds, in the caller's block and
// slabs. want names the local holding the result when the converter
// can return nil.
func (b *fnBuilder) inline(conv *Converter, call *ast.CallExpr, src string, sc *scope, slotName, want, callerWhere string) (built, error) {
	where := "converters: " + conv.Name
	for _, n := range b.inlining {
		if n == conv.Name {
			return built{}, fmt.Errorf("%s: calls itself (%s); converters are inlined into their callers, so they cannot recurse",
				where, strings.Join(append(append([]string(nil), b.inlining...), conv.Name), " → "))
		}
	}
	b.inlining = append(b.inlining, conv.Name)
	defer func() { b.inlining = b.inlining[:len(b.inlining)-1] }()

	params, err := b.g.params(conv.Params)
	if err != nil {
		return built{}, fmt.Errorf("%s: %w", where, err)
	}
	var names []string
	for _, p := range params {
		names = append(names, p.names...)
	}
	if len(call.Args) != len(names) {
		return built{}, fmt.Errorf("%s: %s has %s, the call gives %d", callerWhere, conv.Name, plural(len(names), "parameter"), len(call.Args))
	}
	csc := &scope{cnt: env{}, fill: env{}, names: map[string]bool{}, inLoop: sc.inLoop, inlined: true}
	var binds []*binding
	for i, n := range names {
		arg := src[call.Args[i].Pos()-1 : call.Args[i].End()-1]
		if _, err := b.g.tr.expr(arg); err != nil {
			return built{}, fmt.Errorf("%s: %w", callerWhere, err)
		}
		b.noteRefs(arg, sc)
		csc.names[n] = true
		if isSimple(arg) {
			csc.cnt[n] = b.translated(arg, sc.cnt)
			csc.fill[n] = b.translated(arg, sc.fill)
			continue
		}
		bd := &binding{src: arg, want: n}
		binds = append(binds, bd)
		csc.cnt[n] = bd.ref(b.fc, &bd.cnt)
		csc.fill[n] = bd.ref(b.fc, &bd.fill)
	}

	result, repeated := conv.resultName()
	msg, err := b.g.lookupMessage(result)
	if err != nil {
		return built{}, fmt.Errorf("%s: result: %w", where, err)
	}
	spec := conv.spec()
	typ := jen.Op("*").Add(qual(msg.GoIdent))
	if repeated {
		typ = jen.Index().Op("*").Add(qual(msg.GoIdent))
	}
	// A converter that can return nil builds into a variable declared
	// before the check, which stays nil when the check fails.
	var target string
	if conv.Nil != "" {
		if !csc.names[conv.Nil] {
			return built{}, fmt.Errorf("%s: nil: %q is not a parameter", where, conv.Nil)
		}
		target = b.fc.local(want)
	}
	var body built
	if repeated {
		if conv.Range == "" || len(conv.Fields) > 0 || len(conv.Omit) > 0 {
			return built{}, fmt.Errorf("%s: a repeated result is built with range/as/value, not fields", where)
		}
		body, err = b.loop(msg, jen.Op("*").Add(qual(msg.GoIdent)), spec, csc, want, target, where)
	} else {
		if conv.Range != "" || conv.Value != nil {
			return built{}, fmt.Errorf("%s: range/value need a repeated result", where)
		}
		body, err = b.message(msg, spec, csc, slotName, target, where)
	}
	if err != nil {
		return built{}, err
	}
	if conv.Nil != "" {
		if len(body.size.stmts) > 0 {
			body.size.stmts = []jen.Code{jen.If(csc.cnt[conv.Nil]().Op("!=").Nil()).Block(body.size.stmts...)}
		}
		body.fill = []jen.Code{
			jen.Var().Id(target).Add(typ),
			jen.If(csc.fill[conv.Nil]().Op("!=").Nil()).Block(body.fill...),
		}
	}
	// The bound arguments, in parameter order, before what uses them.
	var cntPre, fillPre []jen.Code
	for _, bd := range binds {
		if bd.cnt != "" {
			cntPre = append(cntPre, jen.Id(bd.cnt).Op(":=").Add(b.translated(bd.src, sc.cnt)()))
		}
		v := b.translated(bd.src, sc.fill)()
		if bd.fill != "" {
			fillPre = append(fillPre, jen.Id(bd.fill).Op(":=").Add(v))
		} else { // unused, but a call evaluates its arguments
			fillPre = append(fillPre, jen.Id("_").Op("=").Add(v))
		}
	}
	body.size.stmts = append(cntPre, body.size.stmts...)
	body.fill = append(fillPre, body.fill...)
	return body, nil
}

// loopVar is one variable of a generated range loop.
type loopVar struct {
	name    string
	cntUsed bool // the sizing loop uses it
}

// loop fills a repeated field with one element per value of s.Range.
// Elements the mapping builds (fields, or an inlined converter) come from
// their type's slab, counted first; other values go into a slice of their
// own, as they come. With a target, the slice is that variable, declared
// by the caller.
func (b *fnBuilder) loop(elemMsg *protogen.Message, elem *jen.Statement, s *Spec, sc *scope, want, target, where string) (built, error) {
	if s.As == "" && s.Key == "" {
		return built{}, fmt.Errorf("%s: range needs as (the loop variable)", where)
	}
	if s.Value == nil {
		return built{}, fmt.Errorf("%s: range needs value (each element)", where)
	}
	for _, v := range []struct{ key, name string }{{"key", s.Key}, {"as", s.As}} {
		if v.name != "" && (sc.names[v.name] || reservedNames[v.name] || b.g.imports[v.name] != "") {
			return built{}, fmt.Errorf("%s: %s: %q would shadow a name already in use", where, v.key, v.name)
		}
	}
	if s.Key != "" && s.Key == s.As {
		return built{}, fmt.Errorf("%s: key and as are both %q", where, s.Key)
	}
	if s.MapKey != "" {
		return built{}, fmt.Errorf("%s: map_key applies to map fields", where)
	}
	if _, err := b.g.tr.expr(s.Range); err != nil {
		return built{}, fmt.Errorf("%s: range: %w", where, err)
	}
	b.noteRefs(s.Range, sc)

	lsc := sc.loopScope()
	declare := func(v string) *loopVar {
		if v == "" {
			return nil
		}
		lv := &loopVar{name: v}
		if sc.inlined {
			lv.name = b.fc.local(v)
		} else {
			b.fc.taken[v] = true
		}
		lsc.cnt = lsc.cnt.with(v, func() *jen.Statement { lv.cntUsed = true; return jen.Id(lv.name) })
		lsc.fill = lsc.fill.with(v, func() *jen.Statement { return jen.Id(lv.name) })
		lsc.names[v] = true
		return lv
	}
	keyVar, asVar := declare(s.Key), declare(s.As)

	v := s.Value
	var conv *Converter
	var call *ast.CallExpr
	switch {
	case v.Expr != "":
		if elemMsg != nil {
			var err error
			if conv, call, err = b.inlinable(v.Expr, elemMsg, false, lsc, where); err != nil {
				return built{}, err
			}
		}
	case v.Fields != nil || v.Omit != nil:
		if elemMsg == nil {
			return built{}, fmt.Errorf("%s: value: fields need message elements", where)
		}
	default:
		return built{}, fmt.Errorf("%s: value needs an expression or fields", where)
	}
	builds := conv != nil || v.Expr == ""
	if s.Key != "" && v.Expr != "" {
		return built{}, fmt.Errorf("%s: key: a range over a map builds its elements: give value as fields", where)
	}
	if s.Key != "" && s.SortBy == "" {
		return built{}, fmt.Errorf("%s: key: a range over a map needs sort_by, since Go randomises map order and equal inputs must build equal events", where)
	}
	var sortFld *protogen.Field
	if s.SortBy != "" {
		if v.Expr != "" {
			return built{}, fmt.Errorf("%s: sort_by: the elements must be built from fields", where)
		}
		for _, f := range elemMsg.Fields {
			if string(f.Desc.Name()) == s.SortBy {
				sortFld = f
			}
		}
		if sortFld == nil {
			return built{}, fmt.Errorf("%s: sort_by: %s has no field %s", where, elemMsg.Desc.FullName(), s.SortBy)
		}
		if !ordered(sortFld) {
			return built{}, fmt.Errorf("%s: sort_by: field %s.%s is not a string or a number", where, elemMsg.Desc.Name(), s.SortBy)
		}
	}

	// The source: a name or field path is written where it is used, and
	// anything else is evaluated into a local, by each pass that uses it.
	srcCnt, srcFill := b.translated(s.Range, sc.cnt), b.translated(s.Range, sc.fill)
	var srcBind *binding
	if !isSimple(s.Range) {
		srcBind = &binding{src: s.Range, want: srcName(s)}
		srcCnt, srcFill = srcBind.ref(b.fc, &srcBind.cnt), srcBind.ref(b.fc, &srcBind.fill)
	}

	if !builds {
		ev, err := b.g.tr.exprIn(v.Expr, lsc.fill)
		if err != nil {
			return built{}, fmt.Errorf("%s: value: %w", where, err)
		}
		b.noteRefs(v.Expr, lsc)
		out, decl := target, "="
		if out == "" {
			out, decl = b.fc.local(want), ":="
		}
		idx := b.fc.local("i")
		var stmts []jen.Code
		src := srcFill()
		if srcBind != nil {
			stmts = append(stmts, jen.Id(srcBind.fill).Op(":=").Add(b.translated(srcBind.src, sc.fill)()))
		}
		if s.When != "" {
			cond, err := b.when(s.When, lsc.fill, lsc, where)
			if err != nil {
				return built{}, err
			}
			stmts = append(stmts,
				jen.Id(out).Op(decl).Make(jen.Index().Add(elem), jen.Lit(0), jen.Len(src)),
				jen.For(rangeVars(keyVar, asVar, false).Range().Add(srcFill())).Block(
					jen.If(cond).Block(jen.Id(out).Op("=").Append(jen.Id(out), ev))))
			return built{fill: stmts, val: jen.Id(out)}, nil
		}
		stmts = append(stmts,
			jen.Id(out).Op(decl).Make(jen.Index().Add(elem), jen.Len(src)),
			jen.For(jen.List(jen.Id(idx), jen.Id(asVar.name)).Op(":=").Range().Add(srcFill())).Block(
				jen.Id(out).Index(jen.Id(idx)).Op("=").Add(ev)))
		return built{fill: stmts, val: jen.Id(out)}, nil
	}

	var eb built
	var err error
	if conv != nil {
		eb, err = b.inline(conv, call, v.Expr, lsc, "", lowerFirst(elemMsg.GoIdent.GoName), where)
	} else {
		eb, err = b.message(elemMsg, v, lsc, "", "", where+"[]")
	}
	if err != nil {
		return built{}, err
	}

	sl := b.slabFor(elemMsg)
	out, decl := target, "="
	if out == "" {
		out, decl = b.fc.local(want), ":="
	}
	var fill []jen.Code
	if srcBind != nil {
		srcFill() // claims the local before it is declared
		fill = append(fill, jen.Id(srcBind.fill).Op(":=").Add(b.translated(srcBind.src, sc.fill)()))
	}
	body := append(eb.fill, jen.Id(out).Op("=").Append(jen.Id(out), eb.val))
	if s.When != "" {
		cond, err := b.when(s.When, lsc.fill, lsc, where)
		if err != nil {
			return built{}, err
		}
		body = []jen.Code{jen.If(cond).Block(body...)}
	}
	fill = append(fill,
		jen.Id(out).Op(decl).Id(sl.name).Dot("take").Call(jen.Len(srcFill())),
		jen.For(rangeVars(keyVar, asVar, false).Range().Add(srcFill())).Block(body...))
	if sortFld != nil {
		fill = append(fill, jen.Id(b.g.sortHelper(elemMsg, sortFld)).Call(jen.Id(out)))
	}

	// Sizing: what every element takes is counted by the source's length;
	// what depends on each element, by a loop of its own.
	var size []jen.Code
	for _, in := range eb.size.incs {
		times := jen.Len(srcCnt())
		if in.k != 1 {
			times = jen.Lit(in.k).Op("*").Add(times)
		}
		size = append(size, jen.Id(in.s.n).Op("+=").Add(times))
	}
	if len(eb.size.stmts) > 0 {
		stmts := eb.size.stmts
		if s.When != "" {
			cond, _ := b.when(s.When, lsc.cnt, lsc, where)
			stmts = []jen.Code{jen.If(cond).Block(stmts...)}
		}
		size = append(size, jen.For(rangeVars(keyVar, asVar, true).Range().Add(srcCnt())).Block(stmts...))
	}
	if srcBind != nil && srcBind.cnt != "" {
		size = append([]jen.Code{jen.Id(srcBind.cnt).Op(":=").Add(b.translated(srcBind.src, sc.cnt)())}, size...)
	}
	return built{size: sizing{stmts: size}, fill: fill, val: jen.Id(out)}, nil
}

// srcName names the local holding a range's source.
func srcName(s *Spec) string {
	if s.As != "" {
		return s.As + "s"
	}
	return s.Key + "s"
}

// rangeVars is the left side of a range clause. For the sizing loop, only
// the variables it uses are declared.
func rangeVars(key, as *loopVar, sizing bool) *jen.Statement {
	k, v := "", ""
	if key != nil && (!sizing || key.cntUsed) {
		k = key.name
	}
	if as != nil && (!sizing || as.cntUsed) {
		v = as.name
	}
	switch {
	case k == "" && v == "":
		return jen.Null()
	case v == "":
		return jen.Id(k).Op(":=")
	case k == "":
		return jen.List(jen.Id("_"), jen.Id(v)).Op(":=")
	}
	return jen.List(jen.Id(k), jen.Id(v)).Op(":=")
}

// ordered reports whether cmp.Compare can order a field's values.
func ordered(fld *protogen.Field) bool {
	if fld.Desc.IsList() || fld.Desc.IsMap() {
		return false
	}
	switch fld.Desc.Kind() {
	case protoreflect.BoolKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	return true
}

// finish assembles the function body: the sizing, the allocation, the
// filling and the return. The block's type, when there is one, is
// returned to be declared beside the function.
func (b *fnBuilder) finish(fnName string, pre []jen.Code, body built) (typeDecl []jen.Code, stmts []jen.Code) {
	stmts = append(stmts, pre...)
	if len(body.size.incs) > 0 {
		panic("generator: slab increments outside a loop") // messages outside loops are slots
	}
	for _, s := range b.slabs {
		stmts = append(stmts, jen.Id(s.n).Op(":=").Lit(0))
	}
	stmts = append(stmts, body.size.stmts...)

	blockType := lowerFirst(fnName) + "Block"
	if len(b.slots) > 0 && !b.single {
		var fields []jen.Code
		for _, s := range b.slots {
			fields = append(fields, jen.Id(s.name).Add(s.typ))
		}
		typeDecl = append(typeDecl,
			doc(fmt.Sprintf("%s holds the messages one %s call builds outside loops, so that they are one allocation.", blockType, fnName)),
			jen.Type().Id(blockType).Struct(fields...))
	}
	if len(b.slabs) == 0 && len(b.slots) > 0 && !b.single {
		stmts = append(stmts, jen.Id(b.blk).Op(":=").New(jen.Id(blockType)))
	}
	for i, s := range b.slabs {
		b.g.usesSlab = true
		first, ft := "_", jen.Struct()
		if i == 0 && len(b.slots) > 0 {
			first, ft = b.blk, jen.Id(blockType)
		}
		stmts = append(stmts, jen.List(jen.Id(first), jen.Id(s.name)).Op(":=").
			Id(slabFunc).Types(ft, qual(s.msg.GoIdent)).Call(jen.Id(s.n)))
	}
	stmts = append(stmts, body.fill...)
	stmts = append(stmts, jen.Return(body.val))
	return typeDecl, stmts
}

// slabHelper writes newSlab and the slab type: the fixed part F and n
// elements of E with a slice of n pointers beside them, in one allocation
// up to the last capacity class.
func slabHelper(f *jen.File) {
	slabOf := func() *jen.Statement { return jen.Id("slab").Types(jen.Id("E")) }
	var cases []jen.Code
	cases = append(cases, jen.Case(jen.Id("n").Op("==").Lit(0)).Block(
		jen.Return(jen.New(jen.Id("F")), slabOf().Values(jen.Index().Id("E").Values(), jen.Index().Op("*").Id("E").Values()))))
	for _, c := range slabClasses {
		cases = append(cases, jen.Case(jen.Id("n").Op("<=").Lit(c)).Block(
			jen.Id("b").Op(":=").New(jen.Struct(
				jen.Id("f").Id("F"),
				jen.Id("e").Index(jen.Lit(c)).Id("E"),
				jen.Id("p").Index(jen.Lit(c)).Op("*").Id("E"),
			)),
			jen.Return(
				jen.Op("&").Id("b").Dot("f"),
				slabOf().Values(
					jen.Id("b").Dot("e").Index(jen.Empty(), jen.Id("n"), jen.Id("n")),
					jen.Id("b").Dot("p").Index(jen.Empty(), jen.Id("n"), jen.Id("n"))),
			),
		))
	}
	f.Add(doc(fmt.Sprintf("%s allocates what one generated function builds: F, its messages outside loops, "+
		"and a slab of n elements of E with n pointers for them, in one allocation when n is at most %d "+
		"(rounded up to the next capacity class), so that converting an alert costs one. Zero elements "+
		"take empty slices, not nil ones, as make would give.", slabFunc, slabClasses[len(slabClasses)-1])))
	f.Func().Id(slabFunc).Types(jen.List(jen.Id("F"), jen.Id("E")).Any()).
		Params(jen.Id("n").Int()).
		Params(jen.Op("*").Id("F"), slabOf()).
		Block(
			jen.Switch().Block(cases...),
			jen.Return(jen.New(jen.Id("F")), slabOf().Values(jen.Make(jen.Index().Id("E"), jen.Id("n")), jen.Make(jen.Index().Op("*").Id("E"), jen.Id("n")))),
		)
	f.Add(doc("slab hands out the elements and pointers newSlab allocated, in order."))
	f.Type().Id("slab").Types(jen.Id("E").Any()).Struct(
		jen.Id("elems").Index().Id("E"),
		jen.Id("ptrs").Index().Op("*").Id("E"),
	)
	f.Add(doc("next is the next element."))
	f.Func().Params(jen.Id("s").Op("*").Add(slabOf())).Id("next").Params().Op("*").Id("E").Block(
		jen.Id("e").Op(":=").Op("&").Id("s").Dot("elems").Index(jen.Lit(0)),
		jen.Id("s").Dot("elems").Op("=").Id("s").Dot("elems").Index(jen.Lit(1), jen.Empty()),
		jen.Return(jen.Id("e")),
	)
	f.Add(doc("take is an empty slice of the next n pointers, for a repeated field to append its elements " +
		"to. It is capped at n, so that an append by a caller copies instead of overwriting what lies beyond."))
	f.Func().Params(jen.Id("s").Op("*").Add(slabOf())).Id("take").Params(jen.Id("n").Int()).Index().Op("*").Id("E").Block(
		jen.Id("p").Op(":=").Id("s").Dot("ptrs").Index(jen.Empty(), jen.Lit(0), jen.Id("n")),
		jen.Id("s").Dot("ptrs").Op("=").Id("s").Dot("ptrs").Index(jen.Id("n"), jen.Empty()),
		jen.Return(jen.Id("p")),
	)
}

// sorter is a generated sort of message pointers by one field.
type sorter struct {
	name string
	msg  *protogen.Message
	fld  *protogen.Field
}

// sortHelper names the function sorting pointers to msg by fld, and
// has it generated.
func (g *generator) sortHelper(msg *protogen.Message, fld *protogen.Field) string {
	name := "sort" + msg.GoIdent.GoName + "sBy" + fld.GoName
	for _, s := range g.sorters {
		if s.name == name {
			return name
		}
	}
	g.sorters = append(g.sorters, sorter{name: name, msg: msg, fld: fld})
	return name
}

// sortHelpers writes the sorts sortHelper named. A label set has a few
// pairs, which insertion sorts faster than slices.SortStableFunc with its
// comparison through a function value; longer slices get the latter.
// Both are stable, so elements with equal keys keep their input order.
func (g *generator) sortHelpers(f *jen.File) {
	sort.Slice(g.sorters, func(i, j int) bool { return g.sorters[i].name < g.sorters[j].name })
	for _, s := range g.sorters {
		elem := jen.Op("*").Add(qual(s.msg.GoIdent))
		key := s.fld.GoName
		compare := jen.Qual("cmp", "Compare")
		if s.fld.Desc.Kind() == protoreflect.StringKind {
			compare = jen.Qual("strings", "Compare") // compares once; cmp.Compare, twice
		}
		f.Add(doc(fmt.Sprintf("%s sorts by %s, stably: by insertion up to %d elements, by slices.SortStableFunc beyond.", s.name, key, insertionMax)))
		f.Func().Id(s.name).Params(jen.Id("s").Index().Add(elem)).Block(
			jen.If(jen.Len(jen.Id("s")).Op(">").Lit(insertionMax)).Block(
				jen.Qual("slices", "SortStableFunc").Call(jen.Id("s"),
					jen.Func().Params(jen.Id("x"), jen.Id("y").Add(elem.Clone())).Int().Block(
						jen.Return(compare.Call(jen.Id("x").Dot(key), jen.Id("y").Dot(key))))),
				jen.Return(),
			),
			jen.For(jen.Id("i").Op(":=").Lit(1), jen.Id("i").Op("<").Len(jen.Id("s")), jen.Id("i").Op("++")).Block(
				jen.Id("x").Op(":=").Id("s").Index(jen.Id("i")),
				jen.Id("j").Op(":=").Id("i"),
				jen.For(jen.Op(";").Id("j").Op(">").Lit(0).Op("&&").Id("x").Dot(key).Op("<").Id("s").Index(jen.Id("j").Op("-").Lit(1)).Dot(key), jen.Id("j").Op("--")).Block(
					jen.Id("s").Index(jen.Id("j")).Op("=").Id("s").Index(jen.Id("j").Op("-").Lit(1)),
				),
				jen.Id("s").Index(jen.Id("j")).Op("=").Id("x"),
			),
		)
	}
}

// insertionMax is the longest slice the generated sorts sort by
// insertion.
const insertionMax = 16

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// when translates a loop's when condition in e.
func (b *fnBuilder) when(src string, e env, sc *scope, where string) (*jen.Statement, error) {
	cond, err := b.g.tr.exprIn(src, e)
	if err != nil {
		return nil, fmt.Errorf("%s: when: %w", where, err)
	}
	b.noteRefs(src, sc)
	return cond, nil
}

// checkMapCall checks, when src is a call of a converter (a map field's
// whole value), that the converter returns that map type.
func (b *fnBuilder) checkMapCall(src string, fld *protogen.Field, sc *scope, where string) error {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil // reported when translated
	}
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return nil
	}
	id, ok := call.Fun.(*ast.Ident)
	if !ok || sc.names[id.Name] {
		return nil
	}
	conv := b.g.convByName[id.Name]
	if conv == nil {
		return nil
	}
	k, v := fld.Message.Fields[0], fld.Message.Fields[1]
	want := fmt.Sprintf("map<%s, %s>", protoTypeName(k), protoTypeName(v))
	mk, mv, ok := conv.mapResult()
	if !ok {
		result, rep := conv.resultName()
		if rep {
			result = "repeated " + result
		}
		return fmt.Errorf("%s: %s returns %s, the field holds %s", where, conv.Name, result, want)
	}
	if got := fmt.Sprintf("map<%s, %s>", mk, mv); got != want {
		return fmt.Errorf("%s: %s returns %s, the field holds %s", where, conv.Name, got, want)
	}
	return nil
}

// protoTypeName is a map key's or value's type as a .proto file spells it.
func protoTypeName(fld *protogen.Field) string {
	switch {
	case fld.Message != nil:
		return string(fld.Message.Desc.FullName())
	case fld.Enum != nil:
		return string(fld.Enum.Desc.FullName())
	}
	return fld.Desc.Kind().String()
}

// mapScalars are the Go types of the proto scalar types a map converter's
// result may name.
var mapScalars = map[string]func() *jen.Statement{
	"string": jen.String, "bool": jen.Bool, "bytes": func() *jen.Statement { return jen.Index().Byte() },
	"int32": jen.Int32, "sint32": jen.Int32, "sfixed32": jen.Int32,
	"int64": jen.Int64, "sint64": jen.Int64, "sfixed64": jen.Int64,
	"uint32": jen.Uint32, "fixed32": jen.Uint32, "uint64": jen.Uint64, "fixed64": jen.Uint64,
	"float": jen.Float32, "double": jen.Float64,
}

// mapResult reports whether the converter's result is a map, map<K, V>,
// and its key and value types as written.
func (c *Converter) mapResult() (key, val string, ok bool) {
	r := strings.TrimSpace(c.Result)
	rest, ok := strings.CutPrefix(r, "map<")
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutSuffix(rest, ">")
	k, v, ok2 := strings.Cut(rest, ",")
	if !ok || !ok2 {
		return strings.TrimSpace(rest), "", true
	}
	return strings.TrimSpace(k), strings.TrimSpace(v), true
}

// mapLoop fills a map with one entry per value of s.Range: map_key and
// value are each entry's key and value. An empty or nil source leaves the
// map nil, which every encoding writes as it writes an empty map (not at
// all), and costs no allocation.
func (b *fnBuilder) mapLoop(keyType, valType *jen.Statement, s *Spec, sc *scope, want, where string) (built, error) {
	switch {
	case s.As == "" && s.Key == "":
		return built{}, fmt.Errorf("%s: range needs key and/or as (the loop variables)", where)
	case s.MapKey == "":
		return built{}, fmt.Errorf("%s: a map needs map_key (each entry's key)", where)
	case s.Value == nil || s.Value.Expr == "":
		return built{}, fmt.Errorf("%s: a map needs value, an expression (each entry's value)", where)
	case s.SortBy != "":
		return built{}, fmt.Errorf("%s: sort_by: a map has no order (encoders sort its keys)", where)
	}
	for _, v := range []struct{ key, name string }{{"key", s.Key}, {"as", s.As}} {
		if v.name != "" && (sc.names[v.name] || reservedNames[v.name] || b.g.imports[v.name] != "") {
			return built{}, fmt.Errorf("%s: %s: %q would shadow a name already in use", where, v.key, v.name)
		}
	}
	if s.Key != "" && s.Key == s.As {
		return built{}, fmt.Errorf("%s: key and as are both %q", where, s.Key)
	}
	if _, err := b.g.tr.expr(s.Range); err != nil {
		return built{}, fmt.Errorf("%s: range: %w", where, err)
	}
	b.noteRefs(s.Range, sc)
	lsc := sc.loopScope()
	declare := func(v string) *loopVar {
		if v == "" {
			return nil
		}
		lv := &loopVar{name: v}
		if sc.inlined {
			lv.name = b.fc.local(v)
		} else {
			b.fc.taken[v] = true
		}
		lsc.fill = lsc.fill.with(v, func() *jen.Statement { return jen.Id(lv.name) })
		lsc.names[v] = true
		return lv
	}
	keyVar, asVar := declare(s.Key), declare(s.As)
	k, err := b.g.tr.exprIn(s.MapKey, lsc.fill)
	if err != nil {
		return built{}, fmt.Errorf("%s: map_key: %w", where, err)
	}
	b.noteRefs(s.MapKey, lsc)
	v, err := b.g.tr.exprIn(s.Value.Expr, lsc.fill)
	if err != nil {
		return built{}, fmt.Errorf("%s: value: %w", where, err)
	}
	b.noteRefs(s.Value.Expr, lsc)
	var stmts []jen.Code
	src := b.translated(s.Range, sc.fill)
	if !isSimple(s.Range) {
		name := b.fc.local(srcName(s))
		stmts = append(stmts, jen.Id(name).Op(":=").Add(src()))
		src = func() *jen.Statement { return jen.Id(name) }
	}
	out := b.fc.local(want)
	set := jen.Id(out).Index(k).Op("=").Add(v)
	if s.When != "" {
		cond, err := b.when(s.When, lsc.fill, lsc, where)
		if err != nil {
			return built{}, err
		}
		set = jen.If(cond).Block(set)
	}
	stmts = append(stmts,
		jen.Var().Id(out).Map(keyType.Clone()).Add(valType.Clone()),
		jen.If(jen.Len(src()).Op(">").Lit(0)).Block(
			jen.Id(out).Op("=").Make(jen.Map(keyType.Clone()).Add(valType.Clone()), jen.Len(src())),
			jen.For(rangeVars(keyVar, asVar, false).Range().Add(src())).Block(set),
		))
	return built{fill: stmts, val: jen.Id(out)}, nil
}
