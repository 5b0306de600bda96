//go:build linux

package store

import "golang.org/x/sys/unix"

// openSyncFD opens the directory whose filesystem syncfs(2) flushes.
func openSyncFD(dir string) (int, error) {
	return unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// syncfs writes back every dirty file and directory entry of fd's filesystem and
// commits its journal. Since Linux 5.8 it reports writeback errors (errseq).
func syncfs(fd int) error { return unix.Syncfs(fd) }

func closeSyncFD(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}
