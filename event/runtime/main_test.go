package runtime

import (
	"testing"

	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
)

func TestMain(m *testing.M) {
	leakcheck.VerifyTestMain(m)
}
