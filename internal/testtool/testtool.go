// Package testtool holds helpers shared by the project's tests, such as
// locating the Debian tools (logrotate, kcat) that integration tests drive
// as real parts.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireEnv is the environment variable that turns a missing tool from a
// skipped test into a failed one. CI sets it so that a broken install step
// cannot hide behind skips.
const RequireEnv = "EVENTRECORDER_REQUIRE_TOOLS"

// sbinDirs are searched after PATH because Debian installs some tools
// (logrotate) in sbin directories that a non-login or non-root PATH omits.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin"}

// Require returns the path of the executable name. When it is not installed
// the test is skipped with a message saying how to install it, or fails if
// EVENTRECORDER_REQUIRE_TOOLS=1.
func Require(t testing.TB, name string) string {
	t.Helper()
	if p, err := Lookup(name); err == nil {
		return p
	}
	msg := name + " is not installed (Debian: apt-get install " + name + ")"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s, and %s=1 requires it", msg, RequireEnv)
		return ""
	}
	t.Skipf("%s; skipping (set %s=1 to make this a failure)", msg, RequireEnv)
	return ""
}

// Lookup finds the executable name in PATH or in the sbin directories.
func Lookup(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range sbinDirs {
		cand := filepath.Join(dir, name)
		if fi, statErr := os.Stat(cand); statErr == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return cand, nil
		}
	}
	return "", err
}
