package sieveform

import (
	"net/mail"
	"strings"
)

// Bounds on the Filters page.
const (
	MaxRules    = 100
	MaxContains = 200
	MaxFolder   = 200
)

// Fields a rule may test: the header fields, decoded as people read them (the
// server matches RFC 2047 Japanese subjects and names as text).
var Fields = []string{"from", "to", "subject", "list-id"}

// Actions a rule may take: move (file into the folder, created when missing,
// and stop), copy (file a copy there and go on), flag (mark \Flagged), forward
// (send a copy to Target, an address) and discard (drop it and stop).
var Actions = []string{"move", "copy", "flag", "forward", "discard"}

// Rule acts on mail whose header field contains a text.
type Rule struct {
	Field    string `json:"field"`
	Contains string `json:"contains"`
	Action   string `json:"action,omitempty"` // "" = move
	// Folder is the folder of move and copy, the address of forward.
	Folder string `json:"folder,omitempty"`
	Off    bool   `json:"off,omitempty"` // kept on the page, left out of the script
}

// Normalize trims the rule and checks it.
func (r *Rule) Normalize() error {
	r.Field = strings.ToLower(strings.TrimSpace(r.Field))
	r.Contains = strings.Join(strings.Fields(r.Contains), " ")
	r.Folder = strings.TrimSpace(r.Folder)
	if r.Action == "" {
		r.Action = "move"
	}
	switch {
	case !oneOf(r.Field, Fields):
		return &Problem{"field", "flt.err.field"}
	case r.Contains == "" || len(r.Contains) > MaxContains:
		return &Problem{"contains", "flt.err.contains"}
	case !oneOf(r.Action, Actions):
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
	default:
		do = "fileinto :create " + quote(r.Folder) + ";\n  stop;"
	}
	return "if header :contains " + quote(r.Field) + " " + quote(r.Contains) + " {\n  " + do + "\n}\n"
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
	}
	return []string{"fileinto", "mailbox"}
}
