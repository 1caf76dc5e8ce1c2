package testtool

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRequireFindsInstalledTool(t *testing.T) {
	// sh is part of every Debian base system, so this cannot skip.
	p := Require(t, "sh")
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		t.Fatalf("Require(sh) = %q, stat err %v", p, err)
	}
}

func TestLookupMissingTool(t *testing.T) {
	if p, err := Lookup("eventrecorder-no-such-tool"); err == nil {
		t.Fatalf("Lookup found %q for a tool that does not exist", p)
	}
}

// recorder captures Skip and Fatal without stopping the calling goroutine
// in a way the outer test would notice.
type recorder struct {
	testing.TB
	skipped, fatal bool
	msg            string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	r.msg = format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = true
	r.msg = format
}

func TestRequireMissingSkipsOrFails(t *testing.T) {
	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	Require(r, "eventrecorder-no-such-tool")
	if !r.skipped || r.fatal {
		t.Fatalf("without %s: skipped=%v fatal=%v, want a skip", RequireEnv, r.skipped, r.fatal)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	Require(r, "eventrecorder-no-such-tool")
	if r.skipped || !r.fatal {
		t.Fatalf("with %s=1: skipped=%v fatal=%v, want a failure", RequireEnv, r.skipped, r.fatal)
	}
}
