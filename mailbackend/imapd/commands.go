package imapd

import (
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// cmd is one command being run. Its handler reads the arguments from r (which
// enforces the grammar and the bounds), ends with c.end() before doing anything,
// writes untagged responses to sess.w, and returns nil (tagged OK, with okCode
// and okText if set) or an error: *imap.Error for NO/BAD with a response code,
// an imapwire syntax error for BAD, anything else for NO [SERVERBUG] (logged).
type cmd struct {
	sess    *session
	r       *imapwire.Reader
	tag     string
	name    string // upper case, "UID FETCH" for the UID forms
	uid     bool
	expunge bool // EXPUNGE responses may go out with this command (RFC 9051 section 7.5.1)

	okCode string // response code of the tagged OK, without brackets
	okText string
	done   bool // the handler wrote the tagged reply itself
}

// handler is an entry of the command table.
type handler struct {
	states connState
	run    func(c *cmd) error
	// noExpunge: the command is FETCH, STORE or SEARCH, during which no EXPUNGE
	// may be sent (RFC 9051 section 7.5.1; their UID forms are exempt).
	noExpunge bool
}

// commands is the dispatch table, filled by register from the files that
// implement the commands (an extension adds a command in its own file).
var commands = map[string]*handler{}

// register adds a command; name is upper case, "UID X" for a UID form.
func register(name string, states connState, run func(c *cmd) error) *handler {
	h := &handler{states: states, run: run}
	commands[name] = h
	return h
}

// extraCapabilities are advertised on top of the base set; extensions append
// theirs from init (e.g. "CONDSTORE").
var extraCapabilities []string

// enableable lists what ENABLE turns on (RFC 5161); extensions add theirs. The
// function runs when the client enables it (may be nil).
var enableable = map[string]func(sess *session){
	"IMAP4REV2":   func(sess *session) { sess.w.UTF8 = true }, // RFC 9051 section 4.3
	"UTF8=ACCEPT": func(sess *session) { sess.w.UTF8 = true },
}

// baseCapabilities are what this server implements (RFC 9051 section 7.2.2: a
// capability is advertised only if implemented).
var baseCapabilities = []string{
	"IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ENABLE", "IDLE", "UNSELECT",
	"NAMESPACE", "UIDPLUS", "ESEARCH", "SEARCHRES", "LIST-EXTENDED", "LIST-STATUS",
	"MOVE", "STATUS=SIZE", "BINARY", "CHILDREN", "SPECIAL-USE", "CREATE-SPECIAL-USE",
	"UNAUTHENTICATE", "ID", "UTF8=ACCEPT", "MULTIAPPEND",
}

// capabilities is the CAPABILITY list for the connection's state: STARTTLS until
// TLS is on, and AUTH=PLAIN or LOGINDISABLED depending on whether credentials may
// be sent now (RFC 9051 sections 6.2.1, 6.2.3).
func (sess *session) capabilities() string {
	var b strings.Builder
	b.WriteString(strings.Join(baseCapabilities, " "))
	b.WriteString(" APPENDLIMIT=")
	b.WriteString(strconv.FormatUint(uint64(sess.srv.appendLimit()), 10))
	for _, c := range extraCapabilities {
		b.WriteString(" " + c)
	}
	if sess.state == stateNotAuth {
		if !sess.isTLS() && sess.srv.cfg.TLS != nil {
			b.WriteString(" STARTTLS")
		}
		if sess.mayLogin() {
			b.WriteString(" AUTH=PLAIN")
		} else {
			b.WriteString(" LOGINDISABLED")
		}
	}
	return b.String()
}

// end reads the line end that closes the command's arguments.
func (c *cmd) end() error { return c.r.EOL() }

// sp reads the space before the next argument.
func (c *cmd) sp() error { return c.r.SP() }

// mailbox reads a mailbox name (RFC 9051 section 9 mailbox = "INBOX" / astring)
// and converts it from modified UTF-7 unless the client uses UTF-8 names.
func (c *cmd) mailbox() (string, error) {
	s, err := c.r.AString(maxStringLiteral)
	if err != nil {
		return "", err
	}
	return c.sess.nameFromWire(s)
}

// errBadMUTF7 refuses a mailbox name whose "&" does not start valid modified UTF-7.
// The name is a well-formed astring (RFC 9051 section 9), so it is NO, not BAD: no
// mailbox of that name can exist (imaptest atoms).
var errBadMUTF7 = noErr(imap.ResponseCodeCannot, "Mailbox name is not valid modified UTF-7")

// nameFromWire converts a mailbox name as the client sent it. An IMAP4rev1
// client uses modified UTF-7 (RFC 3501 section 5.1.3); some send UTF-8 anyway,
// which is accepted (and "&-" read as "&", as go-imap's client writes it).
func (sess *session) nameFromWire(s string) (string, error) {
	if strings.EqualFold(s, "INBOX") {
		return "INBOX", nil
	}
	if sess.utf8Names() {
		return s, nil
	}
	if dec, err := imapwire.DecodeUTF7(s); err == nil {
		return dec, nil
	}
	if strings.Contains(s, "&") {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '&' {
				end := strings.IndexByte(s[i:], '-')
				if end < 0 {
					return "", errBadMUTF7
				}
				dec, err := imapwire.DecodeUTF7(s[i : i+end+1])
				if err != nil {
					return "", errBadMUTF7
				}
				b.WriteString(dec)
				i += end
				continue
			}
			b.WriteByte(s[i])
		}
		return b.String(), nil
	}
	return s, nil
}

