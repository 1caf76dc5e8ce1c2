// Package credfiles bounds the files prometheus/common reads by itself for
// an output's HTTP client or TLS configuration (ca_file, cert_file,
// key_file, password_file, credentials_file, ...). It reads them with no
// size limit, so a configuration naming /dev/zero, a FIFO or a runaway
// log would make it read without end; checking them when the
// configuration loads turns that into a clear error at the field.
//
// The check is at load time: a file that grows past the limit later is
// read by prometheus/common as it is, which is why the limit is
// generous rather than exact.
package credfiles

import (
	"errors"
	"os"

	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/sink"
)

// MaxBytes bounds each such file. CA bundles are the largest of them
// (Debian's whole bundle is about 220 KiB); 4 MiB leaves room for any
// real one and still bounds what a mistake can cost.
const MaxBytes = 4 << 20

// file is one configured path, at its field as the user wrote it.
type file struct{ field, path string }

// TLS checks the files of a TLS configuration whose fields are at
// prefix (such as "http_config.tls_config").
func TLS(prefix string, t *commoncfg.TLSConfig) error {
	if t == nil {
		return nil
	}
	return check(tlsFiles(prefix, t)...)
}

// HTTP checks the files of an HTTP client configuration at prefix (such
// as "http_config"), its TLS configuration's and its OAuth2's included.
func HTTP(prefix string, hc *commoncfg.HTTPClientConfig) error {
	if hc == nil {
		return nil
	}
	files := tlsFiles(prefix+".tls_config", &hc.TLSConfig)
	files = append(files, file{prefix + ".bearer_token_file", hc.BearerTokenFile})
	if b := hc.BasicAuth; b != nil {
		files = append(files, file{prefix + ".basic_auth.username_file", b.UsernameFile},
			file{prefix + ".basic_auth.password_file", b.PasswordFile})
	}
	if a := hc.Authorization; a != nil {
		files = append(files, file{prefix + ".authorization.credentials_file", a.CredentialsFile})
	}
	if o := hc.OAuth2; o != nil {
		files = append(files, file{prefix + ".oauth2.client_secret_file", o.ClientSecretFile},
			file{prefix + ".oauth2.client_certificate_key_file", o.ClientCertificateKeyFile})
		files = append(files, tlsFiles(prefix+".oauth2.tls_config", &o.TLSConfig)...)
	}
	return check(files...)
}

func tlsFiles(prefix string, t *commoncfg.TLSConfig) []file {
	return []file{{prefix + ".ca_file", t.CAFile}, {prefix + ".cert_file", t.CertFile}, {prefix + ".key_file", t.KeyFile}}
}

// check refuses each named file that is not a regular file or is larger
// than MaxBytes. A file that cannot be stat'ed is left to
// prometheus/common, whose own error names it when the client is built.
func check(files ...file) error {
	var errs []error
	for _, f := range files {
		if f.path == "" {
			continue
		}
		fi, err := os.Stat(f.path)
		switch {
		case err != nil:
		case !fi.Mode().IsRegular():
			errs = append(errs, sink.Errorf(f.field, "%q is not a regular file but %s", f.path, kind(fi.Mode())))
		case fi.Size() > MaxBytes:
			errs = append(errs, sink.Errorf(f.field, "%q holds %d bytes, more than the %d (%d MiB) such a file may", f.path, fi.Size(), MaxBytes, MaxBytes>>20))
		}
	}
	return errors.Join(errs...)
}

// kind names what a path that is not a regular file is.
func kind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	}
	return "an irregular file"
}
