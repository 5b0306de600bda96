package imapsort

import (
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
	"golang.org/x/text/unicode/norm"
)

// BaseSubject returns the base subject of a Subject header value as written (RFC
// 2047 words intact, folding allowed), and whether the subject marked the message as
// a reply or forward ("Re:", "Fwd:", a "(fwd)" trailer or a "[fwd: ...]" wrapper
// was removed), which THREAD=REFERENCES needs (RFC 5256 section 3, step 5).
//
// RFC 5256 section 2.1, step by step, after one addition: the decoded text is put in
// Unicode compatibility form (NFKC), so that the full-width "Ｒｅ：" and "［ｌｉｓｔ］"
// that Japanese mailers write are removed like their ASCII forms. The collation
// SORT compares with (i;unicode-casemap) equates the two forms anyway.
func BaseSubject(subject string) (base string, replyOrForward bool) {
	// Step 1: decode RFC 2047 words, turn tabs and folding into spaces, collapse
	// runs of spaces.
	s := collapseSpaces(norm.NFKC.String(mailformat.DisplayHeader(subject)))
	for {
		// Step 2: remove trailers: white space and "(fwd)", as long as there are any.
		for {
			if strings.HasSuffix(s, " ") {
				s = s[:len(s)-1]
				continue
			}
			if n := len(s) - len("(fwd)"); n >= 0 && strings.EqualFold(s[n:], "(fwd)") {
				s, replyOrForward = s[:n], true
				continue
			}
			break
		}
		// Steps 3 to 5: remove leaders ("Re:", "[list] Fwd:", white space), then a
		// leading "[blob]" that does not make up the whole rest, until neither applies.
		// noRefwdBefore remembers where a run of blobs was not followed by "re:"/"fw:",
		// so that removing those blobs one by one does not scan the run again.
		noRefwdBefore := -1
		pos := 0
		for pos < len(s) {
			if s[pos] == ' ' {
				pos++
				continue
			}
			if pos >= noRefwdBefore {
				end, ok := leader(s, pos)
				if ok {
					pos, replyOrForward = end, true
					continue
				}
				noRefwdBefore = end
			}
			if end := blob(s, pos); end > 0 && end < len(s) {
				pos = end
				continue
			}
			break
		}
		s = s[pos:]
		// Step 6: "[fwd: ... ]" around the rest is removed and the steps repeat.
		if len(s) >= len("[fwd:]") && strings.EqualFold(s[:len("[fwd:")], "[fwd:") && s[len(s)-1] == ']' {
			s, replyOrForward = s[len("[fwd:"):len(s)-1], true
			continue
		}
		return s, replyOrForward
	}
}

// collapseSpaces turns every run of white space into one space.
func collapseSpaces(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") && !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(c)
	}
	return b.String()
}

// blob matches subj-blob ("[" *BLOBCHAR "]" *WSP, BLOBCHAR being anything but the
// brackets) at s[i:] and returns where it ends, or -1.
func blob(s string, i int) int {
	if i >= len(s) || s[i] != '[' {
		return -1
	}
	j := strings.IndexAny(s[i+1:], "[]")
	if j < 0 || s[i+1+j] != ']' {
		return -1
	}
	end := i + 1 + j + 1
	for end < len(s) && s[end] == ' ' {
		end++
	}
	return end
}

// leader matches the subj-leader "*subj-blob subj-refwd" at s[i:]: blobs, then
// subj-refwd ("re" / "fw" ["d"], *WSP, an optional blob, ":"). It returns where the
// match ends; when there is none, the end of the run of blobs (a refwd could only
// start there).
func leader(s string, i int) (int, bool) {
	for {
		end := blob(s, i)
		if end < 0 {
			break
		}
		i = end
	}
	for _, word := range []string{"re", "fwd", "fw"} {
		if end, ok := refwd(s, i, word); ok {
			return end, true
		}
	}
	return i, false
}

func refwd(s string, i int, word string) (int, bool) {
	if len(s)-i < len(word) || !strings.EqualFold(s[i:i+len(word)], word) {
		return 0, false
	}
	j := i + len(word)
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if end := blob(s, j); end > 0 {
		j = end
	}
	if j < len(s) && s[j] == ':' {
		return j + 1, true
	}
	return 0, false
}
