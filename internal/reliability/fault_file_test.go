package reliability_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
)

// readSeqs reads a JSONL event file and counts each sequence number seen;
// a missing file is empty.
func readSeqs(t testing.TB, path string) map[int]int {
	t.Helper()
	out := map[int]int{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev struct {
			Data struct {
				AlertmanagerStartupEvent struct {
					Version string `json:"version"`
				} `json:"alertmanagerStartupEvent"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s: line %q is not an event: %v", path, sc.Bytes(), err)
		}
		seq, err := strconv.Atoi(ev.Data.AlertmanagerStartupEvent.Version)
		if err != nil {
			t.Fatalf("%s: line %q has no sequence number", path, sc.Bytes())
		}
		out[seq]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// seqRange is the sequence numbers first..last, each once.
func seqRange(first, last int) map[int]int {
	out := map[int]int{}
	for i := first; i <= last; i++ {
		out[i] = 1
	}
	return out
}

func sameCounts(a, b map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func merge(ms ...map[int]int) map[int]int {
	out := map[int]int{}
	for _, m := range ms {
		for k, v := range m {
			out[k] += v
		}
	}
	return out
}

// TestFileFaults drives a file output through the recorder while the
// file, its path or its directory is taken away in one way per row. The
// file output writes synchronously, so every paced phase has exact
// outcomes, and the file's contents are checked against the metrics.
//
// The permission row (chmod) runs only as a user other than root, since
// root ignores permissions and CI runs as root. "Unwritable" is covered
// for root too by a path that turns into a directory and by a path that
// points at /dev/full, whose writes fail with ENOSPC whoever makes them.
func TestFileFaults(t *testing.T) {
	rows := []struct {
		name string
		run  func(t *testing.T, f *webhookFixture, dir, path string)
	}{{
		name: "healthy file (control)",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			want(t, "paced", diff(f.paced(64)), 64, 0)
			want(t, "burst", diff(f.burst(400)), -1, 0)
			if got := readSeqs(t, path); len(got) != f.tally(f.out).Delivered || len(got) != sum(got) {
				t.Errorf("file has %d lines (%d distinct), metrics say %d delivered", sum(got), len(got), f.tally(f.out).Delivered)
			}
		},
	}, {
		name: "file removed mid-stream",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			want(t, "paced", diff(f.paced(32)), 32, 0)
			must(t, os.Remove(path))
			want(t, "paced after removal", diff(f.paced(32)), 32, 0)
			if got := readSeqs(t, path); !sameCounts(got, seqRange(33, 64)) {
				t.Errorf("new file holds %v, want exactly events 33..64", got)
			}
		},
	}, {
		name: "file renamed mid-stream",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			want(t, "paced", diff(f.paced(32)), 32, 0)
			must(t, os.Rename(path, path+".1"))
			want(t, "paced after rename", diff(f.paced(32)), 32, 0)
			// Past the rename grace, the output starts a new file.
			waitFor(t, "a new file at the path", func() bool {
				f.record(1)
				f.settle(f.out)
				_, err := os.Stat(path)
				return err == nil
			})
			n := int(f.recorded.Load())
			if got := merge(readSeqs(t, path+".1"), readSeqs(t, path)); !sameCounts(got, seqRange(1, n)) {
				t.Errorf("the two files hold %v, want exactly events 1..%d", got, n)
			}
		},
	}, {
		name: "path replaced by a directory, then restored",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			want(t, "paced", diff(f.paced(32)), 32, 0)
			must(t, os.Remove(path))
			must(t, os.Mkdir(path, 0o755))
			want(t, "paced while a directory", diff(f.paced(32)), 0, 32)
			must(t, os.Remove(path))
			want(t, "paced once restored", diff(f.paced(32)), 32, 0)
			if got := readSeqs(t, path); !sameCounts(got, seqRange(65, 96)) {
				t.Errorf("new file holds %v, want exactly events 65..96", got)
			}
		},
	}, {
		name: "parent directory removed, then re-created",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			want(t, "paced", diff(f.paced(32)), 32, 0)
			must(t, os.RemoveAll(dir))
			want(t, "paced while the directory is gone", diff(f.paced(32)), 0, 32)
			want(t, "burst while the directory is gone", diff(f.burst(400)), 0, -1)
			must(t, os.Mkdir(dir, 0o755))
			before := int(f.recorded.Load())
			want(t, "paced once re-created", diff(f.paced(32)), 32, 0)
			if got := readSeqs(t, path); !sameCounts(got, seqRange(before+1, before+32)) {
				t.Errorf("new file holds %v, want exactly events %d..%d", got, before+1, before+32)
			}
		},
	}, {
		name: "file removed and its directory made read-only (chmod 0555), then writable",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			if os.Geteuid() == 0 {
				t.Skip("root ignores permissions; the directory and /dev/full rows cover unwritable paths")
			}
			want(t, "paced", diff(f.paced(32)), 32, 0)
			must(t, os.Remove(path))
			must(t, os.Chmod(dir, 0o555))
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
			want(t, "paced while read-only", diff(f.paced(32)), 0, 32)
			must(t, os.Chmod(dir, 0o755))
			want(t, "paced once writable", diff(f.paced(32)), 32, 0)
			if got := readSeqs(t, path); !sameCounts(got, seqRange(65, 96)) {
				t.Errorf("new file holds %v, want exactly events 65..96", got)
			}
		},
	}, {
		name: "disk full (path points at /dev/full), then freed",
		run: func(t *testing.T, f *webhookFixture, dir, path string) {
			if _, err := os.Stat("/dev/full"); err != nil {
				t.Skipf("no /dev/full: %v", err)
			}
			want(t, "paced", diff(f.paced(32)), 32, 0)
			must(t, os.Remove(path))
			must(t, os.Symlink("/dev/full", path))
			want(t, "paced while full", diff(f.paced(32)), 0, 32)
			must(t, os.Remove(path))
			want(t, "paced once freed", diff(f.paced(32)), 32, 0)
			if got := readSeqs(t, path); !sameCounts(got, seqRange(65, 96)) {
				t.Errorf("new file holds %v, want exactly events 65..96", got)
			}
		},
	}}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "events")
			must(t, os.Mkdir(dir, 0o755))
			path := filepath.Join(dir, "events.jsonl")
			cfg := mustLoad(t, fmt.Sprintf("file_outputs: [{path: %s}]", yamlQuote(path)))
			f := &webhookFixture{
				rig: newRig(t, cfg, event.Options{QueueSize: 64, MaxBatch: 16, CloseTimeout: 2 * time.Second}),
				out: "file:" + path,
			}
			row.run(t, f, dir, path)
			f.record(200) // Close has work in hand
			took, err := f.close()
			if err != nil {
				t.Errorf("Close: %v", err)
			}
			c := f.conserved(f.out)
			t.Logf("FIGURES file %q: %v; Close took %v, error: %v", row.name, c, took.Round(time.Millisecond), err)
		})
	}
}

// TestFileMissingDirectoryAtStart is the file output's "unreachable at
// start": a directory that does not exist is a configuration error at
// construction, naming the field and the path, and nothing is started.
func TestFileMissingDirectoryAtStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	path := filepath.Join(dir, "events.jsonl")
	cfg := mustLoad(t, fmt.Sprintf("file_outputs: [{path: %s}]", yamlQuote(path)))
	_, err := tryRig(t, cfg, event.Options{})
	want := fmt.Sprintf("file_outputs[0].path: cannot open %q: directory %q does not exist: no such file or directory", path, dir)
	if err == nil || err.Error() != want {
		t.Fatalf("event.New error:\n got %v\nwant %s", err, want)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the missing directory was created: %v", err)
	}
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
