package webhook_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/yamltest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// decode decodes src under both yaml.v2 drivers, strict and not, whole
// and embedded, failing t unless they all agree.
func decode(t testing.TB, src string) (webhook.Config, error) {
	t.Helper()
	return yamltest.Decode[webhook.Config](t, src)
}

func TestYAMLDefaults(t *testing.T) {
	c, err := decode(t, "url: https://example.com/hook\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.URL.Redacted() != "https://example.com/hook" {
		t.Errorf("url %q", c.URL.Redacted())
	}
	if c.Timeout != model.Duration(10*time.Second) || c.Workers != 4 || c.MaxRetries != 3 ||
		c.RetryBackoff != model.Duration(500*time.Millisecond) || c.QueueSize != 1024 {
		t.Errorf("defaults: %+v", c)
	}
	if c.Batch || c.BatchMaxEvents != 0 || c.BatchMaxBytes != 0 || c.BatchFlushInterval != 0 || c.Compression != "" {
		t.Errorf("batch defaults without batch: %+v", c)
	}
	if c.HTTPConfig != nil {
		t.Errorf("http_config %+v, want nil (the client uses Prometheus' defaults)", c.HTTPConfig)
	}

	c, err = decode(t, "url: https://example.com/hook\nbatch: true\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.BatchMaxEvents != 100 || c.BatchMaxBytes != 1<<20 || c.BatchFlushInterval != model.Duration(100*time.Millisecond) {
		t.Errorf("batch defaults: %+v", c)
	}

	// A Go config gets the same defaults from Validate.
	u, _ := webhook.ParseURL("https://example.com/hook")
	g := webhook.Config{URL: u}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	if g.Timeout != model.Duration(10*time.Second) || g.Workers != 4 || g.QueueSize != 1024 {
		t.Errorf("Validate defaults: %+v", g)
	}
}

