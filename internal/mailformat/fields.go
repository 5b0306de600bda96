package mailformat

import (
	"bytes"
	"strings"
)

// EachHeaderField calls fn with the lower-case name and the unfolded value of every
// field of msg's header, in order, in one pass over the header. Lines that are not
// fields are skipped. msg may be a whole message or its header alone.
func EachHeaderField(msg []byte, fn func(name, value string)) {
	header := msg[:HeaderEnd(msg)]
	var name string
	var value []byte
	flush := func() {
		if name != "" {
			fn(name, string(bytes.TrimSpace(value)))
		}
		name, value = "", nil
	}
	for len(header) > 0 {
		line := header
		if i := bytes.Index(header, []byte("\r\n")); i >= 0 {
			line, header = header[:i], header[i+2:]
		} else {
			header = nil
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if name != "" {
				value = append(value, line...) // folded: RFC 5322 section 2.2.3
			}
			continue
		}
		flush()
		if n, v, ok := bytes.Cut(line, []byte(":")); ok {
			name, value = strings.ToLower(string(bytes.TrimSpace(n))), append([]byte(nil), v...)
		}
	}
	flush()
}

// HeaderEnd returns the offset just past the header's last CRLF, where the empty
// line that ends it starts (or len(msg) when there is no body): where fields can
// be appended to the header. A message that starts with the empty line has no
// header (RFC 5322 section 2.1).
func HeaderEnd(msg []byte) int {
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return 0
	}
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return i + 2
	}
	return len(msg)
}
