//go:build unix

package input_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/tools/internal/input"
)

func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// promptly runs f, which must end within a second of the context
// passed to it ending, and returns its error.
func promptly(t *testing.T, what string, f func(ctx context.Context) error) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("%s returned before the context ended: %v", what, err)
	case <-time.After(50 * time.Millisecond): // it is waiting: the point of the test
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		t.Fatalf("%s still waiting a second after the context ended", what)
		return nil
	}
}

// Opening a FIFO waits for a writer; the context ends the wait.
func TestOpenFIFOWithoutWriterGivesUp(t *testing.T) {
	path := mkfifo(t)
	err := promptly(t, "Open of a FIFO without a writer", func(ctx context.Context) error {
		_, err := input.Open(ctx, path)
		return err
	})
	if !errors.Is(err, context.Canceled) || err.Error() != "open "+path+": context canceled" {
		t.Errorf("Open: %v, want the path and context.Canceled", err)
	}
	// The abandoned open is still waiting: a writer releases it, and the
	// goroutine closes what it opened (goleak checks that it ends).
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
}

func TestOpenFIFOReadsWhatTheWriterWrites(t *testing.T) {
	path := mkfifo(t)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		_, _ = w.WriteString("a\nb\n")
		_ = w.Close()
	}()
	f, err := input.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Regular() {
		t.Error("a FIFO is not regular")
	}
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "a\nb\n" {
		t.Errorf("read %q, %v", b, err)
	}
}

// A writer that writes nothing leaves the read waiting; the context ends
// it, and Close releases the abandoned read.
func TestReadOfAnIdleFIFOGivesUp(t *testing.T) {
	path := mkfifo(t)
	opened := make(chan *os.File, 1)
	go func() {
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
		}
		opened <- w
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, err := input.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w := <-opened
	defer w.Close()
	err = promptly(t, "Read of an idle FIFO", func(rctx context.Context) error {
		context.AfterFunc(rctx, cancel)
		_, err := f.Read(make([]byte, 10))
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Read: %v, want context.Canceled", err)
	}
	if n, err := f.Read(make([]byte, 10)); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Read after the context ended: %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Error(err)
	}
}
