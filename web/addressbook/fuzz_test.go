package addressbook

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-vcard"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzReadVCF: any uploaded .vcf ends in contacts or an error within the time
// budget, and every contact read writes a vCard that reads back.
// Run: go test ./web/addressbook/ -run '^$' -fuzz FuzzReadVCF -fuzztime 20s
func FuzzReadVCF(f *testing.F) {
	f.Add("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:山田\r\nN;SORT-AS=\"やまだ\":山田;;;;\r\nEMAIL:a@b.c\r\nCATEGORIES:a,b\r\nEND:VCARD\r\n")
	f.Add("BEGIN:VCARD\nVERSION:2.1\nSOUND;X-IRMC-N:ﾔﾏﾀﾞ;ﾀﾛｳ\nN:;\nEND:VCARD\n")
	f.Add("BEGIN:VCARD\r\nFN:x\r\n \r\n folded\r\nEND:VCARD")
	f.Fuzz(func(t *testing.T, in string) {
		var cs []Contact
		var err error
		fuzzbudget.Run(t, func() { cs, err = ReadVCF(strings.NewReader(in), 1<<20, 100) })
		if err != nil {
			return
		}
		for _, c := range cs {
			var buf bytes.Buffer
			if err := vcard.NewEncoder(&buf).Encode(c.Card()); err != nil {
				t.Fatalf("contact %+v does not encode: %v", c, err)
			}
			c.Matches(in)
		}
	})
}

// FuzzReadCSV: any uploaded CSV ends in contacts or an error within the time
// budget, and what it read writes and reads back to the same names and addresses.
// Run: go test ./web/addressbook/ -run '^$' -fuzz FuzzReadCSV -fuzztime 20s
func FuzzReadCSV(f *testing.F) {
	f.Add("Name,E-mail Address,Groups\n山田,a@b.c,\"x,y\"\n")
	f.Add("\ufeffFirst Name,Last Name\n\"a\"\"b\",c\n")
	f.Add("Group Membership,E-mail 1 - Value\n* myContacts ::: ,a ::: b\n")
	f.Fuzz(func(t *testing.T, in string) {
		var cs []Contact
		var err error
		fuzzbudget.Run(t, func() { cs, err = ReadCSV(strings.NewReader(in), 1<<20, 100) })
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, cs); err != nil {
			t.Fatal(err)
		}
		back, err := ReadCSV(&buf, 4<<20, 100)
		if err != nil || len(back) != len(cs) {
			t.Fatalf("round trip of %q: %d contacts, %v (had %d)", in, len(back), err, len(cs))
		}
	})
}
