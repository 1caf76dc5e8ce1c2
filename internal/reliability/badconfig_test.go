package reliability_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/event"
)

// knownTypes is the list every unknown-event-type message ends with.
const knownTypes = "(known: alertmanager_startup_event, alertmanager_shutdown_event, alert_created, alert_resolved, alert_grouped, notification, silence_created, silence_updated, silence_muted_alert, inhibition_muted_alert)"

// A row may carry a bug mark (a short description of a message that does
// not yet name its field, reported with its proposed fix): it is skipped
// while its message differs from the one wanted, and fails once it
// matches, so that the mark is removed when the bug is fixed. None is open.

// badConfigs are bad configurations and the exact message each gets (with
// URLFILE standing for a file the test writes). They also seed
// FuzzLoadConfig.
var badConfigs = []struct {
	yaml    string
	want    string
	new     bool   // fails in event.New, not in LoadConfig
	bug     string // a reported bug this row's wanted message waits on
	secrets []string
}{
	// Top level.
	{yaml: "foo: bar", want: `"foo": unknown key (want one of file_outputs, webhook_outputs, kafka_outputs, stdout_outputs)`},
	{yaml: `"a\nb": 1`, want: `"a\nb": unknown key (want one of file_outputs, webhook_outputs, kafka_outputs, stdout_outputs)`},
	{yaml: "memory_outputs: []", want: `"memory_outputs": unknown key (want one of file_outputs, webhook_outputs, kafka_outputs, stdout_outputs)`},
	{yaml: "file_outputs: 3", want: "file_outputs: must be a list of outputs, got a number"},
	{yaml: "'null': []", want: `"null": unknown key (want one of file_outputs, webhook_outputs, kafka_outputs, stdout_outputs)`},
	{yaml: "file_outputs: [{path: " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "}]", want: "mappings and lists nest more than 64 levels deep"},
	{yaml: "stdout_outputs: {}", want: "stdout_outputs: must be a list of outputs, got a mapping"},
	{yaml: "file_outputs: [3]", want: "file_outputs[0]: must be a mapping, got a number"},
	{yaml: "stdout_outputs: [[]]", want: "stdout_outputs[0]: must be a mapping, got a list"},
	{yaml: "file_outputs: [{path: /tmp/a}, {path: ''}]\nwebhook_outputs: [{url: 'http://x/'}, {url: 'gopher://x/'}]",
		want: "file_outputs[1].path: is required\nwebhook_outputs[1].url: scheme \"gopher\" of \"gopher://x/\" is not http or https"},

	// file
	{yaml: "file_outputs: [{}]", want: "file_outputs[0].path: is required"},
	{yaml: `file_outputs: [{path: "/tmp/a\0b"}]`, want: `file_outputs[0].path: must not contain a NUL byte, got "/tmp/a\x00b"`},
	{yaml: "file_outputs: [{path: /tmp/x, mode: '0999'}]", want: `file_outputs[0].mode: must be an octal permission such as "0640", got "0999"`},
	{yaml: "file_outputs: [{path: /tmp/x, mode: 1777}]", want: `file_outputs[0].mode: must be a permission between 0000 and 0777, got 1777 (write it in octal, such as 0640 or "0640")`},
	{yaml: "file_outputs: [{path: /tmp/x, mode: -1}]", want: "file_outputs[0].mode: must be a permission such as 0640, got -1"},
	{yaml: "file_outputs: [{path: /tmp/x, mode: rwx}]", want: `file_outputs[0].mode: must be an octal permission such as "0640", got "rwx"`},
	{yaml: "file_outputs: [{path: /tmp/x, fsync: always}]", want: `file_outputs[0].fsync: must be "none" or "batch", got "always"`},
	{yaml: "file_outputs: [{path: /tmp/x, colour: blue}]", want: "file_outputs[0].colour: unknown field"},
	{yaml: "file_outputs: [{path: /tmp/x, colour: blue, size: 2}]", want: "file_outputs[0].colour: unknown field\nfile_outputs[0].size: unknown field"},
	// A key holding a character that does not print as itself is quoted,
	// so that a newline does not split the error's line (the fuzz corpus's
	// key-folded-to-newline gets one by YAML folding "0\r\r0").
	{yaml: `file_outputs: [{path: /tmp/x, "0\n0": 1, "a\tb": 2}]`, want: "file_outputs[0].\"0\\n0\": unknown field\nfile_outputs[0].\"a\\tb\": unknown field"},
	{yaml: "file_outputs: [{path: /tmp/x, event_types: [alert_creatd]}]", want: `file_outputs[0].event_types[0]: unknown event type "alert_creatd" ` + knownTypes},
	{yaml: "file_outputs: [{path: [a, b]}]", want: "file_outputs[0].path: must be a string, got a list"},
	{yaml: "file_outputs: [{path: /tmp/a, path: /tmp/b, fsync: always}]", want: "file_outputs[0].path: key appears more than once\nfile_outputs[0].fsync: must be \"none\" or \"batch\", got \"always\""},
	{yaml: "file_outputs: [{path: /tmp/x, colour: {name: blue}}]", want: "file_outputs[0].colour: unknown field"},
	{yaml: "file_outputs: [{<<: {path: /tmp/a}, path: /tmp/b}]", want: "file_outputs[0].path: key appears more than once"},
	{yaml: "file_outputs: [{path: /nonexistent/dir/x.jsonl}]", new: true,
		want: `file_outputs[0].path: cannot open "/nonexistent/dir/x.jsonl": directory "/nonexistent/dir" does not exist: no such file or directory`},
	{yaml: "file_outputs: [{path: /tmp}]", new: true, want: `file_outputs[0].path: cannot open "/tmp" for appending: is a directory`},
	{yaml: "file_outputs: [{path: /tmp/x.jsonl}, {path: /tmp/x.jsonl}]", want: `file_outputs[1]: output "file:/tmp/x.jsonl" is already configured by file_outputs[0]; outputs need distinct names (set name: on one of them)`},

	// stdout
	{yaml: "stdout_outputs: [{format: yaml}]", want: "stdout_outputs[0].format: unknown field"},
	{yaml: "stdout_outputs: [{event_types: [alert_created, {notification: true}]}]", want: "stdout_outputs[0].event_types[1]: must be a string, got a mapping"},
	{yaml: "stdout_outputs: [{name: a, name: b}]", want: "stdout_outputs[0].name: key appears more than once"},
	{yaml: "stdout_outputs: [{name: audit}]\nfile_outputs: [{path: /tmp/x.jsonl, name: audit}]", want: `file_outputs[0]: output "audit" is already configured by stdout_outputs[0]; outputs need distinct names (set name: on one of them)`},
	{yaml: "stdout_outputs: [{name: \" audit\"}]", want: `stdout_outputs[0].name: " audit" has leading or trailing space`},
	{yaml: "stdout_outputs: [{name: \"audit\\x07\"}]", want: `stdout_outputs[0].name: "audit\a" holds a character that is not printable`},
	{yaml: "webhook_outputs: [{url: http://x/, name: \"" + strings.Repeat("n", 129) + "\"}]", want: `webhook_outputs[0].name: "` + strings.Repeat("n", 129) + `" is longer than 128 bytes`},
	{yaml: "stdout_outputs: [{}, {}]", want: `stdout_outputs[1]: output "stdout" is already configured by stdout_outputs[0]; outputs need distinct names (set name: on one of them)`},

	// webhook
	{yaml: "webhook_outputs: [{}]", want: "webhook_outputs[0].url: one of url and url_file is required"},
	{yaml: "webhook_outputs: [{url: 'ftp://example.com/x'}]", want: `webhook_outputs[0].url: scheme "ftp" of "ftp://example.com/x" is not http or https`},
	{yaml: "webhook_outputs: [{url: 'ftp://alice:hunter2@example.com/x?token=s3cr3t'}]", secrets: []string{"hunter2", "s3cr3t", "alice"},
		want: `webhook_outputs[0].url: scheme "ftp" of "ftp://xxxxx@example.com/x?xxxxx" is not http or https`},
	{yaml: "webhook_outputs: [{url: 'http://alice:hunter2@[::1/x?token=s3cr3t'}]", secrets: []string{"hunter2", "s3cr3t"},
		want: `webhook_outputs[0].url: cannot parse "http://xxxxx@[::1/x?xxxxx": missing ']' in host`},
	{yaml: "webhook_outputs: [{url: 'http://:hunter2@/x'}]", secrets: []string{"hunter2"}, want: `webhook_outputs[0].url: "http://xxxxx@/x" has no host`},
	{yaml: "webhook_outputs: [{url: 'alice:hunter2@example.com'}]", secrets: []string{"hunter2"}, want: `webhook_outputs[0].url: "xxxxx@example.com" is not an absolute http or https URL`},
	{yaml: "webhook_outputs: [{url: 'http://alice:hun ter2@example.com:99999/x'}]", secrets: []string{"hun ter2"},
		want: `webhook_outputs[0].url: cannot parse "http://xxxxx@example.com:99999/x": net/url: invalid userinfo`},
	{yaml: "webhook_outputs: [{url: 'http://alice:hunter2@example.com/x', http_config: {bearer_token: s3cr3t}}]", secrets: []string{"hunter2", "s3cr3t"},
		want: `webhook_outputs[0].url: "http://xxxxx@example.com/x" has userinfo and http_config sets authorization: configure credentials in one place`},
	{yaml: "webhook_outputs: [{url: {}}]", want: "webhook_outputs[0].url: must be a string, got a mapping"},
	{yaml: "webhook_outputs: [{url: '<secret>'}]", want: `webhook_outputs[0].url: "<secret>" is a placeholder, not a URL`},
	{yaml: "webhook_outputs: [{url: 'http://x/', url_file: /tmp/u}]", want: `webhook_outputs[0].url: url and url_file "/tmp/u" are mutually exclusive`},
	{yaml: "webhook_outputs: [{url: 'http://x/?token=s3cr3t', timeout: soon}]", secrets: []string{"s3cr3t"}, want: `webhook_outputs[0].timeout: not a valid duration string: "soon"`},
	{yaml: "webhook_outputs: [{url: 'http://x/', retry_backoff: -5s}]", want: `webhook_outputs[0].retry_backoff: not a valid duration string: "-5s"`},
	{yaml: "webhook_outputs: [{url: 'http://x/', workers: -2}]", want: "webhook_outputs[0].workers: -2 is negative"},
	{yaml: "webhook_outputs: [{url: 'http://x/', workers: many}]", want: `webhook_outputs[0].workers: must be an integer, got "many"`},
	{yaml: "webhook_outputs: [{url: 'http://x/', queue_size: -5}]", want: "webhook_outputs[0].queue_size: -5 is negative"},
	{yaml: "webhook_outputs: [{url: 'http://x/', batch_max_events: 5}]", want: "webhook_outputs[0].batch_max_events: 5 is set but batch is not true"},
	{yaml: "webhook_outputs: [{url: 'http://x/', batch: maybe}]", want: `webhook_outputs[0].batch: must be true or false, got "maybe"`},
	{yaml: "webhook_outputs: [{url: 'http://x/', compression: brotli}]", want: `webhook_outputs[0].compression: "brotli" is not one of "none", "gzip"`},
	{yaml: "webhook_outputs: [{url: 'http://x/', http_config: {bearer_token: s3cr3t, basic_auth: {username: u, password: hunter2}}}]", secrets: []string{"hunter2", "s3cr3t"},
		want: "webhook_outputs[0].http_config: at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"},
	{yaml: "webhook_outputs: [{url: 'http://x/', http_config: {bogus: 1}}]", want: "webhook_outputs[0].http_config.bogus: unknown field"},
	{yaml: "webhook_outputs: [{url: 'http://x/', http_config: {oauth2: {client_id: c, token_url: 'http://t/', scope: [a]}}}]", want: "webhook_outputs[0].http_config.oauth2.scope: unknown field"},
	{yaml: "webhook_outputs: [{url: 'http://x/', workers: many, batch: maybe}]", want: "webhook_outputs[0].workers: must be an integer, got \"many\"\nwebhook_outputs[0].batch: must be true or false, got \"maybe\""},
	{yaml: "webhook_outputs: [{url: 'http://x/', http_config: {proxy_url: 'http://proxy:hunter2@[proxy/'}}]", secrets: []string{"hunter2"},
		want: `webhook_outputs[0].http_config: parse "http://xxxxx@[proxy/": missing ']' in host`},
	{yaml: "webhook_outputs: [{url: 'http://x/', event_types: [nope]}]", want: `webhook_outputs[0].event_types[0]: unknown event type "nope" ` + knownTypes},
	{yaml: "webhook_outputs: [{url_file: /nonexistent/url}]", new: true, want: `webhook_outputs[0].url_file: reading "/nonexistent/url": open /nonexistent/url: no such file or directory`},
	{yaml: "webhook_outputs: [{url_file: URLFILE}]", new: true, secrets: []string{"hunter2", "s3cr3t", "alice"},
		want: `webhook_outputs[0].url_file: "URLFILE": scheme "ftp" of "ftp://xxxxx@example.com/in?xxxxx" is not http or https`},
	{yaml: "webhook_outputs: [{url: 'http://x/', http_config: {tls_config: {ca_file: /nonexistent/ca.pem}}}]", new: true,
		want: "webhook_outputs[0].http_config: unable to read CA cert: unable to read file /nonexistent/ca.pem: open /nonexistent/ca.pem: no such file or directory"},

	// kafka
	{yaml: "kafka_outputs: [{}]", want: "kafka_outputs[0].brokers: at least one broker is required\nkafka_outputs[0].topic: a topic is required"},
	{yaml: "kafka_outputs: [{brokers: [localhost], topic: t}]", want: `kafka_outputs[0].brokers[0]: "localhost" is not host:port: missing port or malformed address`},
	{yaml: "kafka_outputs: [{brokers: [':9092'], topic: t}]", want: `kafka_outputs[0].brokers[0]: ":9092" is not host:port: empty host`},
	{yaml: "kafka_outputs: [{brokers: ['h:0'], topic: t}]", want: `kafka_outputs[0].brokers[0]: "h:0" is not host:port: port must be a number from 1 to 65535`},
	{yaml: "kafka_outputs: [{brokers: ['h:1', 'h:1'], topic: t}]", want: `kafka_outputs[0].brokers[1]: duplicate broker "h:1"`},
	{yaml: "kafka_outputs: [{brokers: ['alice:SASLPW@127.0.0.1:9092'], topic: t}]", secrets: []string{"alice", "SASLPW"},
		want: `kafka_outputs[0].brokers[0]: "xxxxx@127.0.0.1:9092" is not host:port: holds credentials (user:password@); configure them under sasl`},
	{yaml: "kafka_outputs: [{brokers: ['SASLPW@127.0.0.1:9092'], topic: t}]", secrets: []string{"SASLPW"},
		want: `kafka_outputs[0].brokers[0]: "xxxxx@127.0.0.1:9092" is not host:port: holds credentials (user:password@); configure them under sasl`},
	{yaml: "kafka_outputs: [{brokers: ['h:1']}]", want: "kafka_outputs[0].topic: a topic is required"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: 'a b'}]", want: `kafka_outputs[0].topic: invalid topic name "a b"; want 1 to 249 letters, digits, '.', '_' or '-', and not "." or ".."`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, format: avro}]", want: `kafka_outputs[0].format: unknown value "avro"; want json or protobuf`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, acks: some}]", want: `kafka_outputs[0].acks: unknown value "some"; want none, leader or all`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, compression: brotli}]", want: `kafka_outputs[0].compression: unknown value "brotli"; want none, gzip, snappy, lz4 or zstd`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, buffer_size: -1}]", want: "kafka_outputs[0].buffer_size: must be at least 1, got -1"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, buffer_size: lots}]", want: `kafka_outputs[0].buffer_size: must be an integer, got "lots"`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, key: random}]", want: `kafka_outputs[0].key: unknown value "random"; want instance, event_type or none`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, partitioner: hash}]", want: "kafka_outputs[0].partitioner: unknown field"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, sasl: {mechanism: PLAIN, username: u, password: hunter2, token: x}}]", secrets: []string{"hunter2"}, want: "kafka_outputs[0].sasl.token: unknown field"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, topic: u}]", want: "kafka_outputs[0].topic: key appears more than once"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, sasl: {mechanism: GSSAPI, username: u, password: hunter2}}]", secrets: []string{"hunter2"},
		want: `kafka_outputs[0].sasl.mechanism: unknown value "GSSAPI"; want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, sasl: {mechanism: PLAIN, password: hunter2}}]", secrets: []string{"hunter2"}, want: "kafka_outputs[0].sasl.username: a user name is required"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, sasl: {mechanism: PLAIN, username: u, password: hunter2, password_file: /x}}]", secrets: []string{"hunter2"},
		want: "kafka_outputs[0].sasl: exactly one of password and password_file is required"},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, tls_config: {ca_ref: vault}}]", want: `kafka_outputs[0].tls_config.ca_ref: secret references are not supported (got "vault"); use the file or inline field`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, tls_config: {min_version: TLS13, max_version: TLS12}}]", want: `kafka_outputs[0].tls_config.max_version: "TLS12" is lower than min_version "TLS13"`},
	{yaml: "kafka_outputs: [{brokers: ['h:1'], topic: t, tls_config: {min_version: TLS99}}]", want: "kafka_outputs[0].tls_config.min_version: unknown TLS version: TLS99"},
	{yaml: "kafka_outputs: [{brokers: ['127.0.0.1:1'], topic: t, sasl: {mechanism: PLAIN, username: u, password_file: /nonexistent/pw}}]", new: true,
		want: `kafka_outputs[0].sasl.password_file: cannot read "/nonexistent/pw": no such file or directory`},
	{yaml: "kafka_outputs: [{brokers: ['127.0.0.1:1'], topic: t, tls_config: {ca_file: /nonexistent/ca.pem}}]", new: true,
		want: "kafka_outputs[0].tls_config: unable to read CA cert: unable to read file /nonexistent/ca.pem: open /nonexistent/ca.pem: no such file or directory"},
}

// TestBadConfigMessages pins the exact message each bad configuration
// gets. Every message names the kind, the list index, the field and the
// bad value; none contains a secret. Rows with stage "new" are valid YAML
// that fails when the output is built (files that do not exist).
func TestBadConfigMessages(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	must(t, os.WriteFile(urlFile, []byte("ftp://alice:hunter2@example.com/in?token=s3cr3t\n"), 0o600))

	for _, row := range badConfigs {
		row.yaml = strings.ReplaceAll(row.yaml, "URLFILE", yamlQuote(urlFile))
		row.want = strings.ReplaceAll(row.want, "URLFILE", urlFile)
		name := row.yaml
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig(t, row.yaml)
			if row.new {
				if err != nil {
					t.Fatalf("LoadConfig: %v; want it to load and fail only in event.New", err)
				}
				var rec event.Recorder
				rec, err = event.New(cfg, event.Options{})
				if err == nil {
					rec.Close()
				}
			}
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			for _, s := range row.secrets {
				if strings.Contains(got, s) {
					t.Errorf("the message shows the secret %q:\n%s", s, got)
				}
			}
			switch {
			case got == row.want && row.bug != "":
				t.Errorf("fixed: the message is now the wanted one; remove the bug mark %q", row.bug)
			case got != row.want && row.bug != "":
				t.Skipf("%s\n got: %s\nwant: %s", row.bug, got, row.want)
			case got != row.want:
				t.Errorf("error message:\n got: %s\nwant: %s", got, row.want)
			}
		})
	}
	t.Logf("%d bad configurations pinned", len(badConfigs))
}
