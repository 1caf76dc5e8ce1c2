package input_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/tools/internal/input"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

func TestOpenRegularFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := input.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !f.Regular() || f.Info().Size() != 4 || f.Name() != path {
		t.Errorf("regular %v, size %d, name %q", f.Regular(), f.Info().Size(), f.Name())
	}
	b, err := io.ReadAll(f)
	if err != nil || string(b) != "a\nb\n" {
		t.Errorf("read %q, %v", b, err)
	}
	p := make([]byte, 1)
	if n, err := f.ReadAt(p, 2); n != 1 || err != nil || p[0] != 'b' {
		t.Errorf("ReadAt: %d %q %v", n, p, err)
	}
	// A regular file's reads never wait: Reader leaves it as it is.
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	if r := input.Reader(context.Background(), osf); r != io.Reader(osf) {
		t.Errorf("Reader wrapped a regular file: %T", r)
	}
}

func TestOpenRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	f, err := input.Open(context.Background(), dir)
	var pe *fs.PathError
	if err == nil || !errors.As(err, &pe) || !errors.Is(err, syscall.EISDIR) || err.Error() != "open "+dir+": is a directory" {
		t.Fatalf("Open(directory) = %v, %v; want an error saying it is a directory", f, err)
	}
	if _, err := input.ReadFile(context.Background(), dir); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("ReadFile(directory) = %v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := input.Open(context.Background(), filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want not-exist", err)
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("x: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := input.ReadFile(context.Background(), path); err != nil || string(b) != "x: 1\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
}

// blockingReader blocks until released, like a read of a terminal or of
// a pipe that the runtime cannot poll.
type blockingReader struct{ release chan struct{} }

func (b blockingReader) Read(p []byte) (int, error) {
	<-b.release
	return copy(p, "late"), nil
}

func TestReaderGivesUpAWaitingRead(t *testing.T) {
	br := blockingReader{release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	r := input.Reader(ctx, br)
	p := make([]byte, 10)
	done := make(chan error, 1)
	go func() {
		_, err := r.Read(p)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Read returned before the context ended: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Read: %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Read still waiting a second after the context ended")
	}
	// The abandoned read completes later into the reader's own buffer,
	// not the caller's.
	close(br.release)
	if n, err := r.Read(p); n != 0 || !errors.Is(err, context.Canceled) {
		t.Errorf("Read after the context ended: %d, %v", n, err)
	}
	if string(p) != string(make([]byte, 10)) {
		t.Errorf("the abandoned read wrote %q into the caller's buffer", p)
	}
}

func TestReaderPassesDataThrough(t *testing.T) {
	r := input.Reader(context.Background(), io.MultiReader(strings.NewReader("a\n"), strings.NewReader("b\n")))
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "a\nb\n" {
		t.Errorf("read %q, %v", b, err)
	}
}
