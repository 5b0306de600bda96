// Package cardstore keeps the address books of every account: vCards as the
// CardDAV server (mailbackend/dav) receives them, in an SQLite file of its own
// (data_dir/contacts.db), so contacts never touch the mail spool's schema.
//
// Each account has two fixed address books, "contacts" (what the user keeps) and
// "collected" (addresses the webmail adds when the user sends mail). A card is
// stored as the exact bytes of its vCard with a strong ETag (its SHA-256), a UID
// unique within its book (RFC 6352 section 6.3.2.1, no-uid-conflict) and a
// modification time. A write is acknowledged only after its transaction commits
// with synchronous=FULL, so an acknowledged PUT survives a crash.
//
// Bounds: a card is at most Limits.CardBytes, an account holds at most
// Limits.Cards cards and Limits.AccountBytes bytes of them; past that a write is
// refused with ErrTooLarge or ErrQuota and nothing is stored.
//
// It owns the contacts database and its schema. It must never parse vCards (the
// protocol layer hands it finished bytes and the UID), never read the mail spool,
// and never let one account's request touch another account's cards.
package cardstore
