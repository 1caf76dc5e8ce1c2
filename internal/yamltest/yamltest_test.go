package yamltest

import (
	"errors"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEmbed(t *testing.T) {
	if got, want := Embed("a: 1\nb:\n- x\n"), "before: b\nfield:\n    a: 1\n    b:\n    - x\nafter: 1\n"; got != want {
		t.Errorf("Embed = %q, want %q", got, want)
	}
	if got := unembedLines("yaml: line 5: bad\n  line 12: worse"); got != "yaml: line 3: bad\n  line 10: worse" {
		t.Errorf("unembedLines = %q", got)
	}
	for doc, want := range map[string]bool{"a: 1": true, "[1, {b: c}]": true, "": true, "0\r\r0": false, "a: [": false} {
		if got := Embeddable(doc); got != want {
			t.Errorf("Embeddable(%q) = %v, want %v", doc, got, want)
		}
	}
}

func TestAgreeReportsEveryDifference(t *testing.T) {
	ok := outcome[int]{"a", 1, nil}
	for _, outs := range [][]outcome[int]{
		{ok, {"b", 2, nil}},
		{ok, {"b", 1, errors.New("x")}},
		{{"a", 0, errors.New("x")}, {"b", 0, errors.New("y")}},
	} {
		if agree(outs) == nil {
			t.Errorf("%v agree", outs)
		}
	}
	if err := agree([]outcome[int]{ok, {"b", 1, nil}}); err != nil {
		t.Errorf("equal outcomes: %v", err)
	}
}

// Decode compares every way: a type whose UnmarshalYAML honours the
// caller's strictness disagrees with itself.
func TestDecodeCatchesStrictnessLeaks(t *testing.T) {
	outs := decodeEveryWay[lax]("name: a\nextra: 1", true)
	if err := agree(outs); err == nil {
		t.Fatal("a type that decodes with the caller's strictness passed")
	}
	if len(outs) != 8 {
		t.Errorf("%d ways, want 8 (2 drivers, strict or not, whole or embedded)", len(outs))
	}
}

type lax struct{ Name string }

func (l *lax) UnmarshalYAML(unmarshal func(any) error) error {
	type plain lax
	return unmarshal((*plain)(l))
}
