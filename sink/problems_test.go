package sink

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// JoinProblems lists the first MaxProblems problems, however they are
// nested, and counts the rest, adding counts it is given.
func TestJoinProblems(t *testing.T) {
	var errs []error
	for i := range 25 {
		errs = append(errs, Errorf(fmt.Sprintf("f%d", i), "bad"))
	}
	nested := AtPath("kafka_outputs[0]", errors.Join(errs[:10]...))
	got := JoinProblems(nested, errors.Join(errs[10:]...), &MoreProblems{N: 7})
	lines := strings.Split(got.Error(), "\n")
	if len(lines) != MaxProblems+1 || lines[0] != "kafka_outputs[0].f0: bad" || lines[10] != "f10: bad" || lines[MaxProblems] != "and 12 more problems" {
		t.Fatalf("got:\n%v", got)
	}
	if one := JoinProblems(errors.Join(errs[:MaxProblems+1]...)); !strings.HasSuffix(one.Error(), "\nand 1 more problem") {
		t.Errorf("one more: %v", one)
	}
	if JoinProblems() != nil || JoinProblems(nil, nil) != nil {
		t.Error("no problems is not nil")
	}
}

// JoinUnreported leaves out what a later check says again at, or below,
// a path already reported, and nothing else.
func TestJoinUnreported(t *testing.T) {
	reported := errors.Join(Errorf("url", "must be a string, got a list"), Errorf("event_types[1]", "must be a string, got a mapping"), errors.New("yaml: something"))
	more := errors.Join(
		Errorf("url", "one of url and url_file is required"), // at a reported path
		Errorf("event_types[1]", `unknown event type ""`),    // at a reported path
		Errorf("event_types[10]", `unknown event type ""`),   // not below event_types[1]
		Errorf("urls", "unknown"),                            // not below url
		errors.New("yaml: something"),                        // said already
		errors.New("yaml: else"),
	)
	got := JoinUnreported(reported, more)
	want := "url: must be a string, got a list\nevent_types[1]: must be a string, got a mapping\nyaml: something\n" +
		"event_types[10]: unknown event type \"\"\nurls: unknown\nyaml: else"
	if got == nil || got.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", got, want)
	}
	below := JoinUnreported(Errorf("tls_config", "bad"), Errorf("tls_config.max_version", "lower"))
	if below.Error() != "tls_config: bad" {
		t.Errorf("below a reported path: %v", below)
	}
	if JoinUnreported(nil, nil) != nil || JoinUnreported(reported, nil) != reported {
		t.Error("nothing to add changed the error")
	}
}
