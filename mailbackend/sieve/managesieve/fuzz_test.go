package managesieve

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzCommand feeds any client input to the command reader: every command comes
// back with at most maxArgs arguments, none longer than a literal may be, or the
// reader stops with an error; never a panic, and never more than the bounds read
// for one command.
func FuzzCommand(f *testing.F) {
	for _, s := range []struct {
		head, unit string
		count      uint16
		tail       string
	}{
		{"PUTSCRIPT \"x\" {5+}\r\nkeep;\r\n", "", 0, ""},
		{"AUTHENTICATE \"PLAIN\" \"", "QUFB", 1000, "\"\r\n"},
		{"NOOP \"", "\\\"", 1000, "\"\r\n"},
		{"CHECKSCRIPT {", "9", 20, "+}\r\n"},
		{"", "LISTSCRIPTS\r\n", 100, ""},
		{"HAVESPACE \"a\" ", "1", 5000, "\r\n"},
	} {
		f.Add(s.head, s.unit, s.count, s.tail)
	}
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		in := fuzzbudget.Expand(head, unit, count, tail)
		fuzzbudget.Run(t, func() {
			rd := &reader{r: bufio.NewReaderSize(strings.NewReader(in), 4096)}
			for range 1000 {
				name, args, err := rd.command()
				if err != nil {
					if errors.Is(err, errTooBig) || errors.Is(err, errSyntax) {
						continue // the server answers and reads on, or hangs up
					}
					return
				}
				if len(args) > maxArgs || len(name) > maxLine {
					t.Fatalf("command %q with %d arguments", name, len(args))
				}
				for _, a := range args {
					if len(a) > maxLiteral {
						t.Fatalf("argument of %d bytes", len(a))
					}
				}
			}
		})
	})
}
