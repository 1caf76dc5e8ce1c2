package sink

import (
	"regexp"
	"strings"
)

// Masked is what stands in for a credential in names, logs and error
// messages: the same placeholder url.URL.Redacted uses for a password.
const Masked = "xxxxx"

// MaskAddress masks one destination as the user wrote it — a URL, or a
// scheme-less address such as a Kafka broker "host:port" — for quoting in
// an error message, whether or not it parses. It errs on the side of
// hiding: everything between the scheme and the last '@' (userinfo, even
// when a password holds '/', '?', '#' or '@'), then everything after the
// first '?' or '#' (query and fragment, where tokens go). The host, port
// and path are kept, because they are what tells the user which value is
// wrong.
//
// This and MaskURLsIn are the module's only masking rules; outputs use
// them rather than inventing their own.
func MaskAddress(s string) string {
	prefix := ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, s = s[:i+3], s[i+3:]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = Masked + s[i:]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + Masked
	}
	return prefix + s
}

// urlUserinfo matches the userinfo of a URL inside free text.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s"]*@`)

// MaskURLsIn masks the userinfo of every URL found in free text, such as
// an error from a library that quotes the URL it could not parse,
// password included. Unlike MaskAddress it leaves the rest of the text
// alone, so it suits messages whose wording is not ours.
func MaskURLsIn(text string) string {
	if !strings.Contains(text, "://") || !strings.Contains(text, "@") {
		// Most messages quote no URL; skip the regular expression,
		// which a document of many problems would run for each.
		return text
	}
	return urlUserinfo.ReplaceAllString(text, "${1}"+Masked+"@")
}
