package sink_test

import (
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/sink"
)

func TestEventIDText(t *testing.T) {
	id := sink.EventID{0x01, 0x8f, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07}
	const want = "018f3a4b-5c6d-7e8f-90a1-b2c3d4e5f607"
	if got := id.String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if got, _ := id.AppendText([]byte("x")); string(got) != "x"+want {
		t.Fatalf("AppendText = %q", got)
	}
	for _, s := range []string{want, strings.ToUpper(want)} {
		back, err := sink.ParseEventID(s)
		if err != nil || back != id {
			t.Fatalf("ParseEventID(%q) = %s, %v; want %s", s, back, err, id)
		}
	}
	if (sink.EventID{}).String() != "" {
		t.Fatal("the zero id has text")
	}
	if zero, err := sink.ParseEventID(""); err != nil || !zero.IsZero() {
		t.Fatalf(`ParseEventID("") = %s, %v`, zero, err)
	}
}

func TestParseEventIDErrors(t *testing.T) {
	for _, s := range []string{
		"018f3a4b5c6d7e8f90a1b2c3d4e5f607",       // no hyphens
		"018f3a4b-5c6d-7e8f-90a1-b2c3d4e5f60",    // short
		"018f3a4b-5c6d-7e8f-90a1_b2c3d4e5f607",   // wrong separator
		"018f3a4b-5c6d-7e8f-90a1-b2c3d4e5f6g7",   // not hex
		"{018f3a4b-5c6d-7e8f-90a1-b2c3d4e5f607}", // braces
	} {
		_, err := sink.ParseEventID(s)
		if err == nil || !strings.Contains(err.Error(), `"`+s+`"`) {
			t.Errorf("ParseEventID(%q): error %v, want one naming the value", s, err)
		}
	}
}
