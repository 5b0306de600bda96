// Package backup takes, restores and checks copies of a spool (yubin backup DEST,
// yubin restore SRC, yubin verify [DIR]) while the server keeps delivering.
//
// A backup directory has the layout of a spool: yubin.db (a snapshot taken with
// SQLite's VACUUM INTO, so one consistent point in time), blobs/ab/cdef… (exactly the
// message files that snapshot refers to, hard-linked from the spool when DEST is on
// the same filesystem, otherwise copied and fsynced), dkim/ (the signing keys),
// contacts.db (the address books of mailbackend/cardstore, its own VACUUM INTO
// snapshot, when the spool has one), the other SQLite databases the caller names
// (Options.Databases: the webmail's webmail/settings.db) at the same relative path,
// each its own snapshot, the small files the caller names (Options.Files: the
// webmail's keys, without which settings.db's sealed passwords and push
// subscriptions are dead weight) copied as they are, 0600, and
// manifest.json (written last: every file's size and SHA-256, the blob count). A
// blob's name is its SHA-256, so the blobs need no checksum list of their own.
// search.db is not copied: it is derived from the blobs and rebuilt when the server
// starts; webmail sessions are not kept (users log in again); a self-signed
// certificate is made anew.
//
// Consistency: the snapshot is taken first, then the blobs it refers to are copied.
// A blob is durable before any row that refers to it commits (store/blobs.go), so
// every blob the snapshot names exists; and the backup holds the spool's blob lock
// (store.HoldBlobs) from before the snapshot until the last blob is copied, so the
// server does not delete a file the snapshot still needs when a message is expunged
// meanwhile, and a server starting meanwhile skips its crash cleanup.
//
// A later backup into the same DEST is incremental: blobs already there are kept,
// only new ones are linked or copied, and those the new snapshot no longer refers to
// are removed after the new manifest is in place.
//
// It owns the backup layout and the checks of verify. It must never write to the
// spool it backs up (only its lock files), and never restore into a directory that
// holds anything.
package backup
