package mailclient

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// Special-use attributes (RFC 6154 section 2) the webmail looks for.
const (
	UseSent    = `\Sent`
	UseDrafts  = `\Drafts`
	UseTrash   = `\Trash`
	UseJunk    = `\Junk`
	UseArchive = `\Archive`
)

// fallbackNames are used when a server announces no special-use attributes.
var fallbackNames = map[string]string{UseSent: "Sent", UseDrafts: "Drafts", UseTrash: "Trash", UseJunk: "Junk", UseArchive: "Archive"}

// Folder is one mailbox in the folder list.
type Folder struct {
	Name       string // full IMAP name
	Display    string // last hierarchy level
	Depth      int    // hierarchy level, 0 at the top
	Delim      string // the hierarchy separator ("/", "."), "" when the server has none
	SpecialUse string // one of the Use* constants, `\Inbox` for INBOX, or ""
	Messages   uint32
	Unseen     uint32
	Size       int64 // bytes, when the server reports it (RFC 8438 STATUS=SIZE); else -1
	NoSelect   bool
}

// Summary is one row of the message list.
type Summary struct {
	Mailbox       string // set by SearchMessages, whose results may come from several
	UID           uint32
	SeqNum        uint32
	From          []Address
	To            []Address
	Subject       string
	Date          time.Time
	Size          int64
	Seen          bool
	Flagged       bool
	Answered      bool
	Draft         bool
	HasAttachment bool
	// Preview is a line of the message's text (mailformat.Preview) from the start
	// of its body, "" when it has none.
	Preview string
	// MessageID is the message's Message-ID as written ("<id@host>"), or "".
	MessageID string
}

// MessagePage is one page of a mailbox, newest first.
type MessagePage struct {
	Mailbox  string
	Total    uint32
	Page     int // 0-based
	Pages    int
	Messages []Summary
}

