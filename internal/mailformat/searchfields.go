package mailformat

import (
	"bytes"
	"strings"
)

// SearchHeaderLimit bounds how much of a message IMAP SEARCH HEADER reads for its
// header: fields past it are not searched.
const SearchHeaderLimit = 256 << 10

// SearchHeader is the header of raw as SEARCH HEADER reads it: at most
// SearchHeaderLimit bytes, up to (not including) the first empty line, line ends
// kept. A line of nothing but CR and LF characters counts as empty.
func SearchHeader(raw []byte) []byte {
	raw = raw[:min(len(raw), SearchHeaderLimit)]
	end := 0
	for end < len(raw) {
		line := raw[end:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		end += len(line)
	}
	return raw[:end]
}

// UnfoldFields unfolds a header into "Name: value" strings as SEARCH HEADER matches
// them, each continuation line joined by one space; never nil. Each field is built
// once: appending every folded line to the field so far copied it again each time,
// quadratic in a header folded over thousands of lines.
func UnfoldFields(h []byte) []string {
	out := []string{}
	var field strings.Builder
	open := false
	for _, line := range strings.SplitAfter(string(h), "\n") {
		l := strings.TrimRight(line, "\r\n")
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && open {
			field.WriteByte(' ')
			field.WriteString(strings.TrimLeft(l, " \t"))
			continue
		}
		if open {
			out = append(out, field.String())
			field.Reset()
		}
		field.WriteString(l)
		open = true
	}
	if open {
		out = append(out, field.String())
	}
	return out
}

// FieldName is the name of an unfolded field of UnfoldFields, as SEARCH HEADER
// compares it (case aside): the text before the colon, trimmed; ok is false for a
// line that is no field.
func FieldName(field string) (name string, ok bool) {
	k, _, ok := strings.Cut(field, ":")
	return strings.TrimSpace(k), ok
}
