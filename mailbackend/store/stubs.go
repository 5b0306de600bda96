package store

// This file is the store's contract while its implementation is written: every method
// the servers and the CLI call, with its documented behaviour. The implementation
// replaces these bodies (and this file) without changing a signature.

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

var errTODO = errors.New("store: not implemented yet")

// Store is an open spool.
type Store struct{}

// Open opens (creating if needed) the spool in dataDir: dataDir/yubin.db and
// dataDir/blobs. It removes orphan blobs and temp files left by a crash.
func Open(dataDir string) (*Store, error) { return nil, errTODO }

// Close waits for in-flight commits and closes the database.
func (s *Store) Close() error { return errTODO }

// ---- domains ----

// AddDomain makes name local (case-insensitive). ErrExists if it already is.
func (s *Store) AddDomain(ctx context.Context, name string) error { return errTODO }

// DeleteDomain removes a domain; ErrNotFound if unknown. Refused (error) while
// accounts or aliases of that domain exist.
func (s *Store) DeleteDomain(ctx context.Context, name string) error { return errTODO }

// Domains lists local domains, sorted.
func (s *Store) Domains(ctx context.Context) ([]string, error) { return nil, errTODO }

// IsLocalDomain reports whether name (any case) is a local domain. It is called for
// every RCPT and is served from memory.
func (s *Store) IsLocalDomain(name string) bool { return false }

// ---- accounts ----

// AddAccount creates an account with its default mailboxes. The domain must be local
// (ErrNotLocal); ErrExists if the address or an alias with it exists.
func (s *Store) AddAccount(ctx context.Context, address, passwordHash, displayName string) (*Account, error) {
	return nil, errTODO
}

// SetPasswordHash replaces an account's password hash. ErrNotFound if unknown.
func (s *Store) SetPasswordHash(ctx context.Context, address, passwordHash string) error {
	return errTODO
}

// DeleteAccount removes the account, its mailboxes and messages, and drops it from
// aliases. ErrNotFound if unknown.
func (s *Store) DeleteAccount(ctx context.Context, address string) error { return errTODO }

// Accounts lists all accounts sorted by address.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) { return nil, errTODO }

// AccountByAddress finds an account by its exact address (case-insensitive, no alias
// or plus expansion). ErrNotFound if none.
func (s *Store) AccountByAddress(ctx context.Context, address string) (*Account, error) {
	return nil, errTODO
}

// AccountByID finds an account by ID. ErrNotFound if none.
func (s *Store) AccountByID(ctx context.Context, id int64) (*Account, error) { return nil, errTODO }

// ---- aliases and recipients ----

// AddAlias makes address deliver to each target (existing local accounts). The alias's
// domain must be local; ErrExists if an account or alias has that address.
func (s *Store) AddAlias(ctx context.Context, address string, targets []string) error {
	return errTODO
}

// DeleteAlias removes an alias. ErrNotFound if unknown.
func (s *Store) DeleteAlias(ctx context.Context, address string) error { return errTODO }

// Aliases lists aliases sorted by address.
func (s *Store) Aliases(ctx context.Context) ([]Alias, error) { return nil, errTODO }

// Resolve maps a recipient address to the accounts that receive it: an account
// address, an alias (expanded), or user+tag@domain (the tag dropped). Case-insensitive.
// ErrNotLocal if the domain is not local; ErrUnknownRecipient if the domain is local
// but nobody has the address.
func (s *Store) Resolve(ctx context.Context, address string) ([]Account, error) {
	return nil, errTODO
}

// SenderAddresses lists the addresses an account may use as its envelope or header
// sender: its own address and every alias that targets it.
func (s *Store) SenderAddresses(ctx context.Context, accountID int64) ([]string, error) {
	return nil, errTODO
}

// ---- mailboxes ----

// Mailboxes lists an account's mailboxes sorted by name (INBOX first).
func (s *Store) Mailboxes(ctx context.Context, accountID int64) ([]Mailbox, error) {
	return nil, errTODO
}

