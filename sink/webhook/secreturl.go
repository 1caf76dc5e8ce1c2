package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/eventrecorder/eventrecorder/sink"
)

// secretToken is what a SecretURL shows instead of itself, the same
// placeholder Prometheus uses for secrets, so a marshalled configuration
// can be read back (the placeholder then fails validation rather than
// silently posting to nowhere).
const secretToken = "<secret>"

var quoted = regexp.MustCompile(`"[^"]*"`)

// SecretURL is the webhook endpoint. Webhook URLs often carry credentials
// in their userinfo or query, so a SecretURL never prints, marshals or
// formats itself in full: String, GoString, MarshalYAML and MarshalJSON
// all give "<secret>". Use Redacted for a form that is safe to show.
type SecretURL struct {
	u *url.URL
}

// ParseURL parses s as a webhook URL: http or https with a host. The
// error names the field "url" and shows s with userinfo, query and
// fragment masked.
func ParseURL(s string) (*SecretURL, error) {
	u, err := parseURL(s)
	if err != nil {
		return nil, sink.Errorf("url", "%v", err)
	}
	return &SecretURL{u: u}, nil
}

// parseURL returns errors without a field so that url and url_file can
// share it.
func parseURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("is empty")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error repeats the whole input; keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		// Its reasons quote pieces of the input ("invalid port \":pw\"
		// after host" for a malformed userinfo): drop the quotes' contents.
		reason := strings.Join(strings.Fields(quoted.ReplaceAllString(err.Error(), "")), " ")
		return nil, fmt.Errorf("cannot parse %q: %s", maskRaw(s), reason)
	}
	if err := checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func checkURL(u *url.URL) error {
	if u.Opaque != "" {
		// "user:pass@host" parses as scheme "user": say nothing of it.
		return fmt.Errorf("%q is not an absolute http or https URL", maskURL(u))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q of %q is not http or https", u.Scheme, maskURL(u))
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host", maskURL(u))
	}
	// net/url takes any digits for a port; a dial would fail on every
	// event instead of the configuration at load.
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s of %q is not a number from 1 to 65535", p, maskURL(u))
		}
	}
	return nil
}

// URL returns a copy of the parsed URL, secrets included, for code that
// must send to it. Nil for a nil or placeholder SecretURL.
func (s *SecretURL) URL() *url.URL {
	if s == nil || s.u == nil {
		return nil
	}
	c := *s.u
	if c.User != nil {
		user := *c.User
		c.User = &user
	}
	return &c
}

// Redacted is the URL without userinfo, query and fragment: the form used
// in the output's Name.
func (s *SecretURL) Redacted() string {
	if s == nil || s.u == nil {
		return ""
	}
	return stripURL(s.u)
}

// String returns "<secret>" so that formatting a configuration never
// leaks the URL.
func (s *SecretURL) String() string { return secretToken }

// GoString returns "<secret>" for the same reason as String.
func (s *SecretURL) GoString() string { return secretToken }

// MarshalYAML implements yaml.Marshaler.
func (s *SecretURL) MarshalYAML() (any, error) {
	if s == nil {
		return nil, nil
	}
	return secretToken, nil
}

// UnmarshalYAML implements yaml.Unmarshaler. The "<secret>" placeholder
// decodes to an empty URL that Config.Validate rejects.
func (s *SecretURL) UnmarshalYAML(unmarshal func(any) error) error {
	var str string
	if err := unmarshal(&str); err != nil {
		var v any
		_ = unmarshal(&v)
		return sink.Errorf("url", "must be a string, got %s", sink.YAMLKind(v))
	}
	return s.set(str)
}

// MarshalJSON implements json.Marshaler.
func (s *SecretURL) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	return json.Marshal(secretToken)
}

// UnmarshalJSON implements json.Unmarshaler like UnmarshalYAML.
func (s *SecretURL) UnmarshalJSON(data []byte) error {
	var str string
	if err := json.Unmarshal(data, &str); err != nil {
		return sink.Errorf("url", "must be a string: %v", err)
	}
	return s.set(str)
}

func (s *SecretURL) set(str string) error {
	if str == secretToken {
		s.u = &url.URL{}
		return nil
	}
	p, err := ParseURL(str)
	if err != nil {
		return err
	}
	*s = *p
	return nil
}

// stripURL drops userinfo, query and fragment.
func stripURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.ForceQuery = false
	c.Fragment = ""
	c.RawFragment = ""
	return c.String()
}

// maskURL keeps the shape of u for error messages but hides userinfo,
// query and fragment.
func maskURL(u *url.URL) string { return maskRaw(u.String()) }

// maskRaw masks a string that may not even parse as a URL, by the
// module's one rule for addresses (sink.MaskAddress).
func maskRaw(s string) string { return sink.MaskAddress(s) }
