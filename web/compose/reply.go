package compose

import (
	"regexp"
	"strings"
	"time"
)

// replyPrefix matches the reply markers clients put in front of a subject:
// "Re:", "RE:", "Re[2]:", "Re(2):", "Re：" (full-width colon), "AW:", "SV:",
// "Antw:", "返信:", repeated any number of times.
var replyPrefix = regexp.MustCompile(`^(?i)\s*((re|aw|sv|antw|vs|ref|返信)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*)+`)

var forwardPrefix = regexp.MustCompile(`^(?i)\s*(fwd?|tr|wg|転送)\s*(\[\d+\])?\s*[:：]`)

// ReplySubject returns "Re: " plus subject without its reply prefixes, so
// replying to a reply does not pile them up.
func ReplySubject(subject string) string {
	s := strings.TrimSpace(replyPrefix.ReplaceAllString(subject, ""))
	return "Re: " + s
}

// ForwardSubject returns "Fwd: " plus subject, unless it already is a
// forward.
func ForwardSubject(subject string) string {
	s := strings.TrimSpace(subject)
	if forwardPrefix.MatchString(s) {
		return s
	}
	return "Fwd: " + s
}

// Quote returns text quoted for a reply: an attribution line
// "On <date>, <from> wrote:" and every line prefixed with "> " (">" before
// an already quoted line or an empty one, so nested quotes stay readable).
func Quote(from string, date time.Time, text string) string {
	if date.IsZero() {
		return QuoteWith(from+" wrote:", text)
	}
	return QuoteWith("On "+date.Format("Mon, Jan 2, 2006 at 15:04")+", "+from+" wrote:", text)
}

// QuoteWith quotes text under an attribution line the caller wrote (in the user's
// language): "> " before each line, ">" alone for blank lines, and one more ">" for
// lines already quoted.
func QuoteWith(header, text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.TrimRight(text, "\n")
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, l := range strings.Split(text, "\n") {
		switch {
		case l == "":
			b.WriteString(">\n")
		case strings.HasPrefix(l, ">"):
			b.WriteString(">" + l + "\n")
		default:
			b.WriteString("> " + l + "\n")
		}
	}
	return b.String()
}