// Mailbox finds a mailbox by name ("inbox" in any case is INBOX). ErrNotFound if none.
func (s *Store) Mailbox(ctx context.Context, accountID int64, name string) (*Mailbox, error) {
	return nil, errTODO
}

// MailboxByID finds a mailbox by ID. ErrNotFound if none.
func (s *Store) MailboxByID(ctx context.Context, id int64) (*Mailbox, error) { return nil, errTODO }

// MailboxBySpecialUse finds the account's mailbox with that special use (e.g. \Sent).
// ErrNotFound if none.
func (s *Store) MailboxBySpecialUse(ctx context.Context, accountID int64, use string) (*Mailbox, error) {
	return nil, errTODO
}

// CreateMailbox creates name (and, RFC 9051, any missing superior levels) with a fresh
// UIDVALIDITY. ErrExists if it exists; ErrInvalidName for empty levels, a leading or
// trailing delimiter, or control characters.
func (s *Store) CreateMailbox(ctx context.Context, accountID int64, name, specialUse string) (*Mailbox, error) {
	return nil, errTODO
}

// RenameMailbox renames a mailbox and its inferiors. Renaming INBOX moves all of its
// messages into a new mailbox with the new name and leaves INBOX empty (RFC 9051
// section 6.3.6). ErrNotFound, ErrExists, ErrInvalidName as for create.
func (s *Store) RenameMailbox(ctx context.Context, accountID int64, oldName, newName string) error {
	return errTODO
}

// DeleteMailbox deletes a mailbox and its messages. ErrInboxProtected for INBOX,
// ErrHasChildren when inferiors exist, ErrNotFound.
func (s *Store) DeleteMailbox(ctx context.Context, accountID int64, name string) error {
	return errTODO
}

// SetSubscribed sets the subscription; subscribing to a name that does not exist is
// allowed by RFC 9051 and remembered.
func (s *Store) SetSubscribed(ctx context.Context, accountID int64, name string, subscribed bool) error {
	return errTODO
}

// Subscriptions lists subscribed names, existing or not.
func (s *Store) Subscriptions(ctx context.Context, accountID int64) ([]string, error) {
	return nil, errTODO
}

// Status counts a mailbox without reading any message.
func (s *Store) Status(ctx context.Context, mailboxID int64) (*MailboxStatus, error) {
	return nil, errTODO
}

// ---- messages ----

// Deliver stores raw once (one blob) and adds it to each recipient's mailbox (INBOX
// unless Recipient.Mailbox says otherwise) in one transaction. It returns only after
// the blob and the rows are durable; concurrent calls share fsyncs and commits.
// Internal date is now. ErrTooBig is never returned here: size limits are the caller's.
func (s *Store) Deliver(ctx context.Context, raw []byte, rcpts []Recipient) ([]Delivered, error) {
	return nil, errTODO
}

// Append adds raw to one mailbox (IMAP APPEND) with flags and internal date (zero
// date = now), durably, and returns its UID and the mailbox's UIDVALIDITY.
func (s *Store) Append(ctx context.Context, mailboxID int64, raw []byte, flags []string, date time.Time) (uid, uidValidity uint32, err error) {
	return 0, 0, errTODO
}

// UIDs lists every UID in a mailbox, ascending (a session's sequence map).
func (s *Store) UIDs(ctx context.Context, mailboxID int64) ([]uint32, error) {
	return nil, errTODO
}

// Messages returns metadata for the messages whose UIDs fall in set, ascending by UID,
// without touching blobs.
func (s *Store) Messages(ctx context.Context, mailboxID int64, set []UIDRange, opts FetchOptions) ([]Message, error) {
	return nil, errTODO
}

// LatestMessages returns up to limit messages with UID < beforeUID (0 = no bound),
// newest first: keyset paging for list views.
func (s *Store) LatestMessages(ctx context.Context, mailboxID int64, beforeUID uint32, limit int, opts FetchOptions) ([]Message, error) {
	return nil, errTODO
}

