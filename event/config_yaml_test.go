package event_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	gopkgyaml "gopkg.in/yaml.v2"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// fullConfig sets every field of every built-in kind, and a registered
// kind's list. Its secrets live in files, so it reads back from its own
// rendering unchanged.
const fullConfig = `
file_outputs:
- {path: /var/log/events.jsonl, mode: '0640', fsync: batch, event_types: [alert_created], name: audit-file}
webhook_outputs:
- url_file: /etc/eventrecorder/url
  http_config:
    authorization: {type: Bearer, credentials_file: /etc/eventrecorder/token}
    tls_config: {ca_file: /etc/ca.pem, server_name: hooks, min_version: TLS12}
    proxy_url: http://proxy:3128/
    follow_redirects: false
  timeout: 5s
  workers: 2
  max_retries: 5
  retry_backoff: 1s
  queue_size: 100
  batch: true
  batch_max_events: 10
  batch_max_bytes: 65536
  batch_flush_interval: 50ms
  compression: gzip
  event_types: [notification]
  name: audit-hook
kafka_outputs:
- brokers: [b1:9092, b2:9092]
  topic: alertmanager-events
  client_id: am
  format: protobuf
  acks: all
  compression: zstd
  buffer_size: 10
  key: event_type
  tls_config: {ca_file: /ca.pem, server_name: kafka, min_version: TLS13}
  sasl: {mechanism: SCRAM-SHA-512, username: am, password_file: /pw}
  event_types: [silence_created]
  name: audit-kafka
stdout_outputs:
- {event_types: [alert_resolved], name: audit-stdout}
memory_outputs:
- {id: m1, format: protobuf}
`

// Marshal then decode gives an equal configuration under both drivers,
// whole and embedded, and the rendering is the same text under both and
// stable; the same holds for JSON (which has no registered kinds).
func TestConfigRoundTrip(t *testing.T) {
	cfg := mustConfig(t, fullConfig)
	if n := len(cfg.FileOutputs) + len(cfg.WebhookOutputs) + len(cfg.KafkaOutputs) + len(cfg.StdoutOutputs) + len(cfg.Outputs["memory"]); n != 5 {
		t.Fatalf("loaded %d outputs, want 5", n)
	}
	text := yamltest.Marshal(t, cfg)
	back := mustConfig(t, text)
	if !back.Equal(cfg) || !cfg.Equal(back) {
		t.Fatalf("the configuration read back from\n%s\nis not Equal to the original", text)
	}
	if again := yamltest.Marshal(t, back); again != text {
		t.Errorf("rendering the read-back configuration gave\n%s\nwant\n%s", again, text)
	}
	for _, key := range []string{"file_outputs:", "webhook_outputs:", "kafka_outputs:", "stdout_outputs:", "memory_outputs:", "mode: \"0640\"", "batch_flush_interval: 50ms", "min_version: TLS13"} {
		if !strings.Contains(text, key) {
			t.Errorf("the rendering lacks %q:\n%s", key, text)
		}
	}

	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON event.Config
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatalf("%v\n%s", err, j)
	}
	withoutRegistered := cfg
	withoutRegistered.Outputs = nil
	if !fromJSON.Equal(withoutRegistered) {
		t.Fatalf("the configuration read back from JSON\n%s\nis not Equal to the original", j)
	}
	for _, key := range []string{`"file_outputs":[`, `"webhook_outputs":[`, `"kafka_outputs":[`, `"stdout_outputs":[`, `"url_file":"/etc/eventrecorder/url"`, `"mode":"0640"`} {
		if !strings.Contains(string(j), key) {
			t.Errorf("the JSON lacks %s:\n%s", key, j)
		}
	}
}

// Secrets written in the configuration are rendered as "<secret>" by both
// drivers and by JSON, and read back as that placeholder: equal to the
// configuration with its secrets masked, not to the original. A webhook
// URL, which may carry credentials, is a secret as a whole, and its
// placeholder does not load: a rendered configuration cannot silently
// post to nowhere.
func TestMarshalMasksSecrets(t *testing.T) {
	const doc = `
webhook_outputs:
- url_file: /etc/u
  http_config: {basic_auth: {username: u, password: basic-S3CRET}}
- url_file: /etc/v
  http_config: {authorization: {credentials: token-S3CRET}}
kafka_outputs:
- {brokers: ['b:1'], topic: t, sasl: {mechanism: PLAIN, username: u, password: kafka-S3CRET}}
`
	cfg := mustConfig(t, doc)
	masked := mustConfig(t, strings.NewReplacer("basic-S3CRET", "<secret>", "token-S3CRET", "<secret>", "kafka-S3CRET", "<secret>").Replace(doc))
	text := yamltest.Marshal(t, cfg)
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	jsonText := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(j))
	for what, out := range map[string]string{"YAML": text, "JSON": jsonText} {
		if strings.Contains(out, "S3CRET") || strings.Count(out, "secret>") != 3 {
			t.Errorf("%s rendering, want three secrets masked:\n%s", what, out)
		}
	}
	back := mustConfig(t, text)
	if !back.Equal(masked) || back.Equal(cfg) {
		t.Errorf("read back from YAML: Equal to masked %v (want true), to the original %v (want false)", back.Equal(masked), back.Equal(cfg))
	}
	var fromJSON event.Config
	if err := json.Unmarshal(j, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !fromJSON.Equal(masked) || fromJSON.Equal(cfg) {
		t.Errorf("read back from JSON: Equal to masked %v (want true), to the original %v (want false)", fromJSON.Equal(masked), fromJSON.Equal(cfg))
	}

	withURL := mustConfig(t, "webhook_outputs: [{url: 'https://alice:url-S3CRET@hooks.example.com/x?token=tok-S3CRET'}]")
	text = yamltest.Marshal(t, withURL)
	if strings.Contains(text, "S3CRET") || !strings.Contains(text, "url: <secret>") {
		t.Errorf("the webhook URL rendered as\n%s", text)
	}
	_, err = loadConfig(t, text)
	if err == nil || err.Error() != `webhook_outputs[0].url: "<secret>" is a placeholder, not a URL` {
		t.Errorf("reading back the URL placeholder: %v", err)
	}
}

