package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/yubinmail/yubin/mailbackend/backup"
	"github.com/yubinmail/yubin/web/credseal"
	"github.com/yubinmail/yubin/web/push"
	"github.com/yubinmail/yubin/web/settings"
)

// backupCommand is yubin backup DEST: a consistent copy of the running spool.
func backupCommand(args []string, stdout io.Writer) error {
	f, pos, err := parseArgs("backup", args)
	if err != nil {
		return err
	}
	if err := wantArgs("backup", pos, 1, "one destination directory"); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	rep, err := backup.Backup(context.Background(), cfg.DataDir, pos[0], backup.Options{Copy: f.copy,
		// The webmail's preferences and pending sends (web/settings), when it runs on
		// this data_dir.
		Databases: []string{filepath.Join(webmailDir, settings.File)},
		// And the keys settings.db is useless without: the one that opens the
		// passwords kept sealed for waiting sends and push watches, and the VAPID
		// key pair the devices' push subscriptions are bound to.
		Files: []string{filepath.Join(webmailDir, credseal.KeyFile), filepath.Join(webmailDir, push.KeyFile)}})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s in %s: %d blobs (%d bytes): %d new (%d linked, %d copied), %d already there, %d removed\n",
		cfg.DataDir, pos[0], rep.Blobs, rep.Bytes, rep.Linked+rep.Copied, rep.Linked, rep.Copied, rep.Kept, rep.Removed)
	return nil
}

// restoreCommand is yubin restore SRC: a backup into the empty data_dir.
func restoreCommand(args []string, stdout io.Writer) error {
	f, pos, err := parseArgs("restore", args)
	if err != nil {
		return err
	}
	if err := wantArgs("restore", pos, 1, "one backup directory"); err != nil {
		return err
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	sum, err := backup.Restore(context.Background(), pos[0], cfg.DataDir)
	for _, p := range sum.Problems {
		fmt.Fprintln(stdout, p)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %d messages, %d blobs\n", pos[0], cfg.DataDir, sum.Messages, sum.Blobs)
	return nil
}

// verifyCommand is yubin verify [DIR]: checks a spool (data_dir by default) or a backup.
func verifyCommand(args []string, stdout io.Writer) error {
	f, pos, err := parseArgs("verify", args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError{"verify: want at most one directory"}
	}
	var dir string
	if len(pos) == 1 {
		dir = pos[0]
	} else {
		cfg, err := f.load()
		if err != nil {
			return err
		}
		dir = cfg.DataDir
	}
	sum, err := backup.Verify(context.Background(), dir)
	if err != nil {
		return err
	}
	for _, p := range sum.Problems {
		fmt.Fprintln(stdout, p)
	}
	what := "spool"
	if sum.Backup {
		what = "backup"
	}
	if len(sum.Problems) > 0 {
		return fmt.Errorf("verify: %s %s has %d problems", what, dir, len(sum.Problems))
	}
	fmt.Fprintf(stdout, "%s %s is consistent: %d messages, %d blobs checked\n", what, dir, sum.Messages, sum.Blobs)
	return nil
}