// writeName writes a mailbox name for this client.
func (sess *session) writeName(name string) {
	if strings.EqualFold(name, "INBOX") {
		sess.w.Raw("INBOX")
		return
	}
	if !sess.utf8Names() {
		name = imapwire.EncodeUTF7(name)
	}
	sess.w.String(name)
}

// flagList reads a parenthesized list of flags (RFC 9051 section 9 flag-list).
func (c *cmd) flagList() ([]imap.Flag, error) {
	var flags []imap.Flag
	err := c.r.List(true, func() error {
		f, err := c.flag()
		if err == nil {
			if len(flags) >= maxFlagsPerCommand {
				return &imap.Error{Type: imap.StatusResponseTypeBad, Code: imap.ResponseCodeLimit, Text: "Too many flags"}
			}
			flags = append(flags, f)
		}
		return err
	})
	return flags, err
}

// maxFlagsPerCommand bounds the flags one STORE or APPEND names.
const maxFlagsPerCommand = 1000

// flag reads one flag: "\" atom or a keyword atom.
func (c *cmd) flag() (imap.Flag, error) {
	slash, err := c.r.Maybe('\\')
	if err != nil {
		return "", err
	}
	a, err := c.r.Atom()
	if err != nil {
		return "", err
	}
	if slash {
		return imap.Flag(`\` + a), nil
	}
	return imap.Flag(a), nil
}

// numSet reads a sequence set as UIDs (UID commands) or sequence numbers.
func (c *cmd) numSet() (imap.NumSet, error) {
	set, err := c.r.SequenceSet()
	if err != nil {
		return nil, err
	}
	return toNumSet(set, c.uid), nil
}

func toNumSet(set imapwire.NumSet, uid bool) imap.NumSet {
	if set.SearchRes {
		return imap.SearchRes()
	}
	if uid {
		out := make(imap.UIDSet, len(set.Ranges))
		for i, r := range set.Ranges {
			out[i] = imap.UIDRange{Start: imap.UID(r.Start), Stop: imap.UID(r.Stop)}
		}
		return out
	}
	out := make(imap.SeqSet, len(set.Ranges))
	for i, r := range set.Ranges {
		out[i] = imap.SeqRange{Start: r.Start, Stop: r.Stop}
	}
	return out
}

// atomUpper reads an atom and upper-cases it.
func (c *cmd) atomUpper() (string, error) {
	a, err := c.r.Atom()
	return strings.ToUpper(a), err
}

// peekEnd reports whether the arguments end here.
func (c *cmd) peekEnd() (bool, error) { return c.r.AtEOL() }

func badf(text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeBad, Text: text}
}

func noErr(code imap.ResponseCode, text string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
}

var errReadOnly = noErr("READ-ONLY", "Mailbox is selected read-only")

// writeFlagList writes a parenthesized flag list.
func writeFlagList(w *imapwire.Writer, flags []imap.Flag) {
	w.Byte('(')
	for i, f := range flags {
		if i > 0 {
			w.SP()
		}
		w.Raw(string(f))
	}
	w.Byte(')')
}

var _ = store.Delimiter
