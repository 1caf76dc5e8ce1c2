package testtool

import (
	"runtime"
	"testing"
)

// ServiceHeapBytes is the live heap ServiceHeap gives a benchmark, of the
// order of a long-running service's; any size well above what the
// pipelines compared hold themselves (a few MiB) paces them alike.
const ServiceHeapBytes = 256 << 20

// ServiceHeap makes the process's live heap ServiceHeapBytes larger until
// b ends, with one pointer-free allocation that the collector never scans
// and the kernel backs with no memory, as it is never written, so that the
// collector paces alike every pipeline a benchmark compares.
//
// Go starts a collection each time the heap has grown by its live size
// (GOGC=100). A benchmark process otherwise holds a few MiB, so a
// pipeline that holds more of its own (the recorder's preallocated queue,
// slabs and buffers) makes the collector run several times less often for
// the whole process, sarama and the in-process broker included, than a
// bare loop that holds almost nothing. Measured 2026-12-03 at 16
// partitions (BenchmarkKafkaThroughput, three runs each): bare sarama
// spent about 11.6 µs of CPU per event without it and 5.7 µs with it, the
// recorder 12.7 and 9.6, so a pipeline that costs 1.7 times as much
// looked as fast. In a service with a heap of hundreds of MiB the
// collector runs seldom, and what each pipeline costs is its own work.
//
// Between two collections such a heap takes up to ServiceHeapBytes of new
// objects, and a service has touched those pages long before: it reuses
// them. A benchmark that started on a fresh heap would instead fault in a
// new page for every 4 KiB it allocates (the kernel zeroing each), which
// a service never pays again after its first minutes, so ServiceHeap
// first allocates and drops as much garbage and collects it. The process's
// resident set stays about ServiceHeapBytes larger while b runs.
func ServiceHeap(b *testing.B) {
	b.Helper()
	heap := make([]byte, ServiceHeapBytes)
	b.Cleanup(func() { runtime.KeepAlive(heap) })
	// Fresh memory is not even zeroed by make, so each page is written
	// to fault it in.
	const chunk, page = 1 << 20, 4 << 10
	for range ServiceHeapBytes / chunk {
		warm = make([]byte, chunk)
		for i := 0; i < chunk; i += page {
			warm[i] = 1
		}
	}
	warm = nil
	runtime.GC()
}

// warm is ServiceHeap's garbage, a package variable so that the compiler
// keeps its allocations.
var warm []byte
