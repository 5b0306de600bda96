package handlers

import (
	"net/http"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// senderChoices are the From addresses the compose form offers: the account's own
// (with the display name and the main signature), then each identity set up in
// the settings (issue 15 item 1: an alias sends with its own name, reply-to and
// signature).
func (h *Handlers) senderChoices(r *http.Request) []templates.FromChoice {
	user := session.FromContext(r.Context()).User
	st := settings.FromContext(r.Context())
	out := []templates.FromChoice{{Address: user, Label: label(h.displayName(r), user), Signature: st.Signature}}
	for _, id := range st.Identities {
		if strings.EqualFold(id.Address, user) {
			out[0].Signature = id.Signature // the own address's row, if set up, wins
			continue
		}
		out = append(out, templates.FromChoice{Address: id.Address, Label: label(id.Name, id.Address), Signature: id.Signature})
	}
	return out
}

func label(name, addr string) string {
	if name == "" {
		return addr
	}
	return name + " <" + addr + ">"
}

// sender is the From and Reply-To of a posted form: the chosen identity, or the
// account's own address when the choice is not one of them (the submission
// server would refuse a stranger's address anyway).
func (h *Handlers) sender(r *http.Request, chosen string) (compose.Address, string) {
	user := session.FromContext(r.Context()).User
	st := settings.FromContext(r.Context())
	if !strings.EqualFold(chosen, user) {
		if id, ok := st.Identity(chosen); ok {
			name := id.Name
			if name == "" {
				name = h.displayName(r)
			}
			return compose.Address{Name: name, Email: id.Address}, id.ReplyTo
		}
	}
	replyTo := ""
	if id, ok := st.Identity(user); ok {
		replyTo = id.ReplyTo
	}
	return compose.Address{Name: h.displayName(r), Email: user}, replyTo
}

// withSignature places sig in a new body: below the user's text for new mail,
// and above or below the quoted text of a reply or forward as the settings say.
// The cursor goes to the start of the body, where the user writes.
func withSignature(body, quoted, sig string, above bool) string {
	sig = strings.TrimRight(strings.ReplaceAll(sig, "\r\n", "\n"), "\n")
	switch {
	case sig == "" && quoted == "":
		return body
	case sig == "":
		return body + "\n\n" + quoted
	case quoted == "":
		return body + "\n\n" + sig + "\n"
	case above:
		return body + "\n\n" + sig + "\n\n" + quoted
	default:
		return body + "\n\n" + quoted + "\n" + sig + "\n"
	}
}
