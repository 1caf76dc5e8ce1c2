package kafka_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	commoncfg "github.com/prometheus/common/config"
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
)

// decode decodes doc under both yaml.v2 drivers, strict and not, whole and
// embedded, failing t unless they all agree.
func decode(t testing.TB, doc string) (kafka.Config, error) {
	t.Helper()
	return yamltest.Decode[kafka.Config](t, doc)
}

func TestConfigBadValues(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const ok = "brokers: [\"k1:9092\"]\ntopic: events\n"
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"no brokers", "topic: events", `brokers: at least one broker is required`},
		{"empty brokers", "brokers: []\ntopic: events", `brokers: at least one broker is required`},
		{"no port", `{brokers: ["kafka-1"], topic: events}`, `brokers[0]: "kafka-1" is not host:port: missing port or malformed address`},
		{"bad port", `{brokers: ["a:1", "b:x"], topic: events}`, `brokers[1]: "b:x" is not host:port: port must be a number from 1 to 65535`},
		{"port out of range", `{brokers: ["a:70000"], topic: events}`, `brokers[0]: "a:70000" is not host:port: port must be a number from 1 to 65535`},
		{"empty host", `{brokers: [":9092"], topic: events}`, `brokers[0]: ":9092" is not host:port: empty host`},
		{"duplicate broker", `{brokers: ["a:1", "b:2", "a:1"], topic: events}`, `brokers[2]: duplicate broker "a:1"`},
		{"credentials in broker", `{brokers: ["alice:SASLPW@127.0.0.1:9092"], topic: events}`, `brokers[0]: "xxxxx@127.0.0.1:9092" is not host:port: holds credentials (user:password@); configure them under sasl`},
		{"password as user", `{brokers: ["k1:9092", "SASLPW@k2:9092"], topic: events}`, `brokers[1]: "xxxxx@k2:9092" is not host:port: holds credentials (user:password@); configure them under sasl`},
		{"URL broker", `{brokers: ["kafka://k1:9092"], topic: events}`, `brokers[0]: "kafka://k1:9092" is not host:port: holds a scheme, path or query`},
		{"no topic", `{brokers: ["a:1"]}`, `topic: a topic is required`},
		{"bad topic", `{brokers: ["a:1"], topic: "my events"}`, `topic: invalid topic name "my events"; want 1 to 249 letters, digits, '.', '_' or '-', and not "." or ".."`},
		{"dot topic", `{brokers: ["a:1"], topic: ".."}`, `topic: invalid topic name ".."; want 1 to 249 letters, digits, '.', '_' or '-', and not "." or ".."`},
		{"long topic", `{brokers: ["a:1"], topic: ` + strings.Repeat("t", 250) + `}`, `topic: invalid topic name "` + strings.Repeat("t", 250) + `"; want 1 to 249 letters, digits, '.', '_' or '-', and not "." or ".."`},
		{"format", ok + "format: xml", `format: unknown value "xml"; want json or protobuf`},
		{"acks", ok + "acks: some", `acks: unknown value "some"; want none, leader or all`},
		{"acks number", ok + "acks: 1", `acks: unknown value "1"; want none, leader or all`},
		{"compression", ok + "compression: brotli", `compression: unknown value "brotli"; want none, gzip, snappy, lz4 or zstd`},
		{"buffer_size", ok + "buffer_size: -5", `buffer_size: must be at least 1, got -5`},
		{"key", ok + "key: partition", `key: unknown value "partition"; want instance, event_type or none`},
		{"sasl mechanism", ok + "sasl: {mechanism: GSSAPI, username: u, password: p}", `sasl.mechanism: unknown value "GSSAPI"; want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		{"sasl lower case", ok + "sasl: {mechanism: plain, username: u, password: p}", `sasl.mechanism: unknown value "plain"; want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
		{"sasl username", ok + "sasl: {mechanism: PLAIN, password: p}", `sasl.username: a user name is required`},
		{"sasl no password", ok + "sasl: {mechanism: PLAIN, username: u}", `sasl: exactly one of password and password_file is required`},
		{"sasl two passwords", ok + "sasl: {mechanism: PLAIN, username: u, password: p, password_file: " + pwFile + "}", `sasl: exactly one of password and password_file is required`},
		{"tls two CAs", ok + "tls_config: {ca: x, ca_file: y}", `tls_config: at most one of ca, ca_file & ca_ref must be configured`},
		{"tls cert without key", ok + "tls_config: {cert_file: c.pem}", `tls_config: exactly one of key or key_file must be configured when a client certificate is configured`},
		{"tls ref", ok + "tls_config: {ca_ref: vault}", `tls_config.ca_ref: secret references are not supported (got "vault"); use the file or inline field`},
		{"tls versions", ok + "tls_config: {min_version: TLS13, max_version: TLS12}", `tls_config.max_version: "TLS12" is lower than min_version "TLS13"`},
		{"tls ca_file not a regular file", ok + "tls_config: {ca_file: /dev/zero}", `tls_config.ca_file: "/dev/zero" is not a regular file but a character device`},
		{"unknown field", ok + "bootstrap: x", "bootstrap: unknown field"},
		{"unknown sasl field", ok + "sasl: {mechanism: PLAIN, username: u, password: p, token: t}", "sasl.token: unknown field"},
		{"two unknown fields", ok + "bootstrap: x\nsasl: {mechanism: PLAIN, username: u, password: p, token: t}", "bootstrap: unknown field\nsasl.token: unknown field"},
		{"repeated key", ok + "topic: other", "topic: key appears more than once"},
		{"repeated sasl key", ok + "sasl: {mechanism: PLAIN, username: u, username: v, password: p}", "sasl.username: key appears more than once"},
		{"field named like its block", ok + "sasl: {mechanism: PLAIN, username: u, password: p, sasl: x}", "sasl.sasl: unknown field"},
		{"unknown block", ok + "extra: {brokers: [a]}", "extra: unknown field"},
		{"not a mapping", "[a:1]", "must be a mapping, got a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(t, tc.doc)
			if err == nil {
				t.Fatalf("decoding %q succeeded, want error %q", tc.doc, tc.want)
			}
			if err.Error() != tc.want {
				t.Fatalf("error:\n got %q\nwant %q", err, tc.want)
			}
		})
	}
}

