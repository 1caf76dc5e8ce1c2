package buffer

import (
	"errors"
	"log/slog"
)

// openDisk opens a disk store. Until package queue has its Disk, this
// build has none.
func openDisk[T any](dir string, cfg Config, log *slog.Logger) (store[T], error) {
	return nil, errors.New("disk buffers are not available in this build")
}
