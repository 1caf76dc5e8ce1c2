package kafka_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

const (
	saslUser = "recorder"
	// planted is the password the tests look for wherever it must not be.
	planted = "pl4nted-S3cret-must-not-leak"
)

func consumerSASL(mech, user, pass string) sasl.Mechanism {
	switch mech {
	case kafka.SASLScramSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case kafka.SASLScramSHA512:
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	}
	return plain.Auth{User: user, Pass: pass}.AsMechanism()
}

// TestSASL authenticates with each mechanism against a kfake broker that
// requires it, from the password and from a password file; with a wrong
// password the output keeps retrying and fails its buffer at Close. The
// password never shows in the name, logs, errors or metric labels.
func TestSASL(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte(planted+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mech := range []string{kafka.SASLPlain, kafka.SASLScramSHA256, kafka.SASLScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			kf := kafkatest.StartFake(t, kfake.EnableSASL(), kfake.Superuser(mech, saslUser, planted), kfake.SeedTopics(1, "events"))
			for i, auth := range []kafka.SASLConfig{
				{Mechanism: mech, Username: saslUser, Password: planted},
				{Mechanism: mech, Username: saslUser, PasswordFile: pwFile},
			} {
				h := newHarness(t)
				s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", SASL: &auth})
				deliver(s, sinktest.Messages(i*20, 20), 5)
				h.rep.WaitDelivered(t, 20, wait)
				if err := h.closeAll(t, s, 20); err != nil {
					t.Fatalf("Close: %v", err)
				}
				checkNoLeak(t, h, s, nil)
			}
			got := kafkatest.ReadTopic(t, kf.ListenAddrs(), "events", kgo.SASL(consumerSASL(mech, saslUser, planted)))
			if !slices.Equal(seqs(t, got.Records), span(0, 40)) {
				t.Fatalf("read back %v", seqs(t, got.Records))
			}
		})
		t.Run(mech+"/wrong password", func(t *testing.T) {
			kf := kafkatest.StartFake(t, kfake.EnableSASL(), kfake.Superuser(mech, saslUser, "the-real-password"), kfake.SeedTopics(1, "events"))
			h := newHarness(t)
			h.env.CloseTimeout = 300 * time.Millisecond
			s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events",
				SASL: &kafka.SASLConfig{Mechanism: mech, Username: saslUser, Password: planted}})
			deliver(s, sinktest.Messages(0, 5), 5)
			// kfake drops the connection on a failed authentication (a real
			// broker answers SASL_AUTHENTICATION_FAILED first), so the
			// client sees EOF.
			waitUntil(t, "a failed connection attempt in the log", func() bool {
				return strings.Contains(h.logs.String(), "cannot connect")
			})
			err := h.closeAll(t, s, 5)
			if _, _, f := h.rep.Counts(); f != 5 {
				t.Fatalf("failed %d, want 5", f)
			}
			if errs := h.rep.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "not connected to the brokers") {
				t.Fatalf("failure reasons %v, want not connected", errs)
			}
			checkNoLeak(t, h, s, err)
		})
	}
}

// checkNoLeak fails if the planted password appears anywhere the output
// shows to people or monitoring.
func checkNoLeak(t *testing.T, h *harness, s *kafka.Sink[int], closeErr error) {
	t.Helper()
	where := map[string]string{"Name()": s.Name(), "logs": h.logs.String()}
	if closeErr != nil {
		where["Close error"] = closeErr.Error()
	}
	for i, err := range h.rep.Errors() {
		where["reported error "+string(rune('0'+i))] = err.Error()
	}
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetValue())
			}
		}
	}
	if len(labels) == 0 {
		t.Fatal("no metric labels gathered; the check would prove nothing")
	}
	where["metric labels"] = strings.Join(labels, " ")
	for what, text := range where {
		if strings.Contains(text, planted) {
			t.Errorf("the password appears in %s", what)
		}
	}
}

// TestTLS runs a kfake broker with a certificate from a test CA. Default
// verification rejects it without the CA, accepts it with ca_file, and
// insecure_skip_verify turns verification off.
func TestTLS(t *testing.T) {
	serverCfg, caPEM := testCerts(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	kf := kafkatest.StartFake(t, kfake.TLS(serverCfg), kfake.SeedTopics(1, "events"))

	t.Run("no CA", func(t *testing.T) {
		h := newHarness(t)
		h.env.CloseTimeout = 300 * time.Millisecond
		s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", TLSConfig: &commoncfg.TLSConfig{}})
		deliver(s, sinktest.Messages(0, 5), 5)
		waitUntil(t, "a rejected certificate in the log", func() bool {
			return strings.Contains(h.logs.String(), "certificate signed by unknown authority")
		})
		h.closeAll(t, s, 5)
		if _, _, f := h.rep.Counts(); f != 5 {
			t.Fatalf("failed %d, want 5", f)
		}
	})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	for i, tc := range []*commoncfg.TLSConfig{{CAFile: caFile}, {InsecureSkipVerify: true}} {
		h := newHarness(t)
		s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", TLSConfig: tc})
		deliver(s, sinktest.Messages(i*10, 10), 5)
		h.rep.WaitDelivered(t, 10, wait)
		h.closeAll(t, s, 10)
	}
	got := kafkatest.ReadTopic(t, kf.ListenAddrs(), "events", kgo.DialTLSConfig(&tls.Config{RootCAs: pool}))
	if !slices.Equal(seqs(t, got.Records), span(0, 20)) {
		t.Fatalf("read back %v", seqs(t, got.Records))
	}
}

// testCerts makes a CA and a server certificate for 127.0.0.1 signed by
// it, and returns the server's TLS configuration and the CA in PEM.
func testCerts(t *testing.T) (*tls.Config, []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "eventrecorder test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kfake"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
	return cfg, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}