func TestConfigFieldErrorsHavePaths(t *testing.T) {
	_, err := decode(t, `{brokers: ["a:1"], topic: t, acks: some}`)
	var fe *sink.FieldError
	if !errors.As(err, &fe) || fe.Path != "acks" {
		t.Fatalf("error %v is not a FieldError at acks", err)
	}
	if got := sink.AtPath("kafka_outputs[1]", err).Error(); got != `kafka_outputs[1].acks: unknown value "some"; want none, leader or all` {
		t.Fatalf("prefixed error = %q", got)
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := decode(t, `{brokers: ["kafka-2:9093", "kafka-1:9093"], topic: events}`)
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.Config{
		Brokers:     []string{"kafka-2:9093", "kafka-1:9093"},
		Topic:       "events",
		ClientID:    "alertmanager", // the reference's default
		Format:      kafka.FormatJSON,
		Acks:        kafka.AcksLeader,
		Compression: kafka.CompressionNone,
		BufferSize:  1024,
		Key:         kafka.KeyInstance,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("decoded %+v\nwant    %+v", c, want)
	}
	// A zero configuration built in Go gets the same defaults from Check.
	got, err := kafka.Kind[int]().Check(kafka.Config{Brokers: want.Brokers, Topic: "events"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Check gave %+v\nwant       %+v", got, want)
	}
}

// TestConfigEveryField decodes a document that sets every field and checks
// that each one arrives, so that the decoding mirror inside UnmarshalYAML
// cannot fall behind Config.
func TestConfigEveryField(t *testing.T) {
	doc := `
brokers: ["kafka-1:9093", "kafka-2:9093"]
topic: events
client_id: am-eu-west
format: protobuf
acks: all
compression: snappy
buffer_size: 2048
tls_config:
  ca_file: /etc/ca.pem
  server_name: kafka
  min_version: TLS12
sasl:
  mechanism: SCRAM-SHA-512
  username: recorder
  password: hunter2
key: event_type
buffer: {type: disk, path: /var/lib/eventrecorder/kafka, max_bytes: 512MiB, when_full: block, fsync: always}
event_types: [alert_created]
name: audit-kafka
include_id: true
`
	c, err := decode(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	want := kafka.Config{
		Brokers:     []string{"kafka-1:9093", "kafka-2:9093"},
		Topic:       "events",
		ClientID:    "am-eu-west",
		Format:      kafka.FormatProtobuf,
		Acks:        kafka.AcksAll,
		Compression: kafka.CompressionSnappy,
		BufferSize:  2048,
		TLSConfig:   &commoncfg.TLSConfig{CAFile: "/etc/ca.pem", ServerName: "kafka", MinVersion: commoncfg.TLSVersions["TLS12"]},
		SASL:        &kafka.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "recorder", Password: "hunter2"},
		Key:         kafka.KeyEventType,
		Buffer:      buffer.Config{Type: buffer.TypeDisk, Path: "/var/lib/eventrecorder/kafka", MaxBytes: 512 << 20, WhenFull: buffer.Block, Fsync: buffer.FsyncAlways},
		Filter:      sink.Filter{EventTypes: []string{"alert_created"}},
		Name:        "audit-kafka",
		IncludeID:   true,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("decoded %+v\nwant    %+v", c, want)
	}
	v := reflect.ValueOf(c)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("field %s is not set by the document: add it to this test", v.Type().Field(i).Name)
		}
	}
	// Printing the configuration hides the password.
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") {
		t.Fatalf("marshalled configuration shows the password:\n%s", out)
	}
}

