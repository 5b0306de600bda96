package mailformat

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

func TestSearchHeaderFields(t *testing.T) {
	raw := []byte("Message-ID: <a@b>\r\nReferences: <x@y>\r\n\t<z@w> (c)\r\nSubject: s\r\n\r\nBody: not a field\r\n")
	h := SearchHeader(raw)
	if want := "Message-ID: <a@b>\r\nReferences: <x@y>\r\n\t<z@w> (c)\r\nSubject: s\r\n"; string(h) != want {
		t.Fatalf("SearchHeader = %q", h)
	}
	got := UnfoldFields(h)
	want := []string{"Message-ID: <a@b>", "References: <x@y> <z@w> (c)", "Subject: s"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UnfoldFields = %q", got)
	}
	if name, ok := FieldName(" References : x"); !ok || name != "References" {
		t.Fatalf("FieldName = %q %v", name, ok)
	}
	// Bare LF line ends, and a header with no body at all.
	if got := UnfoldFields(SearchHeader([]byte("A: 1\n b\nB: 2"))); !reflect.DeepEqual(got, []string{"A: 1 b", "B: 2"}) {
		t.Fatalf("LF header: %q", got)
	}
}

// FuzzSearchHeader: the header SEARCH reads is a prefix of the message, at most
// SearchHeaderLimit long, with no empty line in it.
// Run: go test ./internal/mailformat/ -run '^$' -fuzz FuzzSearchHeader -fuzztime 30s
func FuzzSearchHeader(f *testing.F) {
	f.Add([]byte("A: b\r\n c\r\n\r\nbody"))
	f.Add([]byte("\r\r\n"))
	f.Add([]byte("X: y"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var h []byte
		fuzzbudget.Run(t, func() { h = SearchHeader(raw) })
		if !bytes.HasPrefix(raw, h) || len(h) > SearchHeaderLimit {
			t.Fatalf("SearchHeader is no prefix within the limit: %d of %d bytes", len(h), len(raw))
		}
		for _, line := range bytes.SplitAfter(h, []byte("\n")) {
			if len(line) > 0 && len(bytes.TrimRight(line, "\r\n")) == 0 {
				t.Fatalf("an empty line inside the header: %q", h)
			}
		}
	})
}
