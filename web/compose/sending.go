package compose

import (
	"bytes"
	"time"
)

// ForSending turns the version of a message that waited in Drafts for its send
// time (built by BuildDraft, so it keeps Bcc) into the one submitted: the Bcc
// field is removed (RFC 5322 section 3.6.3: the other recipients must not see
// it) and Date becomes the time it is actually sent (section 3.6.1: "the date
// and time at which the creator of the message indicated that the message was
// complete and ready to enter the mail delivery system"). Everything else,
// Message-ID included, is kept byte for byte.
func ForSending(raw []byte, now time.Time) []byte {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return raw
	}
	header, rest := raw[:end+2], raw[end+2:]
	var out bytes.Buffer
	out.Grow(len(raw))
	skip := false
	dated := false
	for len(header) > 0 {
		i := bytes.Index(header, []byte("\r\n"))
		line := header[:i+2]
		header = header[i+2:]
		if line[0] == ' ' || line[0] == '\t' { // a folded continuation of the field before
			if !skip {
				out.Write(line)
			}
			continue
		}
		name, _, _ := bytes.Cut(line, []byte(":"))
		skip = false
		switch {
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Bcc")):
			skip = true
		case bytes.EqualFold(bytes.TrimSpace(name), []byte("Date")):
			skip = true
			if !dated {
				dated = true
				out.WriteString("Date: " + now.Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\r\n")
			}
		default:
			out.Write(line)
		}
	}
	out.Write(rest)
	return out.Bytes()
}
