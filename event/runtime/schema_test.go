package runtime

import (
	"strings"
	"testing"
	"time"
)

// The built-in kinds' names are defined by their sinks; the Kind*
// constants are what facades export and what Config's lists are matched
// by, so they must be the same strings.
func TestBuiltinKindNamesAreTheSinks(t *testing.T) {
	var got []string
	for _, k := range builtinKinds[*int]() {
		got = append(got, k.Name())
	}
	want := []string{KindFile, KindWebhook, KindKafka, KindStdout}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("built-in kinds are %v, constants say %v", got, want)
	}
	for _, name := range want {
		if !isBuiltin(name) {
			t.Errorf("isBuiltin(%q) is false", name)
		}
	}
}

// Bind refuses a description that lacks a part or repeats an event type,
// naming each problem, instead of failing on the first event.
func TestBindRejectsAnIncompleteSchema(t *testing.T) {
	s := Schema[*int, *string]{
		Name:       "test.v1",
		EventTypes: []string{"a", "a", EventTypeUnknown},
		TypeName:   func(*string) string { return "a" },
		Time:       func(*int) time.Time { return time.Time{} },
		ID:         func(*int) string { return "" }, // without SetID
	}
	defer func() {
		msg, _ := recover().(error)
		if msg == nil {
			t.Fatal("Bind accepted an incomplete schema")
		}
		for _, want := range []string{`schema "test.v1"`, "missing Envelope, Data, Instance, AppendJSON, AppendProtobuf", `event type "a"`, `event type "unknown"`, "ID and SetID must be set together"} {
			if !strings.Contains(msg.Error(), want) {
				t.Errorf("Bind's panic %q lacks %q", msg, want)
			}
		}
	}()
	Bind(s)
}
