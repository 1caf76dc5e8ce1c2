package sink_test

import (
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
)

func TestMaskAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:9092", "127.0.0.1:9092"},
		{"alice:SASLPW@127.0.0.1:9092", "xxxxx@127.0.0.1:9092"},
		{"SASLPW@kafka-1:9092", "xxxxx@kafka-1:9092"},
		{"a:p@ss@h:1", "xxxxx@h:1"}, // the last '@' ends the userinfo
		{"https://u:pw@host/path?token=t#f", "https://xxxxx@host/path?xxxxx"},
		{"http://u:p/w?x@host/p", "http://xxxxx@host/p"}, // a password holding '/' and '?'
		{"http://host/p#frag", "http://host/p#xxxxx"},
		{"", ""},
	} {
		if got := sink.MaskAddress(tc.in); got != tc.want {
			t.Errorf("MaskAddress(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskURLsIn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`parse "http://proxy:hunter2@[proxy/": missing ']' in host`, `parse "http://xxxxx@[proxy/": missing ']' in host`},
		{"two: https://a:b@x/ and ftp://c@y/", "two: https://xxxxx@x/ and ftp://xxxxx@y/"},
		{"no url: alice@example.com", "no url: alice@example.com"},
	} {
		if got := sink.MaskURLsIn(tc.in); got != tc.want {
			t.Errorf("MaskURLsIn(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
