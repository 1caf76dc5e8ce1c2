package reliability_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/yamltest"
)

// validConfigs seed FuzzLoadConfig with configurations that load, so that
// mutations explore the fields of every kind.
var validConfigs = []string{
	"",
	"file_outputs: [{path: /tmp/events.jsonl, mode: '0640', fsync: batch, event_types: [alert_created, notification]}]",
	"stdout_outputs: [{event_types: [silence_created]}]",
	`webhook_outputs:
- url: https://alice:pw@hooks.example.com/in?token=t
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
  http_config:
    tls_config: {insecure_skip_verify: false, min_version: TLS12}
    proxy_url: http://proxy:3128/
- url_file: /etc/secret-url
  http_config: {bearer_token: tok, follow_redirects: false}
`,
	`kafka_outputs:
- brokers: [b1:9092, b2:9092]
  topic: alertmanager-events
  client_id: am
  format: protobuf
  acks: all
  compression: zstd
  buffer_size: 10
  key: event_type
  tls_config: {ca_file: /ca.pem, server_name: kafka}
  sasl: {mechanism: SCRAM-SHA-512, username: am, password_file: /pw}
`,
}

var (
	// An error line names an output list, with or without its index.
	outputLine = regexp.MustCompile(`^[a-z][a-z0-9_]*_outputs(\[\d+\])?(\.|: |\[)`)
	// Or it names a top-level key: one that is not an output list, or one that is repeated.
	unknownKeyLine = regexp.MustCompile(`^".*": (unknown key \(want one of file_outputs, webhook_outputs, kafka_outputs, stdout_outputs\)|key appears more than once)$`)
	// Or the document is not YAML, or not a mapping, or nests deeper than
	// yamltree.MaxDepth, which has no field to name: yaml.v2 says so on
	// the first line and lists what it could not decode below, by line
	// number.
	documentLine = regexp.MustCompile(`^(yaml: |the configuration must be a mapping of output lists|mappings and lists nest more than \d+ levels deep$)`)
	documentItem = regexp.MustCompile(`^  line \d+: `)
	// Or it counts the problems beyond sink.MaxProblems.
	moreLine = regexp.MustCompile(`^and \d+ more problems?$`)
)

// FuzzLoadConfig feeds arbitrary bytes to LoadConfig: it must never
// panic; every other way of decoding them (both yaml.v2 drivers, strict or
// not, whole or embedded in a larger struct) must agree with it; every line of an error must name the output list (kind and index)
// or the top-level key it is about, unless the document is not a YAML
// mapping at all; a configuration that loads must describe itself without
// panicking and equal itself.
func FuzzLoadConfig(f *testing.F) {
	for _, c := range validConfigs {
		f.Add([]byte(c))
	}
	for _, row := range badConfigs {
		f.Add([]byte(row.yaml))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := yamltest.DecodeAnyDoc(t, string(b), yamltest.Way[event.Config]{Name: "LoadConfig", Decode: event.LoadConfig})
		if err != nil {
			msg := err.Error()
			document := documentLine.MatchString(msg)
			var unnamed []string
			for _, line := range strings.Split(msg, "\n") {
				switch {
				case outputLine.MatchString(line), unknownKeyLine.MatchString(line), documentLine.MatchString(line), moreLine.MatchString(line):
				case document && documentItem.MatchString(line):
				default:
					unnamed = append(unnamed, line)
				}
			}
			if len(unnamed) == 0 {
				return
			}
			t.Fatalf("error line %q names no field; whole error:\n%v\ninput:\n%q", unnamed[0], err, b)
		}
		outs, err := cfg.Describe()
		if err != nil {
			t.Fatalf("loaded, then Describe failed: %v\ninput:\n%q", err, b)
		}
		for _, o := range outs {
			if !strings.HasPrefix(o.Path, o.Kind+"_outputs[") || o.Name == "" {
				t.Fatalf("Describe gave %+v\ninput:\n%q", o, b)
			}
		}
		if !cfg.Equal(cfg) {
			t.Fatalf("a loaded configuration is not Equal to itself\ninput:\n%q", b)
		}
	})
}
