// Package gen holds the code generators that turn the event schema
// (event/eventrecorderpb/eventrecorder.proto) into the event package's Go
// API. buf runs them as local plugins (event/buf.gen.yaml) when
// `go generate ./event/` runs:
//
//   - cmd/protoc-gen-eventrecorder writes event/eventtype.gen.go,
//     event/constructors.gen.go, event/convert.gen.go and
//     event/schema.gen.go: the event-type names, one constructor per event
//     type, the converters from Alertmanager's domain types, and the
//     schema description that binds the schema to the recorder runtime.
//     It is built on protogen and jennifer; the logic lives in
//     internal/api.
//   - cmd/protoc-gen-eventrecorder-json writes the JSON encoders.
//
// gen is a module of its own (gen/go.mod) that also pins the repository's
// build tools as tool directives: buf, staticcheck and benchstat (run as
// `go -C gen tool buf` and so on). Keeping them, jennifer and protogen's
// pre-release protobuf out of the root module's go.mod is what keeps them
// out of the module graph of everyone who imports the event package. gen
// imports nothing of the root module at run time; its tests use the
// generated eventrecorderpb through a replace directive.
//
// # How a schema plugs into the runtime
//
// The recorder itself (queue, batching, encoding, outputs, configuration,
// metrics) is github.com/eventrecorder/eventrecorder/event/runtime, which
// knows no schema. schema.gen.go declares the one value it needs,
// `var schema = runtime.Schema[*Event, *EventData]{...}`: the event-type
// list and switch of eventtype.gen.go, a function that builds the envelope
// (the message the mapping's envelope: key names, default Event, with
// fields timestamp, instance, data and cluster_position; a 32-bit
// position is converted from the runtime's 64-bit one), accessors that
// read an envelope back, and the encoders (the envelope's generated
// AppendJSON, protojson, protobuf). It also references
// runtime.IsAtLeastVersion1, so that it fails to build against a runtime
// older than the one it was generated for. The schema's facade binds it
// (`var rt = runtime.Bind(schema)`) and forwards its typed API to rt; see
// event/recorder.go. A second schema gets its own description by running
// the same generator on it. The generator only emits the runtime's
// import path; it imports nothing of it.
//
// # Adding an event type
//
// Add a payload message and an EventData arm with the next free number,
// then run `go generate ./event/`. The arm gets an EventType<Arm> constant,
// a case in EventTypeName, an entry in EventTypeNames, and a constructor
// New<Payload> (with "Event" appended if the payload's name lacks it)
// whose parameters are the payload's fields in schema order, with the Go
// types protoc-gen-go gives them. Nothing has to be written by hand; a
// mapping entry is needed only for a constructor that should take domain
// types instead.
//
// # The mapping file
//
// event/mapping.yaml says how constructors and converters fill the schema's
// messages. It is YAML, decoded strictly (an unknown key is an error). The
// plugin reads the file its option mapping=<file> names, relative to the
// directory buf runs in (default mapping.yaml); buf runs from gen/, so
// event/buf.gen.yaml gives mapping=../event/mapping.yaml. Top-level keys:
//
//	package:      import path of the generated package (its last element
//	              is the package name)
//	package_name: the package clause, when it is not that last element
//	              (event/v2 is package eventrecorder)
//	event_data:   the message whose single oneof lists the event types
//	              (default EventData)
//	names:        names of the generated functions no entry names:
//	              constructor (a fmt pattern around the payload's name
//	              with its Event suffix, default "New%s"), event_type_name
//	              and event_type_names (default EventTypeName and
//	              EventTypeNames); event/v2 makes them unexported, as its
//	              exported API is a hand-written facade around them
//	envelope:     the message recorders write, with fields timestamp,
//	              instance, data and cluster_position (default Event)
//	imports:      package name → import path, for expressions and types
//	lint_file_ignore: staticcheck "CHECK reason" entries, emitted as
//	              //lint:file-ignore directives in every generated file
//	structs:      plain Go structs, e.g. a constructor's parameter struct
//	enums:        switch functions from a Go value to a proto enum
//	converters:   functions from domain values to messages
//	constructors: per event type (oneof arm name), a custom constructor
//
// Messages and enums are named relative to the schema's package
// (Matcher.Type) or by full name (google.protobuf.Timestamp).
//
// Expressions. Every value, type and parameter list is Go source, parsed
// with go/parser and rebuilt with jennifer. In pkg.Name, pkg is looked up
// in imports (the schema's own Go package, eventrecorderpb, is always
// there), so the generated import block is always right; other names are
// parameters, loop variables, functions generated from this file, or
// unexported helpers written by hand next to the generated files (for
// logic that is not a field mapping: sorting, copying, rendering). Calls,
// conversions, selectors, index and slice expressions, unary and binary
// operators and composite literals are supported.
//
// Field specs. A message's fields are given under fields:, keyed by proto
// field name; they are emitted in schema order whatever the YAML order.
// Each field's spec is one of:
//
//	name: <expr>              the field is set to the expression
//	name:                     a singular message field built in place
//	  fields: {...}
//	  omit: [...]
//	name:                     a repeated field filled by a loop
//	  range: <expr>           what to range over
//	  key: <ident>            the key variable, for a range over a map
//	  as: <ident>             the (value) loop variable
//	  var: <ident>            optional name of the slice variable
//	  sort_by: <field>        order the elements by this field of theirs
//	  when: <expr>            skip the values for which it is false
//	  value: <spec>           each element: an expression, or fields/omit
//	name:                     a map field filled by a loop
//	  range, key, as, when    as above
//	  map_key: <expr>         each entry's key
//	  value: <expr>           each entry's value
//
// Every field of a message that is built must be mapped or listed under
// omit, so that a field added to the schema cannot be dropped silently:
// generation fails and names it.
//
// A range over a map (key given) builds its elements from fields and must
// give sort_by, because Go randomises map order and equal inputs must
// build equal events; the sort is stable, and over a map's keys exact.
// sort_by names a string or number field of the element.
//
// In a message's field expressions, self is the message being built (a
// pointer). The fields the mapping builds (nested messages, loops,
// inlined converters) are set before any field given as an expression is
// evaluated, so an expression may read them: the alert's fingerprint is
// hashed from self.Labels, already sorted. A parameter or loop variable
// cannot be called self.
//
// A map field is unordered: the encoders sort its keys, so its loop has
// no sort_by. An empty source leaves it nil, which every encoding writes as
// it writes an empty map (not at all). A map field may also be given an
// expression, e.g. a call of a map converter.
//
// A loop with when sizes its slabs for every value and fills them with
// those it keeps (Alertmanager's nil matchers are skipped so).
//
// Converters (a list, generated in order):
//
//	converters:
//	  - name: LabelSetAsProto   # exported or not
//	    doc: ...                # the doc comment
//	    params: ls model.LabelSet
//	    nil: ls                 # return nil when this parameter is nil
//	    result: LabelSet        # or "repeated Matcher" for a slice result,
//	                            # built with range/as/value at the top level,
//	                            # or "map<string, string>" for a map, built
//	                            # with range/key/as/map_key/value
//	    function: true          # a function of its own even if unexported
//	                            # and only inlined, for hand-written callers
//	    fields: {...}
//
// Allocation. Building an event is what instrumented code pays on its own
// goroutine, so a generated function allocates one call's messages
// together rather than one object per message. The messages it builds
// outside loops are slots of a block struct (<function>Block); those
// built in loops come from one slab per message type, with the pointers
// of the repeated fields beside them, each field's slice capped at its
// length so that a caller's append copies rather than overwriting a
// neighbour. The function first sizes the slabs (the loops' lengths, and
// loops of its own for what depends on each element), then allocates
// (newSlab: the block and the first slab in one object, rounded up to a
// capacity class), then fills. A call of a generated converter that is a
// field's whole value, or a loop's whole element, is inlined: the
// callee's messages join the caller's block and slabs, so that a
// constructor taking an alert allocates once. Every call still allocates
// its own memory, so that nothing two calls return is shared. A function
// that builds a single message and nothing else stays &Msg{...}.
//
// What this asks of the mapping: range sources and the arguments of
// inlined calls inside loops are evaluated by the sizing pass and again
// by the filling pass, as is any argument that is not a name or a field
// path (those are written where they are used), so they must be cheap and
// return the same both times. Converters cannot call themselves, directly
// or not. An unexported converter that is only ever inlined gets no
// function of its own; one that an expression calls as a function does.
// An expression that is not such a call (timestamppb.New(t), a helper)
// allocates what it allocates: writing a timestamp as a converter with
// fields keeps it in the block.
//
// Enums generate `func <name>(v <from>) <to>`, a switch in the proto enum's
// value order; unlisted Go values map to the enum's zero value. inverse
// names an optional reverse function returning (<from>, bool):
//
//	enums:
//	  - name: matchTypeAsProto
//	    from: labels.MatchType
//	    to: Matcher.Type
//	    values: {TYPE_EQUAL: labels.MatchEqual, ...}
//	    inverse: labelsMatchType
//
// Constructors, keyed by arm name, give params (a Go parameter list) and
// fields/omit for the payload message; name overrides the constructor's
// name and doc its comment. An entry with only doc keeps the default
// parameters. Structs are lists of {name, type, doc} fields.
//
// The output is deterministic: it depends only on the schema and the
// mapping, never on map iteration order, so CI can regenerate and diff.
package gen
