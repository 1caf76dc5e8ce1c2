package event

// QueueLen exposes the queue depth to the benchmarks, which pace
// themselves on it (see recorder_bench_test.go).
func QueueLen(r Recorder) int { return r.r.Queued() }
