package file_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/file"
)

func TestConfigYAML(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     file.Config
	}{
		{"path only gets defaults", `path: /var/log/events.jsonl`, file.Config{Path: "/var/log/events.jsonl", Mode: 0o644}},
		{"relative path", `path: events.jsonl`, file.Config{Path: "events.jsonl", Mode: 0o644}},
		{"YAML octal mode", "path: p\nmode: 0640", file.Config{Path: "p", Mode: 0o640}},
		{"quoted octal mode", "path: p\nmode: \"0600\"", file.Config{Path: "p", Mode: 0o600}},
		{"quoted mode without leading zero", "path: p\nmode: \"640\"", file.Config{Path: "p", Mode: 0o640}},
		{"0o prefix", "path: p\nmode: \"0o660\"", file.Config{Path: "p", Mode: 0o660}},
		{"fsync batch", "path: p\nfsync: batch", file.Config{Path: "p", Mode: 0o644, Fsync: "batch"}},
		{"fsync none", "path: p\nfsync: none", file.Config{Path: "p", Mode: 0o644, Fsync: "none"}},
		{"event types", "path: p\nevent_types: [alert_created, silence_expired]",
			file.Config{Path: "p", Mode: 0o644, Filter: sink.Filter{EventTypes: []string{"alert_created", "silence_expired"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := yamltest.Decode[file.Config](t, tc.in)
			if err != nil {
				t.Fatalf("decode %q: %v", tc.in, err)
			}
			if !file.Equal(c, tc.want) || c.Mode != tc.want.Mode || c.Fsync != tc.want.Fsync {
				t.Fatalf("decoded %+v, want %+v", c, tc.want)
			}
		})
	}
}

func TestConfigYAMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		field    string // the FieldError path, "" for a decoder error
		want     []string
	}{
		{"missing path", "mode: 0600", "path", []string{"path: is required"}},
		{"empty path", `path: ""`, "path", []string{"path: is required"}},
		{"unknown field", "path: p\npaht: q", "paht", []string{"paht: unknown field"}},
		{"repeated key", "path: p\npath: q", "path", []string{"path: key appears more than once"}},
		{"bad fsync", "path: p\nfsync: always", "fsync", []string{`fsync: must be "none" or "batch", got "always"`}},
		{"decimal mode", "path: p\nmode: 640", "mode", []string{"mode:", "got 640 ", "octal"}},
		{"non-octal string", "path: p\nmode: \"0648\"", "mode", []string{`mode:`, `"0648"`}},
		{"word mode", "path: p\nmode: rw-r-----", "mode", []string{`mode:`, `"rw-r-----"`}},
		{"mode too wide", "path: p\nmode: \"4755\"", "mode", []string{"mode:", `got "4755"`}},
		{"negative mode", "path: p\nmode: -1", "mode", []string{"mode:", "-1"}},
		{"list mode", "path: p\nmode: [1]", "mode", []string{"mode:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := yamltest.Decode[file.Config](t, tc.in)
			if err == nil {
				t.Fatalf("decode %q succeeded: %+v", tc.in, c)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.field != "" {
				var fe *sink.FieldError
				if !errors.As(err, &fe) || fe.Path != tc.field {
					t.Errorf("error %v (%T) is not a FieldError at %q", err, err, tc.field)
				}
			}
		})
	}
}

// The recorder decodes each output through the kind's Decode and prefixes
// the list position; the field path must survive that.
func TestKindDecodePrefixesPath(t *testing.T) {
	var doc struct {
		Outputs []yaml.MapSlice `yaml:"file_outputs"`
	}
	if err := yaml.UnmarshalStrict([]byte("file_outputs:\n- path: a\n- path: b\n  fsync: sometimes\n"), &doc); err != nil {
		t.Fatal(err)
	}
	k := file.Kind[int]()
	for i, raw := range doc.Outputs {
		b, err := yaml.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := k.Decode(func(v any) error { return yaml.UnmarshalStrict(b, v) })
		if i == 0 {
			if err != nil || cfg.(file.Config).Path != "a" {
				t.Fatalf("output 0: %v %v", cfg, err)
			}
			continue
		}
		err = sink.AtPath("file_outputs[1]", err)
		if err == nil || err.Error() != `file_outputs[1].fsync: must be "none" or "batch", got "sometimes"` {
			t.Fatalf("output 1: %v", err)
		}
	}
}

func TestConfigRoundTrip(t *testing.T) {
	in := file.Config{Path: "/p", Mode: 0o640, Fsync: "batch", Filter: sink.Filter{EventTypes: []string{"x"}}}
	b := yamltest.Marshal(t, in)
	if !strings.Contains(b, `mode: "0640"`) {
		t.Errorf("mode marshals as %s, want the quoted octal string", b)
	}
	out, err := yamltest.Decode[file.Config](t, b)
	if err != nil {
		t.Fatal(err)
	}
	if !file.Equal(in, out) {
		t.Errorf("YAML round trip: %+v -> %s -> %+v", in, b, out)
	}

	j, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"path":"/p","mode":"0640","fsync":"batch","event_types":["x"]}`; string(j) != want {
		t.Errorf("JSON %s, want %s", j, want)
	}
	out = file.Config{}
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	if !file.Equal(in, out) {
		t.Errorf("JSON round trip: %+v -> %s -> %+v", in, j, out)
	}
}

func TestValidateInGo(t *testing.T) {
	c := file.Config{Path: "p"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Mode != file.DefaultMode {
		t.Errorf("Validate left mode %v, want the default", c.Mode)
	}
	c = file.Config{Path: "p", Mode: 0o1777}
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), "mode: ") {
		t.Errorf("mode 01777: %v", err)
	}
	c = file.Config{Path: "p", Fsync: "Batch"}
	if err := c.Validate(); err == nil || err.Error() != `fsync: must be "none" or "batch", got "Batch"` {
		t.Errorf("fsync Batch: %v", err)
	}
}
