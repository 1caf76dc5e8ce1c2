package sink_test

import (
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
)

type namedConfig struct {
	Dest        string `yaml:"dest"`
	sink.Filter `yaml:",inline"`
	sink.Naming `yaml:",inline"`
}

type plainConfig struct {
	Dest string `yaml:"dest"`
}

func TestOutputNamePrecedence(t *testing.T) {
	derived := sink.KindOf[int, namedConfig]{
		Name:       "demo",
		New:        func(namedConfig, sink.Env[int]) (sink.Sink[int], error) { return nil, nil },
		OutputName: func(c namedConfig) string { return "demo:" + c.Dest },
	}.Kind()
	byKind := sink.KindOf[int, namedConfig]{
		Name: "demo",
		New:  func(namedConfig, sink.Env[int]) (sink.Sink[int], error) { return nil, nil },
	}.Kind()
	plain := sink.KindOf[int, plainConfig]{
		Name: "plain",
		New:  func(plainConfig, sink.Env[int]) (sink.Sink[int], error) { return nil, nil },
	}.Kind()
	for _, c := range []struct {
		kind sink.Kind[int]
		cfg  any
		want string
	}{
		{derived, namedConfig{Dest: "x"}, "demo:x"},
		{derived, namedConfig{Dest: "x", Naming: sink.Naming{Name: "audit"}}, "audit"},
		{byKind, namedConfig{Dest: "x"}, "demo"},
		{byKind, namedConfig{Dest: "x", Naming: sink.Naming{Name: "audit"}}, "audit"},
		{plain, plainConfig{Dest: "x"}, "plain"},
	} {
		if got := c.kind.OutputName(c.cfg); got != c.want {
			t.Errorf("%s.OutputName(%+v) = %q, want %q", c.kind.Name(), c.cfg, got, c.want)
		}
	}
	if got := sink.NameOr(plainConfig{}, "derived"); got != "derived" {
		t.Errorf("NameOr of a configuration without Naming = %q", got)
	}
}

func TestCheckName(t *testing.T) {
	for _, c := range []struct {
		name, err string
	}{
		{"", ""},
		{"audit", ""},
		{"tenant-a webhook (eu)", ""},
		{"ünïcødé", ""},
		{strings.Repeat("n", 128), ""},
		{strings.Repeat("n", 129), `name: "` + strings.Repeat("n", 129) + `" is longer than 128 bytes`},
		{" audit", `name: " audit" has leading or trailing space`},
		{"audit\n", `name: "audit\n" has leading or trailing space`},
		{"au\x00dit", `name: "au\x00dit" holds a character that is not printable`},
		{"au\xffdit", `name: "au\xffdit" is not valid UTF-8`},
	} {
		err := sink.CheckName(namedConfig{Naming: sink.Naming{Name: c.name}})
		if got := errString(err); got != c.err {
			t.Errorf("CheckName(%q) = %q, want %q", c.name, got, c.err)
		}
	}
	if err := sink.CheckName(plainConfig{}); err != nil {
		t.Errorf("CheckName of a configuration without Naming: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ownName declares the name field itself, as the built-in kinds do.
type ownName struct {
	Name string
	Dest string
}

func (c ownName) ConfiguredName() string { return c.Name }

// wrongName's Name is not what it reports as its name.
type wrongName struct{ Name, Other string }

func (c wrongName) ConfiguredName() string { return c.Other }

func TestWithName(t *testing.T) {
	orig := namedConfig{Dest: "x", Naming: sink.Naming{Name: "audit"}}
	got, ok := sink.WithName(orig, "demo:audit")
	if c, isCfg := got.(namedConfig); !ok || !isCfg || c.Name != "demo:audit" || c.Dest != "x" {
		t.Errorf("WithName(embedded Naming) = %#v, %v", got, ok)
	}
	if orig.Name != "audit" {
		t.Errorf("WithName modified its argument: %q", orig.Name)
	}
	got, ok = sink.WithName(ownName{Name: "a", Dest: "y"}, "k:a")
	if c, isCfg := got.(ownName); !ok || !isCfg || c.Name != "k:a" || c.Dest != "y" {
		t.Errorf("WithName(own Name field) = %#v, %v", got, ok)
	}
	for _, cfg := range []any{plainConfig{Dest: "z"}, wrongName{Name: "a", Other: "b"}, &ownName{Name: "p"}, nil} {
		if got, ok := sink.WithName(cfg, "n"); ok || got != cfg {
			t.Errorf("WithName(%#v) = %#v, %v; want it unchanged and false", cfg, got, ok)
		}
	}
}
