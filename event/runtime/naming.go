package runtime

import (
	"github.com/eventrecorder/eventrecorder/sink"
)

// Naming is how a bound runtime names its outputs. An output's name is
// its "output" metric label, what the logs call it and what Stats and
// Describe report; two outputs of one runtime never share one.
type Naming uint8

const (
	// DerivedNames: an output goes by the name its configuration sets
	// (name:), or else by one its kind derives from the destination, with
	// secrets masked ("file:/var/log/events.jsonl"). The default, and the
	// rule of the v0.33 API (package event).
	DerivedNames Naming = iota
	// KindQualifiedNames: every output must set a name, and goes by
	// "<kind>:<name>" ("webhook:primary"), so names need only be unique
	// per kind. Alertmanager v0.35's rule (package event/v2). The sink is
	// built from a copy of its configuration carrying the qualified name
	// (sink.WithName), so that its own logs and series say the same; an
	// output kind whose configuration has no name field cannot be
	// configured under this policy.
	KindQualifiedNames
)

// BindOption adjusts what Bind sets up.
type BindOption func(*bindOptions)

type bindOptions struct {
	naming Naming
}

// WithNaming selects how the runtime names outputs (default DerivedNames).
// It is the facade's choice, not the schema's: it belongs to the API the
// facade reproduces.
func WithNaming(n Naming) BindOption {
	return func(o *bindOptions) { o.naming = n }
}

// outputName is the name an output of kind k configured by cfg will go
// by, and whether it is known before the output is built (see
// sink.Kind.KnownOutputName).
func (rt *Runtime[E, D]) outputName(k sink.Kind[E], cfg any) (string, bool) {
	if rt.naming == KindQualifiedNames {
		return k.Name() + ":" + sink.NameOr(cfg, ""), true
	}
	return k.KnownOutputName(cfg)
}

// checkNaming reports a configuration the naming policy cannot name.
func (rt *Runtime[E, D]) checkNaming(k sink.Kind[E], cfg any) error {
	if rt.naming != KindQualifiedNames {
		return nil
	}
	if _, ok := sink.WithName(cfg, k.Name()+":"); !ok {
		return sink.Errorf("name", "output kind %q has no name setting, and every output of this schema needs a name", k.Name())
	}
	if sink.NameOr(cfg, "") == "" {
		return sink.Errorf("name", "is required: every %s output needs a name, unique among the %s outputs (it labels the output's metrics as %s:<name>)", k.Name(), k.Name(), k.Name())
	}
	return nil
}

// buildConfig is the configuration the sink is built from: cfg itself,
// or under KindQualifiedNames a copy carrying the qualified name.
func (rt *Runtime[E, D]) buildConfig(k sink.Kind[E], cfg any) any {
	if rt.naming != KindQualifiedNames {
		return cfg
	}
	name, _ := rt.outputName(k, cfg)
	named, _ := sink.WithName(cfg, name)
	return named
}