// Folders lists every mailbox with its message and unseen counts. One LIST-STATUS
// (RFC 5819) round trip when the server offers it, else LIST then STATUS per mailbox.
func (cl *Client) Folders(ctx context.Context) ([]Folder, error) {
	var out []Folder
	err := cl.DoIMAP(ctx, func(s *Session) error {
		out = out[:0]
		caps := s.C.Caps()
		listStatus := caps.Has(imap.CapListStatus) || caps.Has(imap.CapIMAP4rev2)
		opts := &imap.ListOptions{ReturnSpecialUse: caps.Has(imap.CapSpecialUse) || caps.Has(imap.CapIMAP4rev2)}
		// Sizes cost nothing extra in the same answer and make the storage usage.
		statusOpts := &imap.StatusOptions{NumMessages: true, NumUnseen: true,
			Size: caps.Has(imap.CapStatusSize) || caps.Has(imap.CapIMAP4rev2)}
		if listStatus {
			opts.ReturnStatus = statusOpts
		}
		list, err := s.C.List("", "*", opts).Collect()
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		for _, l := range list {
			f := Folder{Name: l.Mailbox, Display: l.Mailbox, Size: -1}
			if l.Delim != 0 {
				parts := strings.Split(l.Mailbox, string(l.Delim))
				f.Display, f.Depth, f.Delim = parts[len(parts)-1], len(parts)-1, string(l.Delim)
			}
			for _, a := range l.Attrs {
				switch strings.ToLower(string(a)) {
				case `\noselect`, `\nonexistent`:
					f.NoSelect = true
				case `\sent`, `\drafts`, `\trash`, `\junk`, `\archive`:
					f.SpecialUse = canonicalUse(string(a))
				}
			}
			if strings.EqualFold(l.Mailbox, "INBOX") {
				f.SpecialUse = `\Inbox`
			}
			st := l.Status
			if st == nil && !f.NoSelect {
				st, _ = s.C.Status(l.Mailbox, statusOpts).Wait()
			}
			if st != nil {
				f.Messages, f.Unseen = derefU32(st.NumMessages), derefU32(st.NumUnseen)
				if st.Size != nil {
					f.Size = *st.Size
				}
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// No special-use attributes at all: fall back to the conventional names.
	if !slices.ContainsFunc(out, func(f Folder) bool { return f.SpecialUse != "" && f.SpecialUse != `\Inbox` }) {
		for i := range out {
			for use, name := range fallbackNames {
				if strings.EqualFold(out[i].Name, name) {
					out[i].SpecialUse = use
				}
			}
		}
	}
	sortFolders(out)
	cl.mu.Lock()
	cl.folders = slices.Clone(out)
	cl.mu.Unlock()
	return out, nil
}

func canonicalUse(a string) string {
	for _, u := range []string{UseSent, UseDrafts, UseTrash, UseJunk, UseArchive} {
		if strings.EqualFold(u, a) {
			return u
		}
	}
	return ""
}

var useOrder = map[string]int{`\Inbox`: 0, UseDrafts: 1, UseSent: 2, UseArchive: 3, UseJunk: 4, UseTrash: 5}

// sortFolders puts INBOX and the special folders first, then the rest by name, so the
// list reads the same on every server.
func sortFolders(fs []Folder) {
	sort.SliceStable(fs, func(i, j int) bool {
		oi, iok := useOrder[fs[i].SpecialUse]
		oj, jok := useOrder[fs[j].SpecialUse]
		if !iok {
			oi = 10
		}
		if !jok {
			oj = 10
		}
		if oi != oj {
			return oi < oj
		}
		return fs[i].Name < fs[j].Name
	})
}

func derefU32(p *uint32) uint32 {
	if p == nil {
		return 0
	}
	return *p
}

// SpecialFolder returns the name of the mailbox with the given special use, from the
// last folder list (listing if there is none), or the conventional name.
func (cl *Client) SpecialFolder(ctx context.Context, use string) string {
	cl.mu.Lock()
	fs := cl.folders
	cl.mu.Unlock()
	if fs == nil {
		fs, _ = cl.Folders(ctx)
	}
	for _, f := range fs {
		if f.SpecialUse == use {
			return f.Name
		}
	}
	return fallbackNames[use]
}

// ListMessages returns page (0-based) of mailbox, perPage messages, newest first.
// It never fetches the whole mailbox: SELECT (or NOOP when already selected) gives
// EXISTS, and one FETCH asks for the sequence range of just this page.
func (cl *Client) ListMessages(ctx context.Context, mailbox string, page, perPage int) (*MessagePage, error) {
	if perPage <= 0 {
		perPage = 50
	}
	if page < 0 {
		page = 0
	}
	res := &MessagePage{Mailbox: mailbox, Page: page}
	err := cl.DoIMAP(ctx, func(s *Session) error {
		res.Messages = res.Messages[:0]
		n, err := s.Select(mailbox)
		if err != nil {
			return err
		}
		res.Total = n
		res.Pages = max(1, (int(n)+perPage-1)/perPage)
		hi := int64(n) - int64(page)*int64(perPage)
		if hi < 1 {
			return nil
		}
		lo := max(1, hi-int64(perPage)+1)
		rows, err := s.pageRows(mailbox, uint32(lo), uint32(hi))
		if err != nil {
			return fmt.Errorf("fetch %s %d:%d: %w", mailbox, lo, hi, err)
		}
		res.Messages = append(res.Messages, rows...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(res.Messages, func(i, j int) bool { return res.Messages[i].SeqNum > res.Messages[j].SeqNum })
	return res, nil
}

// listHeader is the part of each message the list reads. The raw header fields, not
// the ENVELOPE: an IMAP client library decodes ENVELOPE encoded words by their label
// (UTF-8 under an ISO-8859-1 label becomes mojibake), and other servers put raw 8-bit
// Shift_JIS into it; the raw fields decoded by internal/mailformat, the parser the
// message page and yubin's search index use, show the same text everywhere.
// Content-Type is there for its charset, the hint for raw 8-bit header text.
var listHeader = &imap.FetchItemBodySection{
	Specifier: imap.PartSpecifierHeader, Peek: true,
	HeaderFields: []string{"Date", "Subject", "From", "To", "Message-ID", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"},
}

// PreviewBytes is how much of each body the list fetches for its preview line:
// enough for the first sentences of a plain or multipart/alternative mail, small
// enough that a page of 50 rows reads 100 KiB at most. A server with RFC 8970
// PREVIEW could say it itself, but the IMAP client library cannot ask for it yet.
const PreviewBytes = 2048

// listText is the start of the body (BODY.PEEK[TEXT]<0.PreviewBytes>, RFC 9051
// section 6.4.5), decoded with the header's Content-Type and transfer encoding.
var listText = &imap.FetchItemBodySection{
	Specifier: imap.PartSpecifierText, Peek: true,
	Partial: &imap.SectionPartial{Offset: 0, Size: PreviewBytes},
}

// listFetch is what a row of the message list needs.
func listFetch() *imap.FetchOptions {
	return &imap.FetchOptions{
		UID: true, Flags: true, RFC822Size: true, InternalDate: true,
		BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
		BodySection:   []*imap.FetchItemBodySection{listHeader, listText},
	}
}

func summarize(m *imapclient.FetchMessageBuffer) Summary {
	s := Summary{UID: uint32(m.UID), SeqNum: m.SeqNum, Size: m.RFC822Size}
	applyFlags(&s, m.Flags)
	if hdr := m.FindBodySection(listHeader); len(hdr) > 0 {
		if p, err := mailformat.Parse(hdr); err == nil {
			env := p.Envelope
			s.Subject = mailformat.DisplayHeader(env.Subject)
			s.Date = env.Date
			s.From = addrs(env.From)
			s.To = addrs(env.To)
			s.MessageID = strings.TrimSpace(env.MessageID)
		}
		if text := m.FindBodySection(listText); len(text) > 0 {
			// The fetched header fields end with their blank line; the text follows.
			s.Preview = mailformat.Preview(append(hdr[:len(hdr):len(hdr)], text...), 0)
		}
	}
	if s.Date.IsZero() {
		// No (or an unparsable) Date header: the arrival time (INTERNALDATE, RFC 9051
		// section 2.3.3) is the next best thing, and better than a blank column.
		s.Date = m.InternalDate
	}
	s.HasAttachment = hasAttachment(m.BodyStructure)
	return s
}

// Address is one mailbox of an address list, decoded for the message list.
type Address struct{ Name, Email string }

// Label is what a list shows for the address: the name, or the email without one.
func (a Address) Label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

func addrs(in []mailformat.Address) []Address {
	out := make([]Address, 0, len(in))
	for _, a := range in {
		if a.IsGroupStart() || a.IsGroupEnd() {
			continue
		}
		out = append(out, Address{Name: mailformat.DisplayHeader(a.Name), Email: a.Addr()})
	}
	return out
}

// hasAttachment: a part with disposition attachment, or a named non-text leaf,
// except an image a multipart/related shows in its HTML (a Content-ID, not
// disposition attachment): the rule internal/mailformat keeps for the server's
// own flag, so a mail with only pasted pictures has no paper clip.
func hasAttachment(bs imap.BodyStructure) bool { return attachmentIn(bs, "") }

func attachmentIn(bs imap.BodyStructure, parentSubtype string) bool {
	switch p := bs.(type) {
	case *imap.BodyStructureMultiPart:
		for _, c := range p.Children {
			if attachmentIn(c, p.Subtype) {
				return true
			}
		}
	case *imap.BodyStructureSinglePart:
		d := p.Disposition()
		if d != nil && strings.EqualFold(d.Value, "attachment") {
			return true
		}
		if p.MessageRFC822 != nil && p.MessageRFC822.BodyStructure != nil && attachmentIn(p.MessageRFC822.BodyStructure, "") {
			return true
		}
		if p.Filename() == "" || strings.EqualFold(p.Type, "text") {
			return false
		}
		return p.ID == "" || !strings.EqualFold(parentSubtype, "related")
	}
	return false
}
