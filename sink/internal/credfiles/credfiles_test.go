package credfiles

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	commoncfg "github.com/prometheus/common/config"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRefusesWhatCannotBeReadBounded(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(small, []byte("not checked for content here"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxBytes+1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	hc := &commoncfg.HTTPClientConfig{
		TLSConfig:     commoncfg.TLSConfig{CAFile: small, CertFile: big},
		Authorization: &commoncfg.Authorization{CredentialsFile: fifo},
		BasicAuth:     &commoncfg.BasicAuth{PasswordFile: "/dev/zero"},
		OAuth2:        &commoncfg.OAuth2{ClientSecretFile: filepath.Join(dir, "missing"), TLSConfig: commoncfg.TLSConfig{KeyFile: big}},
	}
	err := HTTP("http_config", hc)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`http_config.tls_config.cert_file: "` + big + `" holds 4194305 bytes, more than the 4194304 (4 MiB) such a file may`,
		`http_config.authorization.credentials_file: "` + fifo + `" is not a regular file but a named pipe`,
		`http_config.basic_auth.password_file: "/dev/zero" is not a regular file but a character device`,
		`http_config.oauth2.tls_config.key_file: "` + big + `" holds`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 4 {
		t.Errorf("%d problems, want 4 (the small CA file and the missing file are not problems here):\n%s", n, msg)
	}
	if err := TLS("tls_config", &commoncfg.TLSConfig{CAFile: small}); err != nil {
		t.Errorf("a small regular file: %v", err)
	}
	if err := TLS("tls_config", &commoncfg.TLSConfig{KeyFile: "/dev/zero"}); err == nil || !strings.HasPrefix(err.Error(), "tls_config.key_file: ") {
		t.Errorf("TLS: %v, want an error at tls_config.key_file", err)
	}
	if HTTP("x", nil) != nil || TLS("x", nil) != nil {
		t.Error("nil configurations have no files to refuse")
	}
}
