//go:build !linux

package store

import "syscall"

func openSyncFD(string) (int, error) { return -1, nil }

// syncfs does not exist here: blobFiles.sync falls back to fsyncing each file.
func syncfs(int) error { return syscall.ENOSYS }

func closeSyncFD(int) {}
