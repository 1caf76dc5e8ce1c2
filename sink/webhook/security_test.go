package webhook_test

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// Planted secrets: distinctive so that a leak cannot hide and an
// accidental match is impossible.
const (
	urlPassword   = "URLPASS-7f3a9c"
	queryToken    = "QUERYTOKEN-51be0d"
	fragment      = "FRAGMENT-c0ffee"
	basicPassword = "BASICPASS-9d2e44"
	bearerToken   = "BEARER-TOKEN-a81f07"
	filePassword  = "FILEPASS-3b7c19"
	fileToken     = "FILETOKEN-6e0d52"
)

var planted = []string{urlPassword, queryToken, fragment, basicPassword, bearerToken, filePassword, fileToken}

func assertNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, s := range planted {
		if strings.Contains(text, s) {
			t.Errorf("%s leaks %q:\n%s", what, s, text)
		}
	}
}

// secretURL puts a password, a query token and a fragment on a receiver
// URL.
func secretURL(base, path string, userinfo bool) string {
	if userinfo {
		base = strings.Replace(base, "http://", "http://alice:"+urlPassword+"@", 1)
	}
	return base + path + "?token=" + queryToken + "&x=1#" + fragment
}

func TestSecretsNeverLeak(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "/reject":
			w.WriteHeader(http.StatusForbidden)
		case "/hang":
			hang(release)(0, w, r)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	down, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downURL := "http://" + down.Addr().String()
	down.Close()

	logger, lg := newLogs()
	type output struct {
		name       string
		base, path string
		http       *commoncfg.HTTPClientConfig
		timeout    time.Duration
		delivered  int
	}
	basic := &commoncfg.HTTPClientConfig{BasicAuth: &commoncfg.BasicAuth{Username: "bob", Password: commoncfg.Secret(basicPassword)}}
	bearer := &commoncfg.HTTPClientConfig{Authorization: &commoncfg.Authorization{Type: "Bearer", Credentials: commoncfg.Secret(bearerToken)}}
	outputs := []output{
		{name: "url userinfo, 500", base: rc.URL(), path: "/fail"},
		{name: "basic auth, 403", base: rc.URL(), path: "/reject", http: basic},
		{name: "bearer, 500", base: rc.URL(), path: "/fail", http: bearer},
		{name: "bearer, ok", base: rc.URL(), path: "/ok", http: bearer, delivered: 2},
		{name: "refused", base: downURL, path: "/x"},
		{name: "timeout", base: rc.URL(), path: "/hang", http: bearer, timeout: 200 * time.Millisecond},
		{name: "closed mid-flight", base: rc.URL(), path: "/hang", http: basic, timeout: webhook.TimeoutLimit},
	}

	var texts []string
	// Credentials in both places are refused, without showing either.
	both := config(t, secretURL(rc.URL(), "/x", true))
	both.HTTPConfig = basic
	if err := both.Validate(); err == nil {
		t.Error("Validate accepted URL userinfo together with http_config basic_auth")
	} else {
		texts = append(texts, err.Error())
	}
	for i, o := range outputs {
		// Credentials live in the URL or in http_config, never both
		// (Validate rejects that).
		cfg := config(t, secretURL(o.base, o.path, o.http == nil))
		cfg.HTTPConfig = o.http
		cfg.MaxRetries = 2
		cfg.Timeout = model.Duration(o.timeout)
		texts = append(texts, fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg))
		y, err := yaml.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(y), string(j))

		s, rep := start(t, cfg, sink.Env[int]{Logger: logger, CloseTimeout: 300 * time.Millisecond})
		texts = append(texts, s.Name())
		if want := "webhook:" + o.base + o.path; s.Name() != want {
			t.Errorf("%s: Name %q, want %q", o.name, s.Name(), want)
		}
		before := len(rc.requests())
		s.Deliver(sinktest.Messages(i*10, 2))
		if o.name == "closed mid-flight" {
			rc.waitRequests(t, before+2)
		} else {
			rep.WaitTotal(t, 2, waitTimeout)
		}
		if err := s.Close(); err != nil {
			texts = append(texts, err.Error())
		}
		conserve(t, rep, 2, o.delivered, 0, 2-o.delivered)
		for _, e := range rep.Errors() {
			texts = append(texts, e.Error(), fmt.Sprintf("%+v %#v", e, e))
		}
	}
	texts = append(texts, lg.String())
	for i, text := range texts {
		assertNoSecrets(t, fmt.Sprintf("text %d", i), text)
	}
	// The logs did cover what matters: attempts, failures and their causes.
	for _, want := range []string{"webhook attempt", "webhook attempt failed", "webhook delivery failed",
		"status=500", "status=403", "connection refused", "Client.Timeout", "webhook output closed"} {
		if !strings.Contains(lg.String(), want) {
			t.Errorf("debug logs lack %q", want)
		}
	}

	// The secrets were really in use: the receiver saw them.
	var sawURLPass, sawBasic, sawBearer, sawQuery bool
	for _, r := range rc.requests() {
		sawURLPass = sawURLPass || (r.hasPW && r.pass == urlPassword)
		sawBasic = sawBasic || (r.hasPW && r.pass == basicPassword)
		sawBearer = sawBearer || r.header.Get("Authorization") == "Bearer "+bearerToken
		sawQuery = sawQuery || strings.Contains(r.query, "token="+queryToken)
	}
	if !sawURLPass || !sawBasic || !sawBearer || !sawQuery {
		t.Errorf("receiver saw url password %v, basic auth %v, bearer %v, query token %v; want all",
			sawURLPass, sawBasic, sawBearer, sawQuery)
	}
}

