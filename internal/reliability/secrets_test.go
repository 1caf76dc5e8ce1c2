package reliability_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// Planted secrets, one per secret-bearing field, distinct so that a leak
// says where it came from.
const (
	secretURLUser     = "URLUSER-c41d77"
	secretURLPassword = "URLPASS-7f3a02"
	secretURLQuery    = "URLQUERY-91b2e5"
	secretURLFragment = "URLFRAG-0e33a1"
	secretFileUser    = "FILEUSER-2d9c40"
	secretFilePass    = "FILEPASS-5e6c18"
	secretFileQuery   = "FILEQUERY-a9d0b3"
	secretBearer      = "BEARER-3c8e6f"
	secretBasicPass   = "BASICPASS-d2f1a7"
	secretSASLInline  = "SASLINLINE-6b7e90"
	secretSASLFile    = "SASLFILE-0a4c2b"
	secretBrokerUser  = "BROKERUSER-58d1e3"
	secretBrokerPass  = "BROKERPASS-c07b6a"
)

var secrets = []string{secretURLUser, secretURLPassword, secretURLQuery, secretURLFragment, secretFileUser,
	secretFilePass, secretFileQuery, secretBearer, secretBasicPass, secretSASLInline, secretSASLFile,
	secretBrokerUser, secretBrokerPass}

func scanSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %s:\n%s", what, s, text)
		}
	}
}

// labelValues lists every label value of every series in reg.
func labelValues(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				fmt.Fprintf(&b, "%s{%s=%q}\n", f.GetName(), l.GetName(), l.GetValue())
			}
		}
	}
	return b.String()
}

