// Package store is yubin's spool: domains, accounts, aliases, mailboxes with their
// IMAP state (UIDVALIDITY, UIDNEXT, subscriptions, special use), messages with UIDs,
// flags and the envelope and body structure parsed once at delivery, the outbound
// queue's persistence, full-text search, and change events.
//
// Metadata lives in SQLite (modernc.org/sqlite, WAL) under data_dir; message bytes
// live in content-addressed blob files under data_dir/blobs. Nothing is reported done
// before both the blob and its metadata are durable (fsync, then commit).
//
// It must never speak a protocol or format replies: SMTP, IMAP and POP3 semantics
// beyond storage belong to their servers. It deals in UIDs, never sequence numbers.
package store
