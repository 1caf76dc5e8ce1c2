// Package readlimit reads files and streams that must be small —
// configurations, and the files outputs read a secret or a URL from —
// without trusting them to be: /dev/zero, a log file named by mistake or
// a runaway pipe fails with an error naming the limit, having read no
// more than the limit and a byte.
package readlimit

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// TooLargeError says that input held more than Limit bytes.
type TooLargeError struct {
	Limit int64
	// What names the input for the message, such as "a URL file".
	What string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("larger than %s, the limit for %s", Size(e.Limit), e.What)
}

// ReadAll reads r to its end, failing with a *TooLargeError when it holds
// more than limit bytes.
func ReadAll(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Limit: limit, What: what}
	}
	return b, nil
}

// ReadFile is ReadAll of the file at path.
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return ReadAll(f, limit, what)
}

// IsTooLarge reports whether err is, or wraps, a *TooLargeError.
func IsTooLarge(err error) bool {
	var tl *TooLargeError
	return errors.As(err, &tl)
}

// Size writes a byte count the way limits are documented: 64 KiB, 4 MiB.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
