package runtime_test

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
)

type namedNopConfig struct {
	sink.Naming `yaml:",inline"`
}

// namedNopSink goes by the name its configuration carries, as the
// built-in sinks do (sink.NameOr).
type namedNopSink struct {
	nopSink
	name string
}

func (s namedNopSink) Name() string { return s.name }

// Under KindQualifiedNames every output needs a name, goes by
// "<kind>:<name>" (the sink is built with it), and names repeat across
// kinds but not within one; a kind whose configuration has no name field
// cannot be configured at all. Under the default, names stay as before.
func TestKindQualifiedNames(t *testing.T) {
	rt := runtime.Bind(toySchema, runtime.WithNaming(runtime.KindQualifiedNames))
	for _, k := range []sink.Kind[*toyEvent]{
		sink.KindOf[*toyEvent, namedNopConfig]{
			Name: "named",
			New: func(c namedNopConfig, env sink.Env[*toyEvent]) (sink.Sink[*toyEvent], error) {
				return namedNopSink{nopSink{env}, sink.NameOr(c, "named")}, nil
			},
		}.Kind(),
		sink.KindOf[*toyEvent, nopConfig]{
			Name: "nop",
			New:  func(_ nopConfig, env sink.Env[*toyEvent]) (sink.Sink[*toyEvent], error) { return nopSink{env}, nil },
		}.Kind(),
	} {
		if err := rt.RegisterKind(k); err != nil {
			t.Fatal(err)
		}
	}
	decode := func(doc string) (runtime.Config, error) {
		var c runtime.Config
		err := rt.DecodeConfig(&c, func(v any) error { return yaml.UnmarshalStrict([]byte(doc), v) })
		return c, err
	}
	for _, c := range []struct{ doc, wantErr string }{
		{"stdout_outputs: [{}]", "stdout_outputs[0].name: is required"},
		{"named_outputs: [{}]", "named_outputs[0].name: is required"},
		{"nop_outputs: [{}]", `nop_outputs[0].name: output kind "nop" has no name setting`},
		{"named_outputs: [{name: a}, {name: a}]", `named_outputs[1]: output "named:a" is already configured by named_outputs[0]`},
	} {
		if _, err := decode(c.doc); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", c.doc, err, c.wantErr)
		}
	}
	cfg, err := decode("named_outputs: [{name: a}]\nstdout_outputs: [{name: a}]")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := rt.Describe(cfg)
	if err != nil || len(infos) != 2 || infos[0].Name != "stdout:a" || infos[1].Name != "named:a" {
		t.Errorf("Describe = %+v, %v; want stdout:a and named:a", infos, err)
	}
	rec, err := rt.New(runtime.Config{Outputs: cfg.Outputs}, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := rec.Stats(); len(st) != 1 || st[0].Name != "named:a" {
		t.Errorf("Stats = %+v, want the output named named:a (its sink built with the qualified name)", st)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := rt.NewDestination(sink.KindOf[*toyEvent, namedNopConfig]{Name: "named", New: func(c namedNopConfig, env sink.Env[*toyEvent]) (sink.Sink[*toyEvent], error) {
		return namedNopSink{nopSink{env}, sink.NameOr(c, "named")}, nil
	}}.Kind(), namedNopConfig{}, runtime.DestinationOptions{})
	if err == nil || !strings.Contains(err.Error(), "name: is required") {
		t.Errorf("NewDestination without a name: %v, %v", d, err)
	}

	plain := runtime.Bind(toySchema)
	infos, err = plain.Describe(runtime.Config{StdoutOutputs: []runtime.StdoutOutputConfig{{Name: "a"}, {}}})
	if err != nil || len(infos) != 2 || infos[0].Name != "a" || infos[1].Name != "stdout" {
		t.Errorf("DerivedNames: Describe = %+v, %v; want a and stdout", infos, err)
	}
}