func TestYAMLFullConfig(t *testing.T) {
	c, err := decode(t, `
url: https://example.com/hook?k=v
http_config:
  basic_auth: {username: u, password: p}
  tls_config: {insecure_skip_verify: false}
timeout: 3s
workers: 2
max_retries: 5
retry_backoff: 1s
queue_size: 10
batch: true
batch_max_events: 7
batch_max_bytes: 2048
batch_flush_interval: 250ms
compression: gzip
event_types: [alert_created, silence_created]
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != model.Duration(3*time.Second) || c.Workers != 2 || c.MaxRetries != 5 ||
		c.RetryBackoff != model.Duration(time.Second) || c.QueueSize != 10 || !c.Batch ||
		c.BatchMaxEvents != 7 || c.BatchMaxBytes != 2048 || c.BatchFlushInterval != model.Duration(250*time.Millisecond) ||
		c.Compression != "gzip" || len(c.EventTypes) != 2 || c.HTTPConfig.BasicAuth.Username != "u" {
		t.Errorf("decoded %+v", c)
	}
	if c.URL.URL().String() != "https://example.com/hook?k=v" {
		t.Errorf("URL() lost parts: the sink must send to the full URL")
	}
}

func TestYAMLInvalidFieldsNameTheField(t *testing.T) {
	const u = "url: https://example.com/hook\n"
	for _, tc := range []struct {
		name, src, field, value string
	}{
		{"no url", "workers: 1\n", "url", ""},
		{"url and url_file", u + "url_file: /etc/hook\n", "url", "/etc/hook"},
		{"url placeholder", "url: <secret>\n", "url", "<secret>"},
		{"url empty", "url: ''\n", "url", "empty"},
		{"url scheme", "url: ftp://example.com/\n", "url", "ftp"},
		{"url no host", "url: http:///path\n", "url", "no host"},
		{"url not a string", "url: [a]\n", "url", ""},
		{"url userinfo and http_config auth", "url: https://u:p@example.com/\nhttp_config: {authorization: {credentials: x}}\n", "url", "authorization"},
		{"http_config conflict", u + "http_config: {basic_auth: {username: a}, bearer_token: b}\n", "http_config", "at most one"},
		{"http_config unknown key", u + "http_config: {nope: 1}\n", "http_config.nope", "nope"},
		{"http_config tls", u + "http_config: {tls_config: {cert_file: /x}}\n", "http_config", "key_file"},
		{"http_config ca_file not a regular file", u + "http_config: {tls_config: {ca_file: /dev/zero}}\n", "http_config.tls_config.ca_file", "/dev/zero"},
		{"http_config password_file not a regular file", u + "http_config: {basic_auth: {username: a, password_file: /dev/zero}}\n", "http_config.basic_auth.password_file", "/dev/zero"},
		{"timeout syntax", u + "timeout: soon\n", "timeout", "soon"},
		{"timeout negative", u + "timeout: -1s\n", "timeout", "-1s"},
		{"workers type", u + "workers: many\n", "workers", "many"},
		{"workers negative", u + "workers: -1\n", "workers", "-1"},
		{"max_retries negative", u + "max_retries: -2\n", "max_retries", "-2"},
		{"retry_backoff syntax", u + "retry_backoff: 5\n", "retry_backoff", "5"},
		{"queue_size negative", u + "queue_size: -5\n", "queue_size", "-5"},
		{"batch type", u + "batch: maybe\n", "batch", "maybe"},
		{"batch_max_events without batch", u + "batch_max_events: 5\n", "batch_max_events", "5"},
		{"batch_max_bytes without batch", u + "batch_max_bytes: 5\n", "batch_max_bytes", "5"},
		{"batch_flush_interval without batch", u + "batch_flush_interval: 1s\n", "batch_flush_interval", "1s"},
		{"batch_max_events negative", u + "batch: true\nbatch_max_events: -1\n", "batch_max_events", "-1"},
		{"batch_max_bytes negative", u + "batch: true\nbatch_max_bytes: -1\n", "batch_max_bytes", "-1"},
		{"batch_flush_interval syntax", u + "batch: true\nbatch_flush_interval: x\n", "batch_flush_interval", "x"},
		{"compression", u + "compression: snappy\n", "compression", "snappy"},
		{"event_types type", u + "event_types: alert\n", "event_types", ""},
		{"event_types empty name", u + "event_types: ['']\n", "event_types[0]", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(t, tc.src)
			if err == nil {
				t.Fatalf("accepted %q", tc.src)
			}
			var fe *sink.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *sink.FieldError", err, err)
			}
			if fe.Path != tc.field {
				t.Errorf("error %q names %q, want %q", err, fe.Path, tc.field)
			}
			if !strings.Contains(err.Error(), tc.value) {
				t.Errorf("error %q does not show %q", err, tc.value)
			}
		})
	}
}

func TestYAMLUnknownKeysRejected(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"url: https://example.com/\nretries: 3\n", "retries: unknown field"},
		{"url: https://example.com/\nbatch: true\nbatch_size: 3\n", "batch_size: unknown field"},
		{"url: https://example.com/\nhttp_config: {oauth2: {client_id: c, token_url: 'http://t/', bogus: 1}}\n", "http_config.oauth2.bogus: unknown field"},
		{"url: https://example.com/\nworkers: 1\nworkers: 2\n", "workers: key appears more than once"},
		{"url: https://example.com/\nhttp_config: {http_headers: {X-A: {values: [a]}, X-A: {values: [b]}}}\n", "http_config.http_headers.X-A: key appears more than once"},
	} {
		_, err := decode(t, tc.src)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %s", tc.src, err, tc.want)
		}
	}
}

func TestMarshalHidesURL(t *testing.T) {
	c, err := decode(t, "url: https://user:pw-secret@example.com/hook?token=tok-secret\n")
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	jsonText := strings.ReplaceAll(strings.ReplaceAll(string(j), `\u003c`, "<"), `\u003e`, ">")
	for _, out := range []string{string(y), jsonText, c.URL.String()} {
		if strings.Contains(out, "secret@") || strings.Contains(out, "tok-secret") || !strings.Contains(out, "<secret>") {
			t.Errorf("marshalled %q, want the URL as <secret>", out)
		}
	}
	// The placeholder reads back but does not validate: a marshalled
	// configuration cannot silently post to nowhere.
	var back webhook.Config
	err = yaml.UnmarshalStrict(y, &back)
	var fe *sink.FieldError
	if !errors.As(err, &fe) || fe.Path != "url" {
		t.Errorf("reading back the placeholder: %v, want a url error", err)
	}
	var jback webhook.Config
	if err := json.Unmarshal(j, &jback); err != nil {
		t.Fatal(err)
	}
	if err := jback.Validate(); err == nil {
		t.Error("placeholder from JSON validated")
	}
}

func TestEqual(t *testing.T) {
	must := func(src string) webhook.Config {
		t.Helper()
		c, err := decode(t, src)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	u, _ := webhook.ParseURL("https://example.com/hook?t=1")
	base := must("url: https://example.com/hook?t=1\n")
	for _, tc := range []struct {
		name  string
		other webhook.Config
		equal bool
	}{
		{"same", must("url: https://example.com/hook?t=1\n"), true},
		{"defaults spelt out", must("url: https://example.com/hook?t=1\ntimeout: 10s\nworkers: 4\nmax_retries: 3\nretry_backoff: 500ms\nqueue_size: 1024\ncompression: none\n"), true},
		{"go zero config", webhook.Config{URL: u}, true},
		{"default http_config spelt out", must("url: https://example.com/hook?t=1\nhttp_config: {}\n"), true},
		{"proxy", must("url: https://example.com/hook?t=1\nhttp_config: {proxy_url: 'http://proxy:3128'}\n"), false},
		{"different query token", must("url: https://example.com/hook?t=2\n"), false},
		{"different timeout", must("url: https://example.com/hook?t=1\ntimeout: 11s\n"), false},
		{"http_config", must("url: https://example.com/hook?t=1\nhttp_config: {bearer_token: x}\n"), false},
		{"batch", must("url: https://example.com/hook?t=1\nbatch: true\n"), false},
		{"event_types", must("url: https://example.com/hook?t=1\nevent_types: [a]\n"), false},
		{"url_file", must("url_file: /etc/hook\n"), false},
	} {
		if got := webhook.Equal(base, tc.other); got != tc.equal {
			t.Errorf("%s: Equal = %v, want %v", tc.name, got, tc.equal)
		}
		if got := webhook.Equal(tc.other, base); got != tc.equal {
			t.Errorf("%s (swapped): Equal = %v, want %v", tc.name, got, tc.equal)
		}
	}
	proxied := must("url: https://example.com/hook?t=1\nhttp_config: {proxy_url: 'http://proxy:3128'}\n")
	used := must("url: https://example.com/hook?t=1\nhttp_config: {proxy_url: 'http://proxy:3128'}\n")
	used.HTTPConfig.Proxy() // caches a func inside the config, as building a client may
	if !webhook.Equal(proxied, used) {
		t.Error("same proxy configuration not Equal")
	}

	// Validate must not change a shared http_config under its owner.
	hc := &commoncfg.HTTPClientConfig{BearerToken: "x"}
	c := webhook.Config{URL: u, HTTPConfig: hc}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if hc.BearerToken != "x" || hc.Authorization != nil {
		t.Errorf("Validate changed the caller's http_config: %+v", hc)
	}
}

func TestKindRow(t *testing.T) {
	k := webhook.Kind[int]()
	if k.Name() != "webhook" || k.Key() != "webhook_outputs" {
		t.Errorf("name %q key %q", k.Name(), k.Key())
	}
	rc := newReceiver(t, nil)
	cfg, err := k.Decode(func(v any) error {
		return yaml.UnmarshalStrict([]byte("url: "+rc.URL()+"/kind\nbatch: true\n"), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if k.Format(cfg) != sink.JSON {
		t.Errorf("format %v, want JSON", k.Format(cfg))
	}
	if _, err := k.Decode(func(v any) error { return yaml.UnmarshalStrict([]byte("url: x\n"), v) }); err == nil {
		t.Error("Decode accepted an invalid URL")
	}

	u, _ := webhook.ParseURL(rc.URL() + "/kind")
	checked, err := k.Check(&webhook.Config{URL: u, Batch: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := checked.(webhook.Config); c.Workers != 4 || c.BatchMaxEvents != 100 {
		t.Errorf("Check did not fill defaults: %+v", c)
	}
	if !k.Equal(cfg, checked) {
		t.Error("decoded and Go-built configs of the same output are not Equal")
	}
	if _, err := k.Check(webhook.Config{}); err == nil {
		t.Error("Check accepted a config without url")
	}

	rep := sinktest.NewReporter[int]()
	s, err := k.New(cfg, sinktest.Env[int](t, rep))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "webhook:"+rc.URL()+"/kind" {
		t.Errorf("Name %q", s.Name())
	}
	s.Deliver(sinktest.Messages(0, 3))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 3, 3, 0, 0)
	reqs := rc.requests()
	if len(reqs) != 1 || len(arrayElems(t, reqs[0].body)) != 3 {
		t.Errorf("want one array of 3 events, got %d requests", len(reqs))
	}
	if _, err := k.New(webhook.Config{}, sinktest.Env[int](t, rep)); err == nil {
		t.Error("New accepted a config without url")
	}
}

// TestNumericBounds: every number has an upper bound, and the bound itself
// is accepted while one more is an error that names the field and both
// numbers. Numbers this large once passed and then crashed the output
// (a queue or batch allocated from them) or exhausted the process (a
// goroutine per worker).
func TestNumericBounds(t *testing.T) {
	const u = "url: https://example.com/hook\n"
	for _, tc := range []struct {
		field, at, above, want string
		batch                  bool
	}{
		{"timeout", "5m", "5m1s", `timeout: "5m1s" is above the maximum "5m"`, false},
		{"workers", "256", "257", "workers: 257 is above the maximum 256", false},
		{"workers", "256", "50000000", "workers: 50000000 is above the maximum 256", false},
		{"max_retries", "100", "101", "max_retries: 101 is above the maximum 100", false},
		{"retry_backoff", "5m", "1h", `retry_backoff: "1h" is above the maximum "5m"`, false},
		{"queue_size", "1048576", "1048577", "queue_size: 1048577 is above the maximum 1048576", false},
		{"queue_size", "1048576", "100000000000000", "queue_size: 100000000000000 is above the maximum 1048576", false},
		{"batch_max_events", "10000", "10001", "batch_max_events: 10001 is above the maximum 10000", true},
		{"batch_max_events", "10000", "10000000000000", "batch_max_events: 10000000000000 is above the maximum 10000", true},
		{"batch_max_bytes", "16777216", "16777217", "batch_max_bytes: 16777217 is above the maximum 16777216", true},
		{"batch_max_bytes", "16777216", "9223372036854775807", "batch_max_bytes: 9223372036854775807 is above the maximum 16777216", true},
		{"batch_flush_interval", "1m", "61s", `batch_flush_interval: "1m1s" is above the maximum "1m"`, true},
	} {
		t.Run(tc.field+"="+tc.above, func(t *testing.T) {
			base := u
			if tc.batch {
				base += "batch: true\n"
			}
			if _, err := decode(t, base+tc.field+": "+tc.at+"\n"); err != nil {
				t.Errorf("the maximum itself, %s: %s, is rejected: %v", tc.field, tc.at, err)
			}
			_, err := decode(t, base+tc.field+": "+tc.above+"\n")
			if err == nil || err.Error() != tc.want {
				t.Errorf("%s: %s:\n got %v\nwant %s", tc.field, tc.above, err, tc.want)
			}
		})
	}
	// A configuration built in Go gets the same check from Validate, which
	// New runs before it allocates anything.
	hook, err := webhook.ParseURL("https://example.com/hook")
	if err != nil {
		t.Fatal(err)
	}
	cfg := webhook.Config{URL: hook, QueueSize: 100000000000000}
	if err := cfg.Validate(); err == nil || err.Error() != "queue_size: 100000000000000 is above the maximum 1048576" {
		t.Errorf("Validate: %v", err)
	}
	if _, err := webhook.New(cfg, sink.Env[int]{}); err == nil || err.Error() != "queue_size: 100000000000000 is above the maximum 1048576" {
		t.Errorf("New: %v", err)
	}
}
