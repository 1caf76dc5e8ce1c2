package sink

import (
	"log/slog"
	"sync"
	"time"
)

// FailureLogInterval is how often a FailureLog writes at most.
const FailureLogInterval = 10 * time.Second

// FailureLog writes a recurring failure to a log at most once per
// interval, with how many failures the line stands for. A destination
// that is down fails every event, thousands a second; the metrics count
// them, and the log only has to say why and how many. Every output and
// the recorder log their failures and drops through one, so that no
// failure mode floods the log.
//
// The first failure is written at once, so that the log says what went
// wrong as soon as it does; later ones are added up and written with the
// first failure after the interval has passed, with the most recent
// reason. Flush writes what is left, so that the counts on the lines add
// up to every failure. Safe for concurrent use.
type FailureLog struct {
	logger   *slog.Logger
	msg      string
	countKey string
	attrs    []any

	mu       sync.Mutex
	interval time.Duration
	last     time.Time // when the last line was written; zero: never
	pending  uint64    // failures since the last line
	reason   error     // the most recent of them
}

// NewFailureLog returns a FailureLog that writes msg at warning level to
// logger (nil: nowhere), with the count under countKey ("failed",
// "dropped"), the reason under "err" and attrs (such as the output's
// name) on every line.
func NewFailureLog(logger *slog.Logger, msg, countKey string, attrs ...any) *FailureLog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &FailureLog{logger: logger, msg: msg, countKey: countKey, attrs: attrs, interval: FailureLogInterval}
}

// SetInterval changes the interval from FailureLogInterval; a test sets a
// long one to know exactly how many lines a run writes.
func (l *FailureLog) SetInterval(d time.Duration) {
	l.mu.Lock()
	l.interval = d
	l.mu.Unlock()
}

// Add records n failures for reason (nil when there is none to give, as
// for drops), writing a line when none was written in the last interval.
func (l *FailureLog) Add(n int, reason error) {
	if n <= 0 {
		return
	}
	now := time.Now()
	l.mu.Lock()
	l.pending += uint64(n)
	if reason != nil {
		l.reason = reason
	}
	if !l.last.IsZero() && now.Sub(l.last) < l.interval {
		l.mu.Unlock()
		return
	}
	count, err := l.take(now)
	l.mu.Unlock()
	l.write(count, err)
}

// Flush writes the failures added since the last line, if any. Outputs
// call it when they close.
func (l *FailureLog) Flush() {
	l.mu.Lock()
	if l.pending == 0 {
		l.mu.Unlock()
		return
	}
	count, err := l.take(time.Now())
	l.mu.Unlock()
	l.write(count, err)
}

// take resets the tally for a line written now; l.mu is held.
func (l *FailureLog) take(now time.Time) (uint64, error) {
	count, err := l.pending, l.reason
	l.pending, l.reason, l.last = 0, nil, now
	return count, err
}

func (l *FailureLog) write(count uint64, reason error) {
	attrs := make([]any, 0, len(l.attrs)+4)
	attrs = append(attrs, l.attrs...)
	attrs = append(attrs, l.countKey, count)
	if reason != nil {
		attrs = append(attrs, "err", reason.Error())
	}
	l.logger.Warn(l.msg, attrs...)
}
