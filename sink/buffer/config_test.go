package buffer_test

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]buffer.Size{
		"1GiB": 1 << 30, "512MiB": 512 << 20, "128KiB": 128 << 10, "1TiB": 1 << 40,
		"1048576": 1 << 20, "2MB": 2e6, "1 GB": 1e9, "10kB": 10e3, "300B": 300,
	} {
		got, err := buffer.ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GiB", "1.5GiB", "1 gib", "+5", "-", "1XB", "9223372036854775807KiB"} {
		if got, err := buffer.ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
	for v, want := range map[buffer.Size]string{1 << 30: "1GiB", 3 << 20: "3MiB", 1000: "1000", 0: "0", 1536: "1536"} {
		if got := v.String(); got != want {
			t.Errorf("Size(%d).String() = %q, want %q", v, got, want)
		}
	}
}

// decodeHook decodes a webhook output with the given buffer block under
// every yaml.v2 driver and mode.
func decodeHook(t *testing.T, block string) (webhook.Config, error) {
	t.Helper()
	return yamltest.Decode[webhook.Config](t, "url: http://127.0.0.1:9/hook\nbuffer: "+block+"\n")
}

func TestConfigDefaults(t *testing.T) {
	c, err := decodeHook(t, "{type: disk, path: /var/lib/b}")
	if err != nil {
		t.Fatal(err)
	}
	want := buffer.Config{Type: buffer.TypeDisk, Path: "/var/lib/b", MaxBytes: buffer.DefaultDiskMaxBytes, WhenFull: buffer.DropNewest, Fsync: buffer.FsyncBatch}
	if c.Buffer != want {
		t.Errorf("disk defaults %+v, want %+v", c.Buffer, want)
	}
	c, err = decodeHook(t, "{when_full: block}")
	if err != nil {
		t.Fatal(err)
	}
	want = buffer.Config{Type: buffer.TypeMemory, MaxBytes: buffer.DefaultMemoryMaxBytes, WhenFull: buffer.Block}
	if c.Buffer != want {
		t.Errorf("memory defaults %+v, want %+v", c.Buffer, want)
	}
	c, err = decodeHook(t, "{type: memory}")
	if err != nil || c.Buffer != (buffer.Config{Type: buffer.TypeMemory}) || c.Buffer.Enabled() {
		t.Errorf("type: memory alone: %+v, %v; want no buffer", c.Buffer, err)
	}
	c, err = decodeHook(t, "{type: disk, path: /b, max_bytes: 536870912}")
	if err != nil || c.Buffer.MaxBytes != 512<<20 {
		t.Errorf("max_bytes in bytes: %+v, %v", c.Buffer, err)
	}
	// A configuration renders max_bytes with its unit and reads back the same.
	out, err := yaml.Marshal(c.Buffer)
	if err != nil || !strings.Contains(string(out), "max_bytes: 512MiB") {
		t.Fatalf("rendered %q, %v", out, err)
	}
	var back buffer.Config
	if err := yaml.UnmarshalStrict(out, &back); err != nil || back != c.Buffer {
		t.Errorf("read back %+v, %v; want %+v", back, err, c.Buffer)
	}
}

// Every problem is an error at its path under buffer, with the value as
// written.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ block, path, text string }{
		{"{type: disk}", "buffer.path", "a directory is required"},
		{"{type: memory, path: /b}", "buffer.path", `"/b" is set but type is "memory"`},
		{"{type: memory, max_bytes: 1MiB, fsync: always}", "buffer.fsync", `"always" is set but type is "memory"`},
		{"{type: tape, path: /b}", "buffer.type", `"tape" is not one of`},
		{"{type: disk, path: /b, max_bytes: 1KiB}", "buffer.max_bytes", `"1KiB" is below the minimum "128KiB"`},
		{"{type: disk, path: /b, max_bytes: 2TiB}", "buffer.max_bytes", `"2TiB" is above the maximum "1TiB"`},
		{"{max_bytes: 8GiB}", "buffer.max_bytes", `"8GiB" is above the maximum "4GiB" for type "memory"`},
		{"{type: disk, path: /b, max_bytes: -5}", "buffer.max_bytes", `"-5" is negative`},
		{"{type: disk, path: /b, max_bytes: lots}", "buffer.max_bytes", `"lots" is not a size`},
		{"{type: disk, path: /b, max_bytes: [1]}", "buffer.max_bytes", "a list"},
		{"{type: disk, path: /b, when_full: drop_oldest}", "buffer.when_full", `"drop_oldest" is not one of`},
		{"{type: disk, path: /b, fsync: sometimes}", "buffer.fsync", `"sometimes" is not one of`},
		{"{type: disk, path: /b, colour: red}", "buffer.colour", "unknown field"},
	} {
		_, err := decodeHook(t, tc.block)
		var fe *sink.FieldError
		found := false
		for _, p := range sink.Problems(err) {
			if errors.As(p, &fe) && fe.Path == tc.path && strings.Contains(p.Error(), tc.text) {
				found = true
			}
		}
		if !found || len(sink.Problems(err)) != 1 {
			t.Errorf("buffer %s: %v; want one error, at %s saying %q", tc.block, err, tc.path, tc.text)
		}
	}
	// Kafka outputs check the block the same way.
	_, err := yamltest.Decode[kafka.Config](t, "brokers: [\"k:9092\"]\ntopic: t\nbuffer: {type: disk}\n")
	if err == nil || !strings.Contains(err.Error(), "buffer.path: a directory is required") {
		t.Errorf("kafka with a disk buffer and no path: %v", err)
	}
}

// A reload keeps an output whose buffer only spelt defaults differently
// and rebuilds one whose buffer changed.
func TestEqual(t *testing.T) {
	dir := buffer.Config{Type: buffer.TypeDisk, Path: "/var/lib/b"}
	for _, tc := range []struct {
		a, b buffer.Config
		want bool
	}{
		{buffer.Config{}, buffer.Config{}, true},
		{buffer.Config{}, buffer.Config{Type: buffer.TypeMemory}, true},
		{dir, buffer.Config{Type: buffer.TypeDisk, Path: "/var/lib/b/", MaxBytes: 1 << 30, Fsync: "batch", WhenFull: "drop_newest"}, true},
		{dir, buffer.Config{Type: buffer.TypeDisk, Path: "/var/lib/c"}, false},
		{dir, buffer.Config{Type: buffer.TypeDisk, Path: "/var/lib/b", Fsync: "always"}, false},
		{buffer.Config{}, dir, false},
	} {
		if got := buffer.Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%+v, %+v) = %v", tc.a, tc.b, got)
		}
	}
	u, _ := webhook.ParseURL("http://127.0.0.1:9/hook")
	a := webhook.Config{URL: u}
	b := a
	b.Buffer = dir
	if webhook.Equal(a, b) {
		t.Error("webhook.Equal ignores the buffer block")
	}
	ka := kafka.Config{Brokers: []string{"k:9092"}, Topic: "t"}
	kb := ka
	kb.Buffer = dir
	if kafka.Equal(ka, kb) || !kafka.Equal(kb, kb) {
		t.Error("kafka.Equal ignores the buffer block")
	}
}