// alertmanagerConfig stands for Alertmanager's config.Config (v0.33 and
// v0.34): decoded with gopkg.in/yaml.v2's UnmarshalStrict, through an
// UnmarshalYAML that decodes a plain copy of itself, the recorder's
// configuration a field among others.
type alertmanagerConfig struct {
	Global        map[string]any `yaml:"global,omitempty"`
	Route         map[string]any `yaml:"route,omitempty"`
	EventRecorder event.Config   `yaml:"event_recorder,omitempty" json:"event_recorder,omitempty"`
	Templates     []string       `yaml:"templates"`
}

func (c *alertmanagerConfig) UnmarshalYAML(unmarshal func(any) error) error {
	type plain alertmanagerConfig
	return unmarshal((*plain)(c))
}

// The bug this guards against: gopkg.in/yaml.v2 could not hand
// event.Config.UnmarshalYAML the go.yaml.in MapSlice it asked for, so
// Alertmanager refused every event_recorder section ("must be a mapping
// of output lists (file_outputs: [...]), got a mapping"), and rendered
// the section (/api/v2/status) as a list of {key, value} pairs.
func TestAlertmanagerDecodesAndRendersTheSection(t *testing.T) {
	doc := "global:\n  resolve_timeout: 5m\nroute:\n  receiver: default\nevent_recorder:\n" +
		indent(fullConfig) + "templates: [a.tmpl]\n"
	var am alertmanagerConfig
	if err := gopkgyaml.UnmarshalStrict([]byte(doc), &am); err != nil {
		t.Fatalf("gopkg.in/yaml.v2: %v", err)
	}
	want := mustConfig(t, fullConfig)
	if !reflect.DeepEqual(am.EventRecorder, want) || len(am.Templates) != 1 || am.Route["receiver"] != "default" {
		t.Fatalf("decoded %+v\nwant the event_recorder section as LoadConfig gives it: %+v", am, want)
	}

	out, err := gopkgyaml.Marshal(am)
	if err != nil {
		t.Fatal(err)
	}
	var generic struct {
		EventRecorder map[string][]map[string]any `yaml:"event_recorder"`
	}
	if err := gopkgyaml.Unmarshal(out, &generic); err != nil {
		t.Fatalf("the rendered section is not a mapping of lists of mappings: %v\n%s", err, out)
	}
	if len(generic.EventRecorder) != 5 || generic.EventRecorder["file_outputs"][0]["path"] != "/var/log/events.jsonl" {
		t.Fatalf("rendered\n%s", out)
	}
	var again alertmanagerConfig
	if err := gopkgyaml.UnmarshalStrict(out, &again); err != nil {
		t.Fatalf("reading back what gopkg.in/yaml.v2 rendered: %v\n%s", err, out)
	}
	if !again.EventRecorder.Equal(want) {
		t.Fatalf("read back from\n%s\nnot Equal", out)
	}

	bad := strings.Replace(doc, "fsync: batch", "fsync: always, colour: red", 1)
	err = gopkgyaml.UnmarshalStrict([]byte(bad), &am)
	if _, want := loadConfig(t, strings.Replace(fullConfig, "fsync: batch", "fsync: always, colour: red", 1)); err == nil || err.Error() != "file_outputs[0].colour: unknown field\nfile_outputs[0].fsync: must be \"none\" or \"batch\", got \"always\"" || err.Error() != want.Error() {
		t.Errorf("a bad output under Alertmanager: %v; LoadConfig: %v", err, want)
	}
}

