package settings

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Settings are one account's preferences. The zero value of a field that was
// never saved is replaced by its default (Defaults) when read.
type Settings struct {
	// DisplayName is the name in the From of sent mail. NameChosen says the user
	// saved one (possibly empty); until then the mail server's name for the
	// account (Directory) is used.
	DisplayName string `json:"display_name"`
	NameChosen  bool   `json:"name_chosen"`
	// Signature is appended to new mail, replies and forwards; SignatureAbove puts
	// it above the quoted text of a reply instead of below.
	Signature      string `json:"signature"`
	SignatureAbove bool   `json:"signature_above"`
	// RichText opens the compose form in the simple rich-text editor (bold,
	// italic, lists, links) instead of plain text, the default.
	RichText bool `json:"rich_text"`
	// Identities are the other addresses the user sends as (aliases), each with
	// its own name, reply-to and signature. The mail server decides at submission
	// whether an address is the user's.
	Identities []Identity `json:"identities"`
	// Lang is the UI language, "en" or "ja"; "" follows the browser.
	Lang string `json:"lang"`
	// TimeZone is an IANA zone name ("Asia/Tokyo"); "" is the browser's zone
	// (handlers/zone.go), else the server's.
	TimeZone string `json:"time_zone"`
	// PerPage is how many messages a list page shows (one of PageSizes).
	PerPage int `json:"per_page"`
	// UndoSeconds is how long a sent message waits for Undo (0..MaxUndoSeconds).
	// A pointer so that a saved 0 (no delay) differs from "never saved".
	UndoSeconds *int `json:"undo_seconds"`
	// RemoteImages is when a mail's remote images load (through the image proxy):
	// ImagesAsk (the default: on request, and from the senders of ImageSenders),
	// ImagesAlways or ImagesNever (only on request, the sender list ignored).
	RemoteImages string `json:"remote_images"`
	// PushContent is what a Web Push notification of new mail says: PushFull
	// (the default: sender and subject) or PushBare ("New mail" only).
	PushContent string `json:"push_content"`
	// Reading: the list's layout, conversation grouping and where a delete, archive
	// or move from a message goes (reading.go; "" is the default of each).
	Layout    string `json:"layout"`
	Grouping  string `json:"grouping"`
	AfterMove string `json:"after_move"`

	// Saved is true when the account has a stored row (not written to it).
	Saved bool `json:"-"`
}

// Identity is one address the user sends as.
type Identity struct {
	Address   string `json:"address"`
	Name      string `json:"name"`
	ReplyTo   string `json:"reply_to"`
	Signature string `json:"signature"`
}

// Bounds of what is stored.
const (
	MaxUndoSeconds     = 30
	DefaultUndoSeconds = 10
	DefaultPerPage     = 50
	MaxIdentities      = 20
	MaxSignatureBytes  = 8 << 10
	MaxNameBytes       = 200
	MaxAddressBytes    = 254 // RFC 5321 section 4.5.3.1.3 (path) less the brackets
)

// PageSizes are the list page sizes offered.
var PageSizes = []int{20, 50, 100, 200}

// Defaults are the settings of an account that never saved any.
func Defaults() Settings {
	undo := DefaultUndoSeconds
	return Settings{PerPage: DefaultPerPage, UndoSeconds: &undo, RemoteImages: ImagesAsk, PushContent: PushFull}
}

// Undo is the undo-send delay.
func (s Settings) Undo() time.Duration {
	if s.UndoSeconds == nil {
		return DefaultUndoSeconds * time.Second
	}
	return time.Duration(*s.UndoSeconds) * time.Second
}

// Location is the user's time zone, or def when none is set (or it is unknown
// here).
func (s Settings) Location(def *time.Location) *time.Location {
	if s.TimeZone == "" {
		return def
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return def
	}
	return loc
}

// ValidTimeZone reports whether name is a zone this machine knows ("" is valid:
// the server's).
func ValidTimeZone(name string) bool {
	if name == "" {
		return true
	}
	if strings.ContainsAny(name, " \\") || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Normalize replaces what is out of range with its default and trims what is too
// long, so that whatever was stored or posted reads as something sensible.
func (s *Settings) Normalize() {
	s.DisplayName = clip(oneLine(s.DisplayName), MaxNameBytes)
	s.Signature = clip(s.Signature, MaxSignatureBytes)
	if s.Lang != "en" && s.Lang != "ja" {
		s.Lang = ""
	}
	if !ValidTimeZone(s.TimeZone) {
		s.TimeZone = ""
	}
	if s.RemoteImages != ImagesAlways && s.RemoteImages != ImagesNever {
		s.RemoteImages = ImagesAsk
	}
	if s.PushContent != PushBare {
		s.PushContent = PushFull
	}
	if !slices.Contains(PageSizes, s.PerPage) {
		s.PerPage = DefaultPerPage
	}
	if s.UndoSeconds == nil || *s.UndoSeconds < 0 || *s.UndoSeconds > MaxUndoSeconds {
		undo := DefaultUndoSeconds
		s.UndoSeconds = &undo
	}
	s.normalizeReading()
	ids := s.Identities[:0:0]
	for _, id := range s.Identities {
		id.Address = clip(oneLine(id.Address), MaxAddressBytes)
		if id.Address == "" {
			continue
		}
		id.Name = clip(oneLine(id.Name), MaxNameBytes)
		id.ReplyTo = clip(oneLine(id.ReplyTo), MaxAddressBytes)
		id.Signature = clip(id.Signature, MaxSignatureBytes)
		ids = append(ids, id)
	}
	if len(ids) > MaxIdentities {
		ids = ids[:MaxIdentities]
	}
	s.Identities = ids
}

func (s Settings) clone() Settings {
	s.Identities = slices.Clone(s.Identities)
	if s.UndoSeconds != nil {
		u := *s.UndoSeconds
		s.UndoSeconds = &u
	}
	return s
}

// Identity returns the identity for address (case-insensitive), if the user set
// one up.
func (s Settings) Identity(address string) (Identity, bool) {
	for _, id := range s.Identities {
		if strings.EqualFold(id.Address, address) {
			return id, true
		}
	}
	return Identity{}, false
}

// oneLine removes line breaks and other control characters: names and addresses
// end up in header fields (RFC 5322 section 2.2: no CR or LF in a field body).
func oneLine(v string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, v))
}

// clip cuts v to at most n bytes on a character boundary.
func clip(v string, n int) string {
	if len(v) <= n {
		return v
	}
	v = v[:n]
	for len(v) > 0 && !utf8.ValidString(v) {
		v = v[:len(v)-1]
	}
	return v
}

// Directory is what the mail server knows of an account. The bundled server
// provides it (cmd/yubin: the local account, or the LDAP entry); it is nil when
// the webmail runs against another server.
type Directory interface {
	// Account returns the account's display name ("" when it has none) and the
	// addresses it may send as, its own first.
	Account(ctx context.Context, login string) (Account, error)
}

// Account is a Directory answer.
type Account struct {
	Name    string
	Senders []string
}

type ctxKey struct{}

// NewContext returns ctx carrying the signed-in account's settings.
func NewContext(ctx context.Context, s Settings) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the settings NewContext stored, or the defaults.
func FromContext(ctx context.Context) Settings {
	if s, ok := ctx.Value(ctxKey{}).(Settings); ok {
		return s
	}
	return Defaults()
}
