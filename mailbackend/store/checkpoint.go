package store

import (
	"log/slog"
	"time"
)

// Checkpoints copy the WAL back into yubin.db, in the background (runCheckpointer),
// at most once a second while commits keep coming: each one writes and fsyncs the
// database file, IO that competes with the commits' own syncs, so fewer and larger
// ones are cheaper.
//
// Copying is not enough to keep the WAL small. SQLite writes from the start of the
// WAL again (restarts it) only when a write transaction begins with every frame
// copied back and no reader still on a WAL snapshot. Under a steady stream of
// commits a PASSIVE checkpoint never finds that moment: by the time it has copied
// the log, later commits have added to it. So the WAL only grew (1 GiB in 25 s of
// imaptest), and every commit extended the file, which costs the filesystem a
// block allocation and its journal a commit at the fsync.
//
// Once a passive checkpoint leaves more than walRestartFrames in the log, the
// checkpointer takes wmu, so that no write of this process starts, and runs a
// RESTART checkpoint: it copies the few frames committed since the passive one and
// waits (up to restartWait, the checkpoint connection's busy timeout) for readers
// still on the old snapshot, after which the next commit writes from the start of
// the WAL again. Writers wait for that, a few milliseconds, at most once a second
// and only under sustained load; a reader that is slower than restartWait makes
// the RESTART give up (busy), and the next round tries again.

// checkpointEvery is the least time between two checkpoints.
const checkpointEvery = time.Second

// walRestartFrames is the WAL length (in 4 KiB frames: 16 MiB) above which the
// checkpointer makes the log restart.
var walRestartFrames = 4096

// restartWait bounds how long a RESTART checkpoint waits for readers while it
// holds wmu.
const restartWait = 20 * time.Millisecond

// runCheckpointer checkpoints after commits (walGrew) until the store closes.
func (s *Store) runCheckpointer() {
	defer s.background.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.nudge:
		}
		s.checkpoint()
		select {
		case <-s.stop:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// checkpoint copies the WAL into the database file and, when the log has grown
// past walRestartFrames, makes it restart.
func (s *Store) checkpoint() {
	var busy, frames, copied int
	if err := s.ckdb.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		slog.Warn("store: checkpoint", "err", err)
		return
	}
	if frames <= walRestartFrames {
		return
	}
	s.wmu.Lock()
	err := s.ckdb.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
	s.wmu.Unlock()
	if err != nil {
		slog.Warn("store: restart checkpoint", "err", err)
	}
}

// walGrew tells the checkpointer that a write committed.
func (s *Store) walGrew() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}