func indent(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimPrefix(doc, "\n"), "\n") {
		if line != "" {
			b.WriteString("  " + line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// No type of one driver reaches the other: what the UnmarshalYAML methods
// of Config and of every kind ask the calling driver to fill holds no
// type of either driver's package, and what Config.MarshalYAML returns
// holds none either.
func TestNoDriverTypeCrossesACallback(t *testing.T) {
	cfg := mustConfig(t, fullConfig)
	out, err := cfg.MarshalYAML()
	if err != nil {
		t.Fatal(err)
	}
	if types := yamltest.DriverTypesInValue(out); len(types) > 0 {
		t.Errorf("Config.MarshalYAML returns %v", types)
	}

	item := func(key string) string {
		var m map[string][]any
		if err := gopkgyaml.Unmarshal([]byte(fullConfig), &m); err != nil {
			t.Fatal(err)
		}
		b, err := gopkgyaml.Marshal(m[key][0])
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	check := func(what string, types []reflect.Type, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(types) == 0 {
			t.Fatalf("%s: UnmarshalYAML asked for nothing", what)
		}
		for _, typ := range types {
			if bad := yamltest.DriverTypesIn(typ); len(bad) > 0 {
				t.Errorf("%s: UnmarshalYAML asked the driver for a %v, which holds %v", what, typ, bad)
			}
		}
	}
	for _, d := range yamltest.Drivers {
		var c yamltest.Spy[event.Config, *event.Config]
		err := d.UnmarshalStrict([]byte(fullConfig), &c)
		check(d.Name+" event.Config", c.Types, err)
		var f yamltest.Spy[file.Config, *file.Config]
		err = d.UnmarshalStrict([]byte(item("file_outputs")), &f)
		check(d.Name+" file.Config", f.Types, err)
		var w yamltest.Spy[webhook.Config, *webhook.Config]
		err = d.UnmarshalStrict([]byte(item("webhook_outputs")), &w)
		check(d.Name+" webhook.Config", w.Types, err)
		var k yamltest.Spy[kafka.Config, *kafka.Config]
		err = d.UnmarshalStrict([]byte(item("kafka_outputs")), &k)
		check(d.Name+" kafka.Config", k.Types, err)
		var s yamltest.Spy[stdout.Config, *stdout.Config]
		err = d.UnmarshalStrict([]byte(item("stdout_outputs")), &s)
		check(d.Name+" stdout.Config", s.Types, err)
		if !reflect.DeepEqual(c.Value, cfg) || f.Value.Name != "audit-file" || w.Value.Name != "audit-hook" || k.Value.Name != "audit-kafka" || s.Value.Name != "audit-stdout" {
			t.Errorf("%s: the spied decodes differ from LoadConfig's", d.Name)
		}
	}
}

// A caller that decodes without strictness (yaml.Unmarshal) still gets
// unknown fields and repeated keys rejected, with either driver, whole or
// embedded: loadConfig checks every way against LoadConfig.
func TestNonStrictCallersStillRejectMistakes(t *testing.T) {
	for doc, want := range map[string]string{
		"file_outputs: [{path: /tmp/a, colour: red}]":                                                                  "file_outputs[0].colour: unknown field",
		"file_outputs: [{path: /tmp/a, path: /tmp/b}]":                                                                 "file_outputs[0].path: key appears more than once",
		"file_outputs: [{path: /tmp/a}]\nfile_outputs: [{path: /tmp/b}]":                                               `"file_outputs": key appears more than once`,
		"webhook_outputs: [{url: 'http://x/', http_config: {tls_config: {cafile: /ca}}}]":                              "webhook_outputs[0].http_config.tls_config.cafile: unknown field",
		"kafka_outputs: [{brokers: ['h:1'], topic: t, sasl: {mechanism: PLAIN, user: u}}]":                             "kafka_outputs[0].sasl.user: unknown field\nkafka_outputs[0].sasl.username: a user name is required\nkafka_outputs[0].sasl: exactly one of password and password_file is required",
		"stdout_outputs: [{name: a, name: b}]":                                                                         "stdout_outputs[0].name: key appears more than once",
		"memory_outputs: [{id: a, colour: red}]":                                                                       "memory_outputs[0].colour: unknown field",
		"memory_outputs: [{id: a, id: b}]":                                                                             "memory_outputs[0].id: key appears more than once",
		"stdout_outputs: [{event_types: [alert_created, {a: 1}]}]":                                                     "stdout_outputs[0].event_types[1]: must be a string, got a mapping",
		"webhook_outputs: [{url: 'http://x/', http_config: {http_headers: {X-A: {values: [a]}, X-A: {values: [b]}}}}]": "webhook_outputs[0].http_config.http_headers.X-A: key appears more than once",
		"kafka_outputs: [{brokers: ['h:1', 'h:2'], topic: t, tls_config: {server_name: [a]}}]":                         "kafka_outputs[0].tls_config.server_name: must be a string, got a list",
	} {
		_, err := loadConfig(t, doc)
		if err == nil || err.Error() != want {
			t.Errorf("%q: error\n%v\nwant\n%s", doc, err, want)
		}
	}
	for _, d := range yamltest.Drivers {
		var am alertmanagerConfig
		err := d.Unmarshal([]byte("event_recorder:\n  file_outputs: [{path: /tmp/a, colour: red}]\nunknown_alertmanager_key: 1\n"), &am)
		if err == nil || err.Error() != "file_outputs[0].colour: unknown field" {
			t.Errorf("%s, not strict, embedded: %v", d.Name, err)
		}
	}
}
