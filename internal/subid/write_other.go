//go:build !linux

package subid

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/afero"
)

// DefaultWait is how long lckpwdf waits for /etc/.pwd.lock.
const DefaultWait = 15 * time.Second

// Writer changes the files under shadow's locks: Linux only.
type Writer struct {
	Paths
	Fs   afero.Fs
	Wait time.Duration
}

// Update fails: shadow's locks are Linux's.
func (w Writer) Update(ctx context.Context, change func(h *Host) error) error {
	return errors.New("writing /etc/subuid needs Linux")
}
