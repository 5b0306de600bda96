// Package store is yubin's spool: domains, accounts, aliases, mailboxes with their
// IMAP state (UIDVALIDITY, UIDNEXT, subscriptions, special use), messages with UIDs,
// flags and the envelope and body structure parsed once at delivery, the outbound
// queue's persistence, full-text search, and change events.
//
// Metadata lives in SQLite (modernc.org/sqlite, WAL, synchronous=FULL) in
// data_dir/yubin.db; message bytes live in content-addressed blob files
// data_dir/blobs/ab/cdef… (SHA-256). Nothing is reported done before both the blob
// and its metadata are durable. Deliveries and appends are group-committed
// (blobs.go has the exact protocol): each caller writes its blob file and renames it
// into place without fsync; the committer takes every waiting request, makes their
// files durable with one syncfs(2) of the blob filesystem (fsyncing the file and its
// directory instead for a lone file, or where syncfs is unsupported), only then
// commits the rows that refer to them, and only after that commit answers anyone.
// A file nothing committed refers to is never trusted and is removed at the next Open.
//
// Writes are serialised through one SQLite connection. The committer stores each
// batch in one transaction (one WAL fsync), so throughput grows with concurrency
// while each delivery waits for two flushes shared by its whole batch. Every other
// write (flags, expunge, copy, mailboxes…) is group-committed too (update.go): the
// updates waiting when the write lock frees up run each in a savepoint of one
// transaction, and the blob rows an expunge frees go in that same transaction; the
// files go after the commit without another (blobrefs.go). Reads use
// a separate connection pool (statements prepared once per connection) and never wait
// for a commit. Change events are published after commit, in commit order, to
// unbounded per-subscriber queues (events.go). Full-text search is an FTS5 trigram
// index, one row per blob (search.go), beside a second FTS5 table of the character
// pairs of non-ASCII text for needles of one or two characters, too short for a
// trigram (grams.go, filled in the background on upgrade), both in their own file
// data_dir/search.db with its own writer (searchdb.go), filled in the background in
// chunks rather than in the delivery transaction, with search testing the few
// messages not yet indexed directly so answers are exact at once (indexer.go), and a
// result cache that stays exact across every change (searchcache.go). search.db is
// derived data: deleted, it is rebuilt from the blobs. Neither file grows with the
// load alone: yubin.db's WAL is made to restart under steady commits
// (checkpoint.go), and the full-text index is merged whole in the background once
// enough of its rows were deleted (compact.go).
//
// The Store is the metadata (yubin.db and its write path: db.go, deliver.go, the
// files named after what they store) with two parts of their own types behind it:
// blobFiles, the message files and their sync protocol (blobs.go, blobsync.go; the
// rows that decide which files are trusted: blobrefs.go), and searchIndex, search.db
// with its writer and result cache (searchdb.go, indexer.go, grams.go, compact.go,
// searchcache.go; the queries that read both databases: search.go, searchshort.go).
//
// Several processes may open the same spool (the CLI while the server runs); crash
// cleanup runs only in a process that opens it alone (flock on data_dir/yubin.lock).
//
// Storage quotas and the mailbox cap (quota.go) are checked inside the commit
// transaction, so a delivery, append or copy that does not fit fails whole, with
// nothing of it stored.
//
// For IMAP's extensions the store keeps (schema 6): a modseq per message and a
// HIGHESTMODSEQ per mailbox, taken in the transaction of every change, and the UIDs
// expunged with the modseq of their expunge, a bounded history (CONDSTORE/QRESYNC,
// modseq.go); the save date of each message (SAVEDATE); MAILBOXID, EMAILID and
// THREADID (OBJECTID, objectid.go); each message's Message-ID and references for
// threading (threading.go). Change events carry the modseq they made. Schema 7
// keeps each message's Message-ID, In-Reply-To and References fields as SEARCH
// HEADER reads them, so such searches read no blob (idfields.go). Schema 8 keeps
// what the submission server remembers of the messages each account submitted
// lately (submissions.go: a hash of the Message-ID and recipients, bounded per
// account), written in the transaction that stores or queues the message.
//
// health.go answers /readyz (Ping) and, once given a metrics.Mail, times each
// durable write (a group commit from its blob sync to its commit; any other write
// transaction's commit) and each search; nothing is timed without one.
//
// It must never speak a protocol or format replies: SMTP, IMAP and POP3 semantics
// beyond storage belong to their servers. It deals in UIDs, never sequence numbers,
// and never reads a blob to answer a metadata question (one exception, once per
// message: the threading headers of messages stored before schema 6, threading.go).
package store
