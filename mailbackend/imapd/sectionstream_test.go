package imapd

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// TestHeaderFilterLongLines: HEADER.FIELDS (.NOT) streamed a line at a time keeps
// or drops whole fields, folded lines included, when lines are far longer than the
// filter's buffer, and ends with one blank line whatever follows the header.
func TestHeaderFilterLongLines(t *testing.T) {
	long := strings.Repeat("x", 3*maxFilterLine+17)
	header := "Subject: " + long + "\r\n" +
		"X-Drop: " + long + "\r\n\t" + long + "\r\n" +
		"To: a@example.test,\r\n " + long + "\r\n" +
		"x-drop: short\r\n" +
		long + ": not a listed name\r\n" +
		"\r\nbody: not a header\r\n"
	filter := func(fields, not []string) string {
		t.Helper()
		out, err := io.ReadAll(iotest.OneByteReader(newHeaderFilter(strings.NewReader(header), fields, not)))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got, want := filter([]string{"subject", "TO"}, nil),
		"Subject: "+long+"\r\nTo: a@example.test,\r\n "+long+"\r\n\r\n"; got != want {
		t.Errorf("HEADER.FIELDS (subject TO): %d bytes, want %d", len(got), len(want))
	}
	if got, want := filter(nil, []string{"X-DROP"}),
		"Subject: "+long+"\r\nTo: a@example.test,\r\n "+long+"\r\n"+long+": not a listed name\r\n\r\n"; got != want {
		t.Errorf("HEADER.FIELDS.NOT (X-DROP): %d bytes, want %d", len(got), len(want))
	}
	// A header that ends without its blank line still ends with one.
	out, _ := io.ReadAll(newHeaderFilter(strings.NewReader("Subject: s\r\nFrom: f"), []string{"from"}, nil))
	if string(out) != "From: f\r\n" {
		t.Errorf("unterminated header: %q", out)
	}
}

// referenceFilterHeader is the whole-buffer HEADER.FIELDS filter FETCH used before it
// streamed: the streaming one must give the same bytes for every header whose lines
// are shorter than its buffer.
func referenceFilterHeader(h []byte, fields, not []string) []byte {
	set := map[string]bool{}
	for _, f := range append(append([]string{}, fields...), not...) {
		set[strings.ToLower(f)] = true
	}
	var out []byte
	keep := false
	for len(h) > 0 {
		line := h
		if j := bytes.IndexByte(h, '\n'); j >= 0 {
			line = h[:j+1]
		}
		h = h[len(line):]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			name := line
			if k := bytes.IndexByte(line, ':'); k >= 0 {
				name = line[:k]
			}
			keep = set[strings.ToLower(string(bytes.TrimSpace(name)))] == (len(fields) > 0)
		}
		if keep {
			out = append(out, line...)
		}
	}
	return append(out, "\r\n"...)
}

// FuzzHeaderFilterMatchesReference: the streaming filter equals the reference on
// short-lined headers, the in-memory one (filterHeader) equals the streaming one on
// every header, and both stay within the per-input CPU budget on long repetitive
// ones (a field folded thousands of times).
func FuzzHeaderFilterMatchesReference(f *testing.F) {
	f.Add("Subject: s\r\nX-A: a\r\n\tb\r\n", "X-A: a\r\n b\r\n", uint16(3), "\r\nbody", "subject", true)
	f.Add("", "x-a:\r\n", uint16(1000), "From: f", "x-a", false)
	f.Add("\r\n", "", uint16(0), "Subject: after", "subject", true)
	// Lines at and around the filter's buffer size, and a header of exactly that
	// size with no line end: the in-memory filter must cut them where bufio does.
	f.Add("X-Long: ", "y", uint16(maxFilterLine-10), "\r\nSubject: s\r\n", "x-long", true)
	f.Add("X-Long: ", "y", uint16(maxFilterLine-9), "\r\n\tz\r\nX-Long: w\r\n", "x-long", false)
	f.Add("", "z", uint16(maxFilterLine), "", "z", true)
	f.Add("Subject: s\r\n", "\r", uint16(maxFilterLine), "\nFrom: f\r\n", "from", true)
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail, name string, listed bool) {
		h := fuzzbudget.Expand(head, unit, count, tail)
		var fields, not []string
		if listed {
			fields = []string{name}
		} else {
			not = []string{name}
		}
		var got []byte
		var err error
		var inMemory []byte
		fuzzbudget.Run(t, func() {
			got, err = io.ReadAll(newHeaderFilter(strings.NewReader(h), fields, not))
			inMemory = filterHeader(nil, []byte(h), newFieldFilter(fields, not))
		})
		if err != nil {
			t.Fatal(err)
		}
		// FETCH filters a cached header in place: the same bytes, long lines included.
		if !bytes.Equal(inMemory, got) {
			t.Fatalf("filter %q %v: in memory %q, streaming %q", h, listed, inMemory, got)
		}
		for _, line := range strings.Split(h, "\n") {
			if len(line) >= maxFilterLine-1 {
				return // the documented exception for lines past the buffer
			}
		}
		if want := referenceFilterHeader([]byte(h), fields, not); !bytes.Equal(got, want) {
			t.Fatalf("filter %q %v: streaming %q, reference %q", h, listed, got, want)
		}
	})
}

// TestHeaderFilterNameLists: a short field list is compared name by name and a
// long one through a set; both keep (or drop) the same fields whatever the case
// of the names and their repeats, in the streaming and the in-memory filter.
func TestHeaderFilterNameLists(t *testing.T) {
	header := "From: f\r\nTO: t\r\nCc: c\r\n\tfolded\r\nSubject: s\r\nX-A: a\r\nx-b: b\r\nX-C: c\r\n" +
		"Message-ID: <m@x>\r\nReferences: <r@x>\r\nX-Ünï: u\r\n\r\nbody\r\n"
	all := []string{"from", "To", "CC", "SUBJECT", "x-a", "X-B", "x-c", "message-id", "REFERENCES", "X-ÜNÏ", "In-Reply-To"}
	for _, n := range []int{1, 3, maxLinearNames, maxLinearNames + 1, len(all)} {
		names := append(append([]string{}, all[:n]...), all[0]) // with a repeat
		for _, listed := range []bool{true, false} {
			var fields, not []string
			if listed {
				fields = names
			} else {
				not = names
			}
			want := referenceFilterHeader([]byte(header), fields, not)
			got, err := io.ReadAll(newHeaderFilter(strings.NewReader(header), fields, not))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%d names, listed %v: streaming %q, want %q", n, listed, got, want)
			}
			if got := filterHeader(nil, []byte(header), newFieldFilter(fields, not)); !bytes.Equal(got, want) {
				t.Errorf("%d names, listed %v: in memory %q, want %q", n, listed, got, want)
			}
		}
	}
}
