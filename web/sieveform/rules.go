package sieveform

import (
	"net/mail"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
)

// Bounds on the Filters page.
const (
	MaxRules    = 100
	MaxContains = 200
	MaxFolder   = 200
)

// Fields a rule may test: the header fields, decoded as people read them (the
// server matches RFC 2047 Japanese subjects and names as text); "header", any
// other header field the rule names (Header); and "size", the message being
// larger than Contains (a size like 5MB).
var Fields = []string{"from", "to", "subject", "list-id", "header", "size"}

// Actions a rule may take: move (file into the folder, created when missing,
// and stop), copy (file a copy there and go on), flag (mark \Flagged), forward
// (send a copy to Target, an address), discard (drop it and stop) and reject
// (refuse it in the SMTP dialogue with Folder as the reason, RFC 5429, and stop).
var Actions = []string{"move", "copy", "flag", "forward", "discard", "reject"}

// Bounds of the fields only some rules have.
const (
	MaxHeaderName = 76      // RFC 5322 section 2.1.1: a field name fits one line
	MaxReason     = 200     // what smtpd passes on in its 550 reply
	MaxSize       = 1 << 31 // bytes: far above any message the server takes
)

// Rule acts on mail whose header field contains a text, or that is larger than
// a size.
type Rule struct {
	Field    string `json:"field"`
	Header   string `json:"header,omitempty"` // the field's name when Field is "header"
	Contains string `json:"contains"`         // the text, or the size for "size"
	Action   string `json:"action,omitempty"` // "" = move
	// Folder is the folder of move and copy, the address of forward, the
	// reason of reject.
	Folder string `json:"folder,omitempty"`
	Off    bool   `json:"off,omitempty"` // kept on the page, left out of the script
}

// Normalize trims the rule and checks it.
func (r *Rule) Normalize() error {
	r.Field = strings.ToLower(strings.TrimSpace(r.Field))
	// Sieve strings are UTF-8 (RFC 5228 section 2.4.2): a byte that is not, which
	// no browser sends, becomes U+FFFD as the settings comment would make it.
	r.Contains = strings.Join(strings.Fields(strings.ToValidUTF8(r.Contains, "\uFFFD")), " ")
	r.Folder = strings.TrimSpace(strings.ToValidUTF8(r.Folder, "\uFFFD"))
	if r.Action == "" {
		r.Action = "move"
	}
	r.Header = strings.TrimSpace(r.Header)
	switch {
	case !oneOf(r.Field, Fields):
		return &Problem{"field", "flt.err.field"}
	case r.Field == "header" && !fieldName(r.Header):
		return &Problem{"header", "flt.err.header"}
	case r.Field == "size":
		if _, ok := sizeBytes(r.Contains); !ok {
			return &Problem{"contains", "flt.err.size"}
		}
	case r.Contains == "" || len(r.Contains) > MaxContains:
		return &Problem{"contains", "flt.err.contains"}
	}
	if r.Field != "header" {
		r.Header = ""
	}
	if !oneOf(r.Action, Actions) {
		return &Problem{"action", "flt.err.action"}
	}
	switch r.Action {
	case "move", "copy":
		if r.Folder == "" || len(r.Folder) > MaxFolder || strings.ContainsAny(r.Folder, "\r\n\x00") {
			return &Problem{"folder", "flt.err.folder"}
		}
	case "forward":
		// A bare address: redirect takes one (RFC 5228 section 4.2).
		a, err := mail.ParseAddress(r.Folder)
		if err != nil || a.Name != "" || len(r.Folder) > MaxFolder {
			return &Problem{"folder", "flt.err.address"}
		}
		r.Folder = a.Address
	case "reject":
		// The reason goes back to the sender in the SMTP reply, which is ASCII
		// (RFC 5321 section 4.2); empty: the server's own words.
		r.Folder = strings.Join(strings.Fields(r.Folder), " ")
		if len(r.Folder) > MaxReason || strings.IndexFunc(r.Folder, func(c rune) bool { return c < ' ' || c > '~' }) >= 0 {
			return &Problem{"folder", "flt.err.reason"}
		}
	default:
		r.Folder = ""
	}
	return nil
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// sieve is the rule's if-command.
func (r Rule) sieve() string {
	var do string
	switch r.Action {
	case "copy":
		do = "fileinto :copy :create " + quote(r.Folder) + ";"
	case "flag":
		do = `addflag "\\Flagged";`
	case "forward":
		do = "redirect :copy " + quote(r.Folder) + ";"
	case "discard":
		do = "discard;\n  stop;"
	case "reject":
		do = "reject " + quote(r.Folder) + ";\n  stop;"
	default:
		do = "fileinto :create " + quote(r.Folder) + ";\n  stop;"
	}
	return "if " + r.test() + " {\n  " + do + "\n}\n"
}

// test is the rule's condition (RFC 5228 sections 5.7 and 5.9).
func (r Rule) test() string {
	switch r.Field {
	case "size":
		n, _ := sizeBytes(r.Contains)
		return "size :over " + strconv.FormatInt(n, 10)
	case "header":
		return "header :contains " + quote(r.Header) + " " + quote(r.Contains)
	}
	return "header :contains " + quote(r.Field) + " " + quote(r.Contains)
}

// fieldName reports whether s is a header field name (RFC 5322 section 3.6.8:
// printable ASCII but the colon).
func fieldName(s string) bool {
	if s == "" || len(s) > MaxHeaderName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 || s[i] == ':' {
			return false
		}
	}
	return true
}

// sizeBytes reads a size as people write it: "5MB", "500 KB", "2MiB", "100000".
func sizeBytes(s string) (int64, bool) {
	n, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil || n == 0 || n > MaxSize {
		return 0, false
	}
	return int64(n), true
}

// extensions are what the rule's action needs to be required.
func (r Rule) extensions() []string {
	switch r.Action {
	case "copy":
		return []string{"fileinto", "mailbox", "copy"}
	case "flag":
		return []string{"imap4flags"}
	case "forward":
		return []string{"copy"}
	case "discard":
		return nil
	case "reject":
		return []string{"reject"}
	}
	return []string{"fileinto", "mailbox"}
}
