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
	if _, err := input.ReadFile(context.Background(), dir, nil); !errors.Is(err, syscall.EISDIR) {
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
	if b, err := input.ReadFile(context.Background(), path, nil); err != nil || string(b) != "x: 1\n" {
		t.Errorf("ReadFile(file) = %q, %v", b, err)
	}
	if b, err := input.ReadFile(context.Background(), "-", strings.NewReader("y: 2\n")); err != nil || string(b) != "y: 2\n" {
		t.Errorf("ReadFile(-) = %q, %v", b, err)
	}
}