func TestInvalidURLErrorsMaskSecrets(t *testing.T) {
	for _, raw := range []string{
		"ftp://alice:" + urlPassword + "@example.com/x?token=" + queryToken + "#" + fragment,
		"http://alice:" + urlPassword + "@[::1/x?token=" + queryToken,
		"http://alice:" + urlPassword + "@/x?token=" + queryToken,
		"alice:" + urlPassword + "@example.com?token=" + queryToken,
		"http://alice:" + urlPassword + "@example.com:port/?token=" + queryToken,
	} {
		_, err := webhook.ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL accepted an invalid URL")
			continue
		}
		assertNoSecrets(t, "ParseURL error", err.Error())
		var fe *sink.FieldError
		if !errors.As(err, &fe) || fe.Path != "url" {
			t.Errorf("error %v does not name the url field", err)
		}
		_, err = decode(t, "url: '"+raw+"'\n")
		if err == nil {
			t.Errorf("YAML accepted an invalid URL")
			continue
		}
		assertNoSecrets(t, "YAML error", err.Error())
		if !strings.HasPrefix(err.Error(), "url: ") {
			t.Errorf("YAML error %q does not name the url field", err)
		}
	}
}

func TestTLSVerifiesAgainstConfiguredCA(t *testing.T) {
	rc := newUnstartedReceiver(t, nil)
	rc.srv.StartTLS()
	t.Cleanup(rc.srv.Close)

	// Without the CA the self-signed certificate is refused, and not retried.
	s, rep := start(t, config(t, rc.URL()), sink.Env[int]{})
	s.Deliver(sinktest.Messages(0, 1))
	rep.WaitTotal(t, 1, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 1, 0, 0, 1)
	de := deliveryErrors(t, rep.Errors())
	if len(de) != 1 || de[0].Attempts != 1 || !strings.Contains(de[0].Error(), "certificate") {
		t.Errorf("errors %v, want one certificate failure after 1 attempt", rep.Errors())
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver got %d requests over an unverified connection", n)
	}

	// With ca_file, configured the way users write it, delivery works.
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rc.srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("url: %s/tls\nhttp_config:\n  tls_config:\n    ca_file: %s\n", rc.URL(), caFile)
	cfg, err := decode(t, src)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	s, rep = start(t, cfg, sink.Env[int]{})
	msgs := sinktest.Messages(0, 3)
	s.Deliver(msgs)
	rep.WaitTotal(t, 3, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 3, 3, 0, 0)
	if n := len(rc.requests()); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}

	// A CA file that is missing fails New, naming the field.
	cfg.HTTPConfig.TLSConfig.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	_, err = webhook.New(cfg, sinktest.Env[int](t, sinktest.NewReporter[int]()))
	var fe *sink.FieldError
	if !errors.As(err, &fe) || fe.Path != "http_config" {
		t.Errorf("New with a missing CA file: %v, want an http_config error", err)
	}
}

func TestURLFile(t *testing.T) {
	rc := newReceiver(t, nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "url")
	withSecrets := strings.Replace(rc.URL(), "http://", "http://carol:"+filePassword+"@", 1) + "/from-file?token=" + fileToken
	if err := os.WriteFile(file, []byte("\n  "+withSecrets+" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := decode(t, "url_file: "+file+"\n")
	if err != nil {
		t.Fatal(err)
	}
	logger, lg := newLogs()
	s, rep := start(t, cfg, sink.Env[int]{Logger: logger})
	if want := "webhook:" + rc.URL() + "/from-file"; s.Name() != want {
		t.Errorf("Name %q, want %q", s.Name(), want)
	}
	msgs := sinktest.Messages(0, 2)
	s.Deliver(msgs)
	rep.WaitDelivered(t, 2, waitTimeout)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conserve(t, rep, 2, 2, 0, 0)
	for _, r := range rc.requests() {
		if r.path != "/from-file" || r.query != "token="+fileToken || r.pass != filePassword {
			t.Errorf("request to %s?%s as %s, want the file's URL and credentials", r.path, r.query, r.user)
		}
	}
	assertNoSecrets(t, "Name", s.Name())
	assertNoSecrets(t, "logs", lg.String())

	// Unreadable and invalid files fail New with a url_file error that
	// shows the path, never the contents' secrets.
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("ftp://carol:"+filePassword+"@example.com/?token="+fileToken), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing"), bad} {
		_, err := webhook.New(webhook.Config{URLFile: path}, sinktest.Env[int](t, sinktest.NewReporter[int]()))
		var fe *sink.FieldError
		if !errors.As(err, &fe) || fe.Path != "url_file" || !strings.Contains(err.Error(), path) {
			t.Errorf("New with url_file %s: %v, want a url_file error naming the path", path, err)
			continue
		}
		assertNoSecrets(t, "url_file error", err.Error())
	}
}
