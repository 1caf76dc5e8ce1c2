//go:build !unix

package queue

import (
	"errors"
	"os"
)

func lockDir(dir string) (*os.File, error) {
	return nil, errors.New("queue: disk queue needs flock, available on unix systems only")
}

func unlockDir(f *os.File) error { return nil }
