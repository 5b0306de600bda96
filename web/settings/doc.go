// Package settings is the webmail's own store of per-account preferences: the
// display name, identities and signatures, UI language, time zone, page size,
// undo-send delay and whatever later screens add. It is SQLite (modernc.org/sqlite,
// WAL, synchronous=FULL) in one file, settings.db, in the webmail's data directory
// (web.Config.DataDir; for `yubin serve` and `yubin webmail` that is
// data_dir/webmail), keyed by the account's login in lower case. It belongs to the
// webmail, not to the mail server, so the webmail keeps its preferences against any
// IMAP server, as Roundcube keeps its own.
//
// One account's preferences are one JSON document (Settings) in one row, read
// through a small in-memory cache (only this process writes the file) and changed
// by Update, which reads, changes and writes the row in one IMMEDIATE transaction,
// so two screens saving different fields never undo each other.
//
// Adding a setting is a local change:
//  1. a field in Settings with a json tag (settings.go), its default in Defaults,
//     and its bounds in Normalize (a stored value that is out of range, or absent
//     because it was saved before the field existed, reads as the default);
//  2. an input on the settings page (templates/settings.templ) and one line that
//     reads it in handlers/settings.go (settingsFromForm), or a form of its own
//     that calls Store.Update with a function changing only its field.
//
// Data that grows per account without a small bound (allowed senders, push
// subscriptions, scheduled messages) gets a table of its own instead: append its
// CREATE statement to migrations (store.go; never edit an applied one) and put its
// typed methods in a file of its own here.
//
// It owns settings.db and its schema. It must never hold a password or a mail
// body in plaintext, and never import the mail server: what the server knows of an
// account (its name, the addresses it may send as) comes through Directory, which
// is nil when the webmail runs against another server.
package settings
