package main

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// dropPrivileges makes the process run as the named user from now on: its group,
// its supplementary groups and its user ID, in that order (after setuid there is
// no right left to change groups). Go applies each to every thread of the
// process (Linux, since Go 1.16). It fails unless the process is root and the
// user is not, and it checks that root cannot be regained.
func dropPrivileges(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("serve: --user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("serve: --user %s: user and group IDs %q/%q are not numbers", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return fmt.Errorf("serve: --user %s is root: name the user yubin should run as (useradd --system yubin)", name)
	}
	groups := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.Atoi(g); err == nil && n != gid {
				groups = append(groups, n)
			}
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("serve: --user %s: setgroups: %w", name, err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("serve: --user %s: setgid: %w", name, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("serve: --user %s: setuid: %w", name, err)
	}
	if os.Geteuid() != uid || os.Getegid() != gid || syscall.Setuid(0) == nil {
		return fmt.Errorf("serve: --user %s: still able to act as root after giving it up", name)
	}
	return nil
}
