package imapsort

import (
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// MaxReferences bounds the references kept of one message: the first (the thread's
// root) and the newest ones, which link a reply to its parent. A header with
// thousands of ids (a hostile or runaway thread) costs no more than this.
const MaxReferences = 100

// maxMsgIDLen drops ids longer than an RFC 5322 line: nothing real is longer.
const maxMsgIDLen = 998

// ParseMessageID returns the first msg-id of a Message-ID field value, without its
// angle brackets or white space, or "".
func ParseMessageID(v string) string {
	if ids := cleanIDs(mailformat.MessageIDs(v)); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// ParseReferences returns a message's references as RFC 5256 step 1.A takes them:
// the msg-ids of its References field or, when that has none, the first msg-id of
// In-Reply-To; at most MaxReferences of them.
func ParseReferences(references, inReplyTo string) []string {
	ids := cleanIDs(mailformat.MessageIDs(references))
	if len(ids) == 0 {
		if id := ParseMessageID(inReplyTo); id != "" {
			return []string{id}
		}
		return nil
	}
	if len(ids) > MaxReferences {
		ids = append(ids[:1], ids[len(ids)-MaxReferences+1:]...)
	}
	return ids
}

// cleanIDs removes white space inside ids (folding, obsolete CFWS around the '@')
// and drops the empty and the overlong.
func cleanIDs(ids []string) []string {
	out := ids[:0]
	for _, id := range ids {
		if strings.ContainsAny(id, " \t\r\n") {
			id = strings.Join(strings.Fields(id), "")
		}
		if id != "" && len(id) <= maxMsgIDLen {
			out = append(out, id)
		}
	}
	return out
}
