package store

import (
	"errors"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// Errors callers branch on. Wrapped errors keep these as their cause.
var (
	ErrNotFound         = errors.New("not found")
	ErrExists           = errors.New("already exists")
	ErrNotLocal         = errors.New("domain is not local")
	ErrUnknownRecipient = errors.New("no such user here")
	ErrInvalidName      = errors.New("invalid name")
	ErrHasChildren      = errors.New("mailbox has children")
	ErrInboxProtected   = errors.New("INBOX cannot be deleted")
	ErrTooBig           = errors.New("message too big")
)

// Special-use attributes (RFC 6154) a mailbox can carry.
const (
	SpecialDrafts  = `\Drafts`
	SpecialSent    = `\Sent`
	SpecialTrash   = `\Trash`
	SpecialJunk    = `\Junk`
	SpecialArchive = `\Archive`
	SpecialAll     = `\All`
	SpecialFlagged = `\Flagged`
)

// System flags. Keywords are any other atom.
const (
	FlagSeen     = `\Seen`
	FlagAnswered = `\Answered`
	FlagFlagged  = `\Flagged`
	FlagDeleted  = `\Deleted`
	FlagDraft    = `\Draft`
)

// Delimiter separates levels of the mailbox hierarchy.
const Delimiter = '/'

// DefaultMailboxes are created for every new account, in this order.
var DefaultMailboxes = []struct{ Name, SpecialUse string }{
	{"INBOX", ""},
	{"Drafts", SpecialDrafts},
	{"Sent", SpecialSent},
	{"Trash", SpecialTrash},
	{"Junk", SpecialJunk},
	{"Archive", SpecialArchive},
}

// Account is one mail user.
type Account struct {
	ID           int64
	Address      string // lower-case local@domain
	DisplayName  string
	PasswordHash string // PHC-format argon2id hash, written by auth.HashPassword
	Created      time.Time
}

// Alias sends mail for Address to every one of Targets (local account addresses).
type Alias struct {
	Address string
	Targets []string
}

// Mailbox is one IMAP mailbox with its state.
type Mailbox struct {
	ID          int64
	AccountID   int64
	Name        string // full hierarchical name with Delimiter; "INBOX" is always upper case
	UIDValidity uint32
	UIDNext     uint32
	Subscribed  bool
	SpecialUse  string // one of the Special* constants or ""
	// ObjectID is the MAILBOXID (RFC 8474 section 4): fixed at creation, kept by
	// RENAME, never reused.
	ObjectID string
}

// MailboxStatus are the counts STATUS, SELECT and the webmail's folder list need.
type MailboxStatus struct {
	Messages    uint32
	Unseen      uint32
	Deleted     uint32
	Size        int64 // sum of message sizes
	UIDNext     uint32
	UIDValidity uint32
	// HighestModSeq is the mailbox's HIGHESTMODSEQ (RFC 7162 section 3.1.2): the
	// modseq of its last change, expunges included.
	HighestModSeq uint64
}

// UIDRange is an inclusive range of UIDs. Stop 0 means "to the end" (IMAP's "*").
type UIDRange struct {
	Start, Stop uint32
}

// AllUIDs is the range covering a whole mailbox.
var AllUIDs = []UIDRange{{Start: 1, Stop: 0}}

// Message is the stored metadata of one message in one mailbox. Envelope and Structure
// are filled only when asked for (FetchOptions) and never need the blob.
type Message struct {
	MailboxID      int64
	UID            uint32
	Flags          []string // system flags and keywords, sorted
	InternalDate   time.Time
	Size           int64
	BlobID         string // content address; open with Store.OpenBlob
	HasAttachments bool
	Envelope       *mailformat.Envelope
	Structure      *mailformat.Part
	ModSeq         uint64    // RFC 7162: the mailbox's modseq at the message's last change
	SavedAt        time.Time // RFC 8514 save date; zero when unknown (stored before schema 6)
	// MessageID and References (FetchOptions.Threading; threading.go): msg-ids
	// without brackets, References as RFC 5256 takes them (In-Reply-To's first
	// id when the message has no References).
	MessageID  string
	References []string
}

// FetchOptions says which stored parts of the metadata to load.
type FetchOptions struct {
	Envelope  bool
	Structure bool
	Threading bool // MessageID and References
	// DateSubject, without Envelope, gives an Envelope holding only Date and
	// Subject, which decode in about half the time of the whole: what THREAD reads
	// of every message of a mailbox.
	DateSubject bool
}

// Recipient is one local delivery target.
type Recipient struct {
	AccountID int64
	Mailbox   string // "" means INBOX
	Flags     []string
	// NoQuota stores the copy even past the account's quota: for the server's own
	// small notices (bounces, delay notices), which the user must see and which
	// have nowhere else to go.
	NoQuota bool
}

// Delivered reports where one recipient's copy landed.
type Delivered struct {
	AccountID   int64
	MailboxID   int64
	UID         uint32
	UIDValidity uint32
	ModSeq      uint64 // the new message's modseq (RFC 7162)
}

// FlagOp says how StoreFlags combines the given flags with the current ones.
type FlagOp int

const (
	FlagsSet FlagOp = iota
	FlagsAdd
	FlagsRemove
)

// FlagUpdate is a message's flags after a change, and its modseq since.
type FlagUpdate struct {
	UID    uint32
	Flags  []string
	ModSeq uint64
}

// CopyResult maps source UIDs to the UIDs of the copies (UIDPLUS COPYUID).
type CopyResult struct {
	UIDValidity uint32 // of the destination
	SourceUIDs  []uint32
	DestUIDs    []uint32
}

// SearchField names what a full-text search looks in.
type SearchField int

const (
	SearchText    SearchField = iota // headers and body (IMAP TEXT)
	SearchBody                       // body only (IMAP BODY)
	SearchSubject                    // decoded Subject
	SearchFrom
	SearchTo
	SearchCc
	SearchBcc
)

// EventKind says what changed.
type EventKind int

const (
	EventNew       EventKind = iota // UIDs were added to MailboxID
	EventExpunge                    // UIDs were removed from MailboxID
	EventFlags                      // Flags of some messages in MailboxID changed
	EventMailboxes                  // the account's mailbox list changed (create/rename/delete)
)

// Event is one change, published after it is committed.
type Event struct {
	Kind      EventKind
	AccountID int64
	MailboxID int64
	UIDs      []uint32     // EventNew, EventExpunge: ascending
	Flags     []FlagUpdate // EventFlags
	// ModSeq is the mailbox's HIGHESTMODSEQ after the change (RFC 7162): the modseq
	// of every message an EventFlags changed, of the expunge of EventExpunge, of the
	// last message of EventNew; 0 for EventMailboxes.
	ModSeq uint64
}

// QueueItem is one outbound message waiting for delivery to one or more recipients
// in one remote domain (or to the smarthost).
type QueueItem struct {
	ID            int64
	From          string // envelope sender; "" is the null sender <>
	Recipients    []string
	Domain        string
	BlobID        string
	Size          int64
	Created       time.Time
	NextAttempt   time.Time
	Attempts      int
	LastError     string
	DelayNotified bool
}