// OpenBlob opens a message's bytes for reading (ReadAt/Seek for section fetches).
func (s *Store) OpenBlob(blobID string) (*os.File, error) { return nil, errTODO }

// ReadBlob is OpenBlob for callers that want a plain reader.
func (s *Store) ReadBlob(blobID string) (io.ReadCloser, error) { return nil, errTODO }

// StoreFlags changes the flags of the messages in set and returns the new flags of
// each message that changed. Flags are case-insensitive for system flags, kept as
// given for keywords.
func (s *Store) StoreFlags(ctx context.Context, mailboxID int64, set []UIDRange, op FlagOp, flags []string) ([]FlagUpdate, error) {
	return nil, errTODO
}

// Copy copies the messages in set to dest (new UIDs in dest, same blob, flags kept).
func (s *Store) Copy(ctx context.Context, mailboxID int64, set []UIDRange, destMailboxID int64) (*CopyResult, error) {
	return nil, errTODO
}

// Move is Copy plus removal from the source, atomically (RFC 6851).
func (s *Store) Move(ctx context.Context, mailboxID int64, set []UIDRange, destMailboxID int64) (*CopyResult, error) {
	return nil, errTODO
}

// Expunge removes the messages flagged \Deleted whose UIDs are in set (nil set = the
// whole mailbox) and returns their UIDs ascending.
func (s *Store) Expunge(ctx context.Context, mailboxID int64, set []UIDRange) ([]uint32, error) {
	return nil, errTODO
}

// Remove removes the given UIDs whatever their flags (POP3 DELE at QUIT).
func (s *Store) Remove(ctx context.Context, mailboxID int64, uids []uint32) ([]uint32, error) {
	return nil, errTODO
}

// Search returns the UIDs in a mailbox whose field contains text (case-insensitive
// substring, any script; trigram index for 3+ characters), ascending.
func (s *Store) Search(ctx context.Context, mailboxID int64, field SearchField, text string) ([]uint32, error) {
	return nil, errTODO
}

// ---- change events ----

// Subscription delivers an account's events in commit order. C is closed by Close.
// Events are never dropped: a slow reader holds them in memory.
type Subscription struct {
	C <-chan Event
}

// Close stops the subscription.
func (sub *Subscription) Close() {}

// Subscribe starts receiving the account's events.
func (s *Store) Subscribe(accountID int64) *Subscription { return nil }

// ---- outbound queue ----

// Enqueue stores raw once and one queue item per recipient group (each group one
// remote domain, or everything for a smarthost), durably, and returns the items.
func (s *Store) Enqueue(ctx context.Context, from string, groups []QueueGroup, raw []byte) ([]QueueItem, error) {
	return nil, errTODO
}

// QueueGroup is one set of recipients that are delivered together.
type QueueGroup struct {
	Domain     string
	Recipients []string
}

// QueueItems lists all queued items, oldest first.
func (s *Store) QueueItems(ctx context.Context) ([]QueueItem, error) { return nil, errTODO }

// QueueItem finds one item. ErrNotFound if none.
func (s *Store) QueueItem(ctx context.Context, id int64) (*QueueItem, error) { return nil, errTODO }

// DueQueueItems lists items whose NextAttempt is at or before now.
func (s *Store) DueQueueItems(ctx context.Context, now time.Time) ([]QueueItem, error) {
	return nil, errTODO
}

// UpdateQueueItem saves Recipients, NextAttempt, Attempts, LastError and DelayNotified.
func (s *Store) UpdateQueueItem(ctx context.Context, item *QueueItem) error { return errTODO }

// DeleteQueueItem removes an item (delivered, bounced or deleted by the operator) and
// its blob when nothing else uses it.
func (s *Store) DeleteQueueItem(ctx context.Context, id int64) error { return errTODO }
