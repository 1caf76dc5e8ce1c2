package reliability_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/goleak"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// selfSigned makes a certificate for 127.0.0.1 that signs itself, and
// writes it as a CA file.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "reliability test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, caFile
}

// TestTLSVerifiedByDefault runs each TLS-capable kind against a server
// with a self-signed certificate: without the CA every event fails and
// the error says why; with tls_config.ca_file every event is delivered.
func TestTLSVerifiedByDefault(t *testing.T) {
	cert, caFile := selfSigned(t)

	t.Run("webhook", func(t *testing.T) {
		var accepted atomic.Int64
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			accepted.Add(1)
		}))
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		for _, row := range []struct {
			name, httpConfig string
			ok               bool
		}{
			{"without the CA", "", false},
			{"with ca_file", fmt.Sprintf(", http_config: {tls_config: {ca_file: %q}}", caFile), true},
		} {
			t.Run(row.name, func(t *testing.T) {
				before := accepted.Load()
				cfg := mustLoad(t, fmt.Sprintf("webhook_outputs: [{url: %q, max_retries: 1%s}]", srv.URL+"/events", row.httpConfig))
				r := newRig(t, cfg, event.Options{CloseTimeout: 2 * time.Second})
				out := "webhook:" + srv.URL + "/events"
				r.record(10)
				c := r.settle(out)
				if row.ok && (c.Delivered != 10 || accepted.Load()-before != 10) {
					t.Errorf("%v; receiver accepted %d; want all 10 delivered", c, accepted.Load()-before)
				}
				if !row.ok {
					if c.Failed != 10 || accepted.Load() != before {
						t.Errorf("%v; receiver accepted %d; want all 10 failed and none received", c, accepted.Load()-before)
					}
					if !strings.Contains(r.logs.String(), "x509: certificate signed by unknown authority") {
						t.Errorf("the log does not say the certificate was not trusted")
					}
				}
				r.close()
				t.Logf("FIGURES tls webhook %s: %v", row.name, r.conserved(out))
			})
		}
		// The error a sink reports names the reason too.
		wc := mustLoad(t, fmt.Sprintf("webhook_outputs: [{url: %q, max_retries: 1}]", srv.URL)).WebhookOutputs[0]
		rep := sinktest.NewReporter[int]()
		s, err := webhook.New(wc, sink.Env[int]{Reporter: rep, CloseTimeout: time.Second})
		must(t, err)
		s.Deliver(sinktest.Messages(0, 1))
		rep.WaitTotal(t, 1, wait)
		must(t, s.Close())
		if errs := rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "x509: certificate signed by unknown authority") {
			t.Errorf("delivery errors %v, want the unknown authority named", errs)
		}
	})

	t.Run("kafka", func(t *testing.T) {
		baseline := append(leakcheck.Options(), goleak.IgnoreCurrent())
		kf := kafkatest.StartFake(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}}), kfake.SeedTopics(1, "events"))
		addr := kf.ListenAddrs()[0]
		out := "kafka:" + addr + "/events"
		pool := x509.NewCertPool()
		pem, err := os.ReadFile(caFile)
		must(t, err)
		pool.AppendCertsFromPEM(pem)

		t.Run("without the CA", func(t *testing.T) {
			cfg := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events, tls_config: {}}]", addr))
			r := newRig(t, cfg, event.Options{CloseTimeout: 2 * time.Second})
			r.record(10)
			waitFor(t, "a failed TLS handshake to be logged", func() bool {
				return strings.Contains(r.logs.String(), "x509: certificate signed by unknown authority")
			})
			_, err := r.close()
			c := r.conserved(out)
			if c.Delivered != 0 || c.Failed != 10 {
				t.Errorf("%v; want the 10 buffered events failed at Close", c)
			}
			if err == nil || !strings.Contains(err.Error(), "gave up on 10 messages") {
				t.Errorf("Close error %v, want it to say it gave up on 10", err)
			}
			t.Logf("FIGURES tls kafka without the CA: %v", c)
		})
		t.Run("with ca_file", func(t *testing.T) {
			cfg := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events, tls_config: {ca_file: %q}}]", addr, caFile))
			r := newRig(t, cfg, event.Options{CloseTimeout: 2 * time.Second})
			r.record(10)
			c := r.settle(out)
			if c.Delivered != 10 {
				t.Errorf("%v; want all 10 delivered", c)
			}
			r.close()
			got := kafkatest.ReadTopic(t, []string{addr}, "events", kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
			if len(got.Records) != 10 {
				t.Errorf("the topic holds %d records, want 10", len(got.Records))
			}
			t.Logf("FIGURES tls kafka with ca_file: %v", r.conserved(out))
		})
		// The error a sink reports at Close names the reason.
		kc := mustLoad(t, fmt.Sprintf("kafka_outputs: [{brokers: [%q], topic: events, tls_config: {}}]", addr)).KafkaOutputs[0]
		rep := sinktest.NewReporter[int]()
		s, err := kafka.New(kc, sink.Env[int]{Reporter: rep, CloseTimeout: 2 * time.Second})
		must(t, err)
		s.Deliver(sinktest.Messages(0, 1))
		_ = s.Close()
		if errs := rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "x509: certificate signed by unknown authority") {
			t.Errorf("failure reasons %v, want the unknown authority named", errs)
		}

		// Stop the destinations and wait for every goroutine the test
		// started to end, so that a straggler fails this test rather than
		// the package's leak check.
		kf.Close()
		waitFor(t, "every goroutine of the test to end", func() bool { return goleak.Find(baseline...) == nil })
	})
}