// TestSecretsNeverObservable plants a distinct secret in every
// secret-bearing field of every kind, runs the outputs against
// destinations that fail in ways that produce errors (HTTP 503 and 401, a
// closed port, a Kafka broker that rejects the SASL password), and scans
// everything a user can observe: output names (Stats, Describe), every
// log line at debug level, every metric label value, every error (loading,
// building, delivering, closing) and the configuration marshalled back to
// YAML and JSON. No secret may appear anywhere.
func TestSecretsNeverObservable(t *testing.T) {
	baseline := append(leakcheck.Options(), goleak.IgnoreCurrent())
	dir := t.TempDir()
	rx503 := newReceiver(t, answer503, false)
	rx401 := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) bool {
		w.WriteHeader(http.StatusUnauthorized)
		return false
	}, false)
	rxDown := newReceiver(t, answerOK, true)
	kf := kafkatest.StartFake(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "events", "the-right-password"), kfake.SeedTopics(1, "events"))
	closedKafka := fmt.Sprintf("127.0.0.1:%d", kafkatest.FreePort(t))

	userinfoURL := strings.Replace(rx503.url(), "http://", "http://"+secretURLUser+":"+secretURLPassword+"@", 1) + "?token=" + secretURLQuery + "#" + secretURLFragment
	urlFile := filepath.Join(dir, "webhook-url")
	must(t, os.WriteFile(urlFile, []byte(strings.Replace(rx503.url(), "http://", "http://"+secretFileUser+":"+secretFilePass+"@", 1)+"/filed?key="+secretFileQuery+"\n"), 0o600))
	passwordFile := filepath.Join(dir, "sasl-password")
	must(t, os.WriteFile(passwordFile, []byte(secretSASLFile+"\n"), 0o600))

	outputs := fmt.Sprintf(`
webhook_outputs:
- {url: %q, max_retries: 2, retry_backoff: 10ms}
- {url_file: %q, max_retries: 2, retry_backoff: 10ms}
- {url: %q, http_config: {bearer_token: %s}, max_retries: 1}
- {url: %q, http_config: {basic_auth: {username: alice, password: %s}}, max_retries: 2, retry_backoff: 10ms}
kafka_outputs:
- {brokers: [%q], topic: events, sasl: {mechanism: PLAIN, username: events, password: %s}}
- {brokers: [%q], topic: events, sasl: {mechanism: SCRAM-SHA-256, username: events, password_file: %q}}
`, userinfoURL, urlFile, rx401.url(), secretBearer, rxDown.url(), secretBasicPass, closedKafka, secretSASLInline, kf.ListenAddrs()[0], passwordFile)
	for _, s := range secrets {
		planted := s == secretFileUser || s == secretFilePass || s == secretFileQuery || s == secretSASLFile || // in files
			s == secretBrokerUser || s == secretBrokerPass // only in the mistakes below
		if !planted && !strings.Contains(outputs, s) {
			t.Fatalf("secret %s is not planted", s)
		}
	}

	cfg := mustLoad(t, outputs)
	desc, err := cfg.Describe()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range desc {
		scanSecrets(t, "Describe", fmt.Sprintf("%+v", d))
	}
	y, err := yaml.Marshal(cfg)
	must(t, err)
	scanSecrets(t, "the configuration marshalled to YAML", string(y))
	j, err := json.Marshal(cfg)
	must(t, err)
	scanSecrets(t, "the configuration marshalled to JSON", string(j))

	// The same outputs, each with one mistake, fail to load or to start;
	// the messages must not carry the secrets either.
	for _, bad := range []string{
		strings.Replace(outputs, "max_retries: 1}", "max_retries: -1}", 1),
		strings.Replace(outputs, "topic: events, sasl: {mechanism: PLAIN", "topic: 'bad topic', sasl: {mechanism: PLAIN", 1),
		strings.Replace(outputs, "mechanism: PLAIN", "mechanism: GSSAPI", 1),
		strings.Replace(outputs, "http://", "gopher://", 1),
		strings.Replace(outputs, "max_retries: 2, retry_backoff: 10ms}\n- {url_file", "bogus: 1}\n- {url_file", 1),
		outputs + "- {brokers: [" + closedKafka + "], topic: events, sasl: {mechanism: PLAIN, username: events, password: " + secretSASLInline + "}}\n",
		strings.Replace(outputs, "{url: "+fmt.Sprintf("%q", rx401.url()), "{url: "+fmt.Sprintf("%q", userinfoURL), 1),
		// SASL credentials written into a broker address, as
		// user:password@host:port and as password@host:port.
		outputs + "- {brokers: [\"" + secretBrokerUser + ":" + secretBrokerPass + "@127.0.0.1:9092\"], topic: events}\n",
		outputs + "- {brokers: [\"127.0.0.1:9093\", \"" + secretBrokerPass + "@127.0.0.1:9092\"], topic: events}\n",
	} {
		c, err := loadConfig(t, bad)
		if err == nil {
			var rec event.Recorder
			rec, err = event.New(c, event.Options{CloseTimeout: time.Second})
			if err == nil {
				rec.Close()
				t.Errorf("a configuration with a mistake started:\n%s", bad)
				continue
			}
		}
		scanSecrets(t, "a configuration error", err.Error())
	}

	// The same mistake in a configuration built in Go, which no YAML
	// decoding masks: the error from event.New, and the configuration
	// printed.
	goCfg := event.Config{KafkaOutputs: []kafka.Config{{Brokers: []string{secretBrokerUser + ":" + secretBrokerPass + "@127.0.0.1:9092"}, Topic: "events"}}}
	if rec, err := event.New(goCfg, event.Options{CloseTimeout: time.Second}); err == nil {
		rec.Close()
		t.Error("a Go configuration with credentials in a broker address started")
	} else {
		scanSecrets(t, "the error for a Go configuration", err.Error())
	}
	scanSecrets(t, "a Go Kafka configuration printed", fmt.Sprintf("%v %+v", goCfg.KafkaOutputs[0], goCfg.KafkaOutputs))

	r := newRig(t, cfg, event.Options{QueueSize: 256, MaxBatch: 16, CloseTimeout: 2 * time.Second})
	r.record(40)
	names := ""
	for _, st := range r.rec.Stats() {
		names += st.Name + "\n"
	}
	scanSecrets(t, "output names (Stats)", names)
	if len(r.rec.Stats()) != 6 {
		t.Fatalf("%d outputs running, want 6:\n%s", len(r.rec.Stats()), names)
	}
	// Wait for the webhook outputs to have failed everything, so that
	// their delivery errors are in the log.
	for _, st := range r.rec.Stats()[:4] {
		r.settle(st.Name)
	}
	waitFor(t, "the SASL failure to be logged", func() bool { return strings.Contains(r.logs.String(), "cannot connect") })
	_, err = r.close()
	if err == nil {
		t.Error("Close gave up on the Kafka buffers without an error")
	} else {
		scanSecrets(t, "the Close error", err.Error())
	}
	scanSecrets(t, "the debug log", r.logs.String())
	scanSecrets(t, "metric label values", labelValues(t, r.reg))
	for _, want := range []string{"HTTP 503", "HTTP 401", "connection refused", "SASL"} {
		if !strings.Contains(r.logs.String(), want) {
			t.Errorf("the log never mentions %q: the failure paths this test scans did not run", want)
		}
	}

	// Delivery errors, as a sink reports them (the recorder counts them
	// but does not keep them): every webhook and Kafka output built
	// directly against the same failing destinations.
	for i, wc := range cfg.WebhookOutputs {
		rep := sinktest.NewReporter[int]()
		env := sink.Env[int]{Reporter: rep, CloseTimeout: time.Second, Logger: r.opts.Logger}
		s, err := webhook.New(wc, env)
		if err != nil {
			t.Fatalf("webhook_outputs[%d]: %v", i, err)
		}
		s.Deliver(sinktest.Messages(0, 3))
		rep.WaitTotal(t, 3, wait)
		if err := s.Close(); err != nil {
			scanSecrets(t, "a webhook Close error", err.Error())
		}
		scanSecrets(t, "the webhook output's name", s.Name())
		if len(rep.Errors()) == 0 {
			t.Errorf("webhook_outputs[%d] reported no delivery errors", i)
		}
		for _, e := range rep.Errors() {
			scanSecrets(t, "a webhook delivery error", e.Error())
			scanSecrets(t, "a webhook delivery error (%+v)", fmt.Sprintf("%+v", e))
		}
	}
	for i, kc := range cfg.KafkaOutputs {
		rep := sinktest.NewReporter[int]()
		env := sink.Env[int]{Reporter: rep, CloseTimeout: 2 * time.Second, Logger: r.opts.Logger}
		s, err := kafka.New(kc, env)
		if err != nil {
			t.Fatalf("kafka_outputs[%d]: %v", i, err)
		}
		s.Deliver(sinktest.Messages(0, 3))
		if err := s.Close(); err != nil {
			scanSecrets(t, "a Kafka Close error", err.Error())
		}
		scanSecrets(t, "the Kafka output's name", s.Name())
		if len(rep.Errors()) == 0 {
			t.Errorf("kafka_outputs[%d] reported no errors", i)
		}
		for _, e := range rep.Errors() {
			scanSecrets(t, "a Kafka delivery error", e.Error())
		}
	}
	scanSecrets(t, "the debug log of the directly built sinks", r.logs.String())

	// Stop the destinations and wait for every goroutine the test
	// started to end, so that a straggler fails this test rather than
	// the package's leak check.
	kf.Close()
	rx503.stop()
	rx401.stop()
	waitFor(t, "every goroutine of the test to end", func() bool { return goleak.Find(baseline...) == nil })
}
