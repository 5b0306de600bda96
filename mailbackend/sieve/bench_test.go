package sieve

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkRun50Rules is the interpreter's share of delivery with a 50-rule
// script: preparing a 4 KiB message with a Japanese subject and running every
// rule over it (none matches, so all run).
//
//	go test ./mailbackend/sieve -run '^$' -bench Run50Rules -count 5
func BenchmarkRun50Rules(b *testing.B) {
	var src strings.Builder
	src.WriteString(`require ["fileinto", "imap4flags"];` + "\n")
	for i := range 25 {
		fmt.Fprintf(&src, "if header :contains \"subject\" \"project-%d\" { fileinto \"Projects/%d\"; stop; }\n", i, i)
	}
	for i := range 15 {
		fmt.Fprintf(&src, "if address :domain :is \"from\" \"client%d.example.jp\" { addflag \"$Client\"; fileinto \"Clients\"; stop; }\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&src, "if header :matches \"list-id\" \"*list%d.*\" { fileinto \"Lists/%d\"; stop; }\n", i, i)
	}
	s, err := Parse(src.String())
	if err != nil {
		b.Fatal(err)
	}
	raw := msg("From: Yamada <yamada@torihiki.co.jp>\nTo: me@example.com\nSubject: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\nList-Id: <dev.lists.test>\n",
		strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu\r\n", 60))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Run(NewMessage(raw, "yamada@torihiki.co.jp", "me@example.com"))
		if err != nil || !res.Keep {
			b.Fatal(res, err)
		}
	}
}