func TestConfigEqualFormatName(t *testing.T) {
	k := kafka.Kind[int]()
	a := kafka.Config{Brokers: []string{"b:2", "a:1"}, Topic: "t"}
	b := kafka.Config{Brokers: []string{"a:1", "b:2"}, Topic: "t", Acks: kafka.AcksLeader, ClientID: "alertmanager", Filter: sink.Filter{EventTypes: []string{}}}
	if !k.Equal(a, b) {
		t.Error("broker order or explicit defaults made configurations unequal")
	}
	for name, c := range map[string]kafka.Config{
		"topic":    {Brokers: a.Brokers, Topic: "u"},
		"broker":   {Brokers: []string{"a:1", "c:3"}, Topic: "t"},
		"acks":     {Brokers: a.Brokers, Topic: "t", Acks: kafka.AcksAll},
		"password": {Brokers: a.Brokers, Topic: "t", SASL: &kafka.SASLConfig{Mechanism: "PLAIN", Username: "u", Password: "p"}},
		"filter":   {Brokers: a.Brokers, Topic: "t", Filter: sink.Filter{EventTypes: []string{"x"}}},
	} {
		if k.Equal(a, c) {
			t.Errorf("configurations differing in %s are equal", name)
		}
	}
	if k.Name() != "kafka" || k.Key() != "kafka_outputs" {
		t.Errorf("kind name %q key %q", k.Name(), k.Key())
	}
	if f := k.Format(a); f != sink.JSON {
		t.Errorf("default format %v, want json", f)
	}
	if f := k.Format(kafka.Config{Format: kafka.FormatProtobuf}); f != sink.Protobuf {
		t.Errorf("format %v, want protobuf", f)
	}
	if err := (&sink.Registry[int]{}).Register(k); err != nil {
		t.Errorf("registering the kind: %v", err)
	}
}

func TestNewRejectsUnusableFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pem")
	_, err := kafka.New(kafka.Config{Brokers: []string{"a:1"}, Topic: "t", TLSConfig: &commoncfg.TLSConfig{CAFile: missing}}, sink.Env[int]{})
	if err == nil || !strings.HasPrefix(err.Error(), "tls_config: unable to read CA cert") {
		t.Errorf("missing CA file: err = %v", err)
	}
	_, err = kafka.New(kafka.Config{Brokers: []string{"a:1"}, Topic: "t", SASL: &kafka.SASLConfig{Mechanism: "PLAIN", Username: "u", PasswordFile: missing}}, sink.Env[int]{})
	if want := `sasl.password_file: cannot read "` + missing + `": no such file or directory`; err == nil || err.Error() != want {
		t.Errorf("missing password file: err = %v, want %s", err, want)
	}
	_, err = kafka.New(kafka.Config{Topic: "t"}, sink.Env[int]{})
	if err == nil || err.Error() != "brokers: at least one broker is required" {
		t.Errorf("invalid Go configuration: err = %v", err)
	}
}

// TestGoConfigBrokerMasked: a configuration built in Go goes through
// Validate (by New, or by the recorder's Check) without any YAML layer
// that could mask what it echoes, so Validate masks credentials itself,
// and so does printing the configuration.
func TestGoConfigBrokerMasked(t *testing.T) {
	cfg := kafka.Config{Brokers: []string{"alice:SASLPW@127.0.0.1:9092"}, Topic: "t"}
	want := `brokers[0]: "xxxxx@127.0.0.1:9092" is not host:port: holds credentials (user:password@); configure them under sasl`
	if _, err := kafka.New(cfg, sink.Env[int]{}); err == nil || err.Error() != want {
		t.Errorf("New: err = %v, want %s", err, want)
	}
	if _, err := kafka.Kind[int]().Check(cfg); err == nil || err.Error() != want {
		t.Errorf("Check: err = %v, want %s", err, want)
	}
	if s := cfg.String(); strings.Contains(s, "SASLPW") || strings.Contains(s, "alice") || !strings.Contains(s, "xxxxx@127.0.0.1:9092") {
		t.Errorf("String() shows the credentials or lost the broker:\n%s", s)
	}
}

// TestBufferSizeBound: buffer_size is allocated in full when the output
// starts; a number that once passed and then crashed New (makechan) is
// an error naming the field and the bound, which is itself accepted.
func TestBufferSizeBound(t *testing.T) {
	const ok = "brokers: [\"k1:9092\"]\ntopic: events\n"
	if c, err := decode(t, ok+"buffer_size: 1048576"); err != nil || c.BufferSize != kafka.BufferSizeLimit {
		t.Errorf("the maximum itself: %+v, %v", c.BufferSize, err)
	}
	for _, n := range []string{"1048577", "100000000000000"} {
		want := "buffer_size: " + n + " is above the maximum 1048576"
		if _, err := decode(t, ok+"buffer_size: "+n); err == nil || err.Error() != want {
			t.Errorf("buffer_size %s:\n got %v\nwant %s", n, err, want)
		}
	}
	cfg := kafka.Config{Brokers: []string{"k1:9092"}, Topic: "events", BufferSize: 100000000000000}
	if _, err := kafka.New(cfg, sink.Env[int]{}); err == nil || err.Error() != "buffer_size: 100000000000000 is above the maximum 1048576" {
		t.Errorf("New: %v", err)
	}
}
