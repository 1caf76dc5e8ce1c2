package sink

import (
	"cmp"
	"fmt"
	"reflect"
	"regexp"
	"sync"
)

// Kind is one row of the output table: how to decode, compare and build
// the outputs of one kind. Build one with KindOf.
type Kind[T any] struct {
	name   string
	decode func(unmarshal func(any) error) (any, error)
	check  func(cfg any) (any, error)
	build  func(cfg any, env Env[T]) (Sink[T], error)
	equal  func(a, b any) bool
	format func(cfg any) Format
	named  func(cfg any) (string, bool)
	sync   bool
}

// KindOf describes a kind with its configuration type C. C is a struct
// decoded from YAML with strict field checking; if *C has a
// Validate() error method it is called after decoding (and before New for
// configurations built in Go), and should return FieldErrors with paths
// relative to the output ("url", "tls_config.ca_file").
type KindOf[T, C any] struct {
	// Name is the kind's name; its outputs are configured under the YAML
	// key Name + "_outputs". Lower case letters, digits and underscores.
	Name string
	// New builds an output. It should fail only on configuration that
	// cannot work (an unwritable path), not on a destination that is down
	// right now: outputs connect in the background.
	New func(cfg C, env Env[T]) (Sink[T], error)
	// Equal reports whether two configurations are semantically the same,
	// so that a reload keeps the running output. Nil means reflect.DeepEqual.
	Equal func(a, b C) bool
	// Format picks the wire format the output wants. Nil means JSON.
	Format func(cfg C) Format
	// OutputName is what Name() will return for an output built from cfg,
	// computed without building it (no files created, no connections), so
	// that tools can list a configuration's outputs and loading a
	// configuration can reject two outputs with one name. Nil means the
	// kind's name, which is then not taken to be the outputs' real names:
	// two outputs of such a kind that end up with one name are only
	// rejected when they are built. A name set in the configuration (see
	// Naming) takes precedence over both.
	OutputName func(cfg C) string
	// Synchronous declares that the kind's sinks are done with every
	// message's Value when Deliver returns: they write and report within
	// Deliver, as the file and stdout sinks do, and keep no reference.
	// Values for such outputs may then point into a buffer the caller
	// reuses for its next batch, which saves a copy of every event. A
	// sink that buffers or delivers in the background must leave it
	// false.
	Synchronous bool
}

// Kind erases C so that kinds of different configuration types fit in one
// table.
func (k KindOf[T, C]) Kind() Kind[T] {
	validate := func(c *C) error {
		if v, ok := any(c).(interface{ Validate() error }); ok {
			return v.Validate()
		}
		return nil
	}
	as := func(cfg any) (C, error) {
		switch c := cfg.(type) {
		case C:
			return c, nil
		case *C:
			if c != nil {
				return *c, nil
			}
		}
		var zero C
		return zero, fmt.Errorf("sink kind %q: configuration is %T, want %T", k.Name, cfg, zero)
	}
	return Kind[T]{
		name: k.Name,
		sync: k.Synchronous,
		decode: func(unmarshal func(any) error) (any, error) {
			var c C
			err := unmarshal(&c)
			return c, JoinUnreported(err, validate(&c))
		},
		check: func(cfg any) (any, error) {
			c, err := as(cfg)
			if err != nil {
				return nil, err
			}
			if err := validate(&c); err != nil {
				return nil, err
			}
			return c, nil
		},
		build: func(cfg any, env Env[T]) (Sink[T], error) {
			c, err := as(cfg)
			if err != nil {
				return nil, err
			}
			return k.New(c, env.WithDefaults())
		},
		equal: func(a, b any) bool {
			ca, errA := as(a)
			cb, errB := as(b)
			if errA != nil || errB != nil {
				return false
			}
			if k.Equal != nil {
				return k.Equal(ca, cb)
			}
			return reflect.DeepEqual(ca, cb)
		},
		named: func(cfg any) (string, bool) {
			c, err := as(cfg)
			if err != nil {
				return k.Name, false
			}
			if k.OutputName == nil {
				name := NameOr(c, "")
				return cmp.Or(name, k.Name), name != ""
			}
			return NameOr(c, k.OutputName(c)), true
		},
		format: func(cfg any) Format {
			c, err := as(cfg)
			if err != nil || k.Format == nil {
				return JSON
			}
			return k.Format(c)
		},
	}
}

// Name is the kind's name, such as "webhook".
func (k Kind[T]) Name() string { return k.name }

// Synchronous reports whether the kind's sinks are done with values when
// Deliver returns (see KindOf.Synchronous).
func (k Kind[T]) Synchronous() bool { return k.sync }

// Key is the configuration key of the kind's output list, such as
// "webhook_outputs".
func (k Kind[T]) Key() string { return k.name + "_outputs" }

// Decode decodes and validates one output's configuration with a
// yaml.v2-style unmarshal function. With an error, the configuration is
// what could be decoded, for the checks the recorder applies to every
// kind.
func (k Kind[T]) Decode(unmarshal func(any) error) (any, error) { return k.decode(unmarshal) }

// Check validates a configuration built in Go and returns it normalised to
// the kind's configuration type (a value, not a pointer).
func (k Kind[T]) Check(cfg any) (any, error) { return k.check(cfg) }

// New builds an output from a configuration of this kind.
func (k Kind[T]) New(cfg any, env Env[T]) (Sink[T], error) { return k.build(cfg, env) }

// Equal reports whether two configurations of this kind are the same.
func (k Kind[T]) Equal(a, b any) bool { return k.equal(a, b) }

// Format is the wire format an output with this configuration wants.
func (k Kind[T]) Format(cfg any) Format { return k.format(cfg) }

// OutputName is the name an output built from cfg would have, without
// building it.
func (k Kind[T]) OutputName(cfg any) string {
	name, _ := k.named(cfg)
	return name
}

// KnownOutputName is OutputName, and whether it is known to be the name
// the output will have: false for a kind without an OutputName function
// whose configuration sets no name.
func (k Kind[T]) KnownOutputName(cfg any) (string, bool) { return k.named(cfg) }

// Registry is the table of output kinds, in registration order.
type Registry[T any] struct {
	mu    sync.RWMutex
	kinds []Kind[T]
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Register adds a kind. It fails when the name is malformed or taken, or
// the kind was not built with KindOf.
func (r *Registry[T]) Register(k Kind[T]) error {
	if k.build == nil {
		return fmt.Errorf("sink kind %q: not built with KindOf", k.name)
	}
	if !kindName.MatchString(k.name) {
		return fmt.Errorf("sink kind %q: name must match %s", k.name, kindName)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.kinds {
		if have.name == k.name {
			return fmt.Errorf("sink kind %q: already registered", k.name)
		}
	}
	r.kinds = append(r.kinds, k)
	return nil
}

// Lookup finds a kind by name.
func (r *Registry[T]) Lookup(name string) (Kind[T], bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.kinds {
		if k.name == name {
			return k, true
		}
	}
	return Kind[T]{}, false
}

// Kinds returns every registered kind in registration order.
func (r *Registry[T]) Kinds() []Kind[T] {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]Kind[T](nil), r.kinds...)
}
