package addressbook

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-vcard"
)

func parse(t *testing.T, s string) Contact {
	t.Helper()
	cs, err := ReadVCF(strings.NewReader(strings.ReplaceAll(s, "\n", "\r\n")), 1<<20, 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("ReadVCF = %v, %v", cs, err)
	}
	return cs[0]
}

// TestReadings: the reading of a Japanese name, however the phone wrote it.
func TestReadings(t *testing.T) {
	cases := []struct{ what, card string }{
		{"iOS", "BEGIN:VCARD\nVERSION:3.0\nN:山田;太郎;;;\nFN:山田 太郎\nX-PHONETIC-FIRST-NAME:たろう\nX-PHONETIC-LAST-NAME:やまだ\nEMAIL;type=INTERNET;type=WORK:taro@example.jp\nEND:VCARD\n"},
		{"DAVx5 (Android)", "BEGIN:VCARD\nVERSION:3.0\nUID:a\nFN:山田 太郎\nN:山田;太郎;;;\nX-PHONETIC-LAST-NAME:ヤマダ\nX-PHONETIC-FIRST-NAME:タロウ\nEMAIL;TYPE=HOME:taro@example.jp\nEND:VCARD\n"},
		{"vCard 4 SORT-AS", "BEGIN:VCARD\nVERSION:4.0\nFN:山田 太郎\nN;SORT-AS=\"やまだ,たろう\":山田;太郎;;;\nEMAIL:taro@example.jp\nEND:VCARD\n"},
		{"feature phone SOUND;X-IRMC-N", "BEGIN:VCARD\nVERSION:3.0\nFN:山田 太郎\nN:山田;太郎;;;\nSOUND;X-IRMC-N;CHARSET=SHIFT_JIS:ﾔﾏﾀﾞ;ﾀﾛｳ;;;\nEMAIL:taro@example.jp\nEND:VCARD\n"},
	}
	for _, tc := range cases {
		c := parse(t, tc.card)
		if Fold(c.FamilyKana) != "やまだ" || Fold(c.GivenKana) != "たろう" {
			t.Errorf("%s: reading %q %q", tc.what, c.FamilyKana, c.GivenKana)
		}
		for _, q := range []string{"やま", "ヤマダ", "ﾔﾏﾀﾞ", "たろう", "山田", "太郎", "taro@", "やまだたろう"} {
			if !c.Matches(q) {
				t.Errorf("%s: %q does not match", tc.what, q)
			}
		}
		for _, q := range []string{"たなか", "ろう", "jiro"} {
			if c.Matches(q) {
				t.Errorf("%s: %q matches", tc.what, q)
			}
		}
	}
}

// TestEditKeepsWhatThePhoneWrote: the form changes names and addresses; the photo,
// postal address and TYPE parameters survive, and the reading is written the way
// iOS and DAVx⁵ read it.
func TestEditKeepsWhatThePhoneWrote(t *testing.T) {
	c := parse(t, "BEGIN:VCARD\nVERSION:3.0\nUID:u1\nFN:Hanako\nN;SORT-AS=\"はなこ\":;Hanako;;;\nEMAIL;TYPE=WORK:h@example.jp\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA\nADR;TYPE=HOME:;;1-2-3;Tokyo;;100-0001;Japan\nEND:VCARD\n")
	c.Family, c.Given, c.FamilyKana, c.GivenKana = "佐藤", "花子", "さとう", "はなこ"
	c.Name = ""
	c.Emails = append(c.Emails, "hanako@home.example")
	card := c.Card()
	if card.Value(vcard.FieldPhoto) != "AAAA" || card.Value(vcard.FieldAddress) == "" {
		t.Fatalf("lost photo or address: %v", card)
	}
	if card.Value("X-PHONETIC-LAST-NAME") != "さとう" || card.Name().Params.Get(vcard.ParamSortAs) != "" {
		t.Fatalf("reading written as %v / %v", card["X-PHONETIC-LAST-NAME"], card.Name().Params)
	}
	if card.PreferredValue(vcard.FieldFormattedName) != "佐藤 花子" || card.Value(vcard.FieldUID) != "u1" {
		t.Fatalf("FN/UID = %q %q", card.PreferredValue(vcard.FieldFormattedName), card.Value(vcard.FieldUID))
	}
	emails := card[vcard.FieldEmail]
	if len(emails) != 2 || emails[0].Params.Get("TYPE") != "WORK" {
		t.Fatalf("emails = %v", emails)
	}
	var buf bytes.Buffer
	if err := vcard.NewEncoder(&buf).Encode(card); err != nil {
		t.Fatal(err)
	}
	back := parse(t, strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	if back.Reading() != "さとう はなこ" || !slices.Equal(back.Emails, c.Emails) {
		t.Fatalf("round trip = %+v", back)
	}
}

// TestSuggestGroupsAndOrder: a group expands to its members' addresses, contacts
// come before collected addresses, and an address is offered once.
func TestSuggestGroupsAndOrder(t *testing.T) {
	all := []Contact{
		{Book: "collected", Name: "Sato (collected)", Emails: []string{"sato@example.jp"}},
		{Book: "contacts", Name: "佐藤 一郎", FamilyKana: "さとう", GivenKana: "いちろう", Emails: []string{"sato@example.jp"}, Groups: []string{"営業部"}},
		{Book: "contacts", Name: "鈴木 次郎", FamilyKana: "すずき", Emails: []string{"suzuki@example.jp"}, Groups: []string{"営業部"}},
		{Book: "collected", Name: "", Emails: []string{"satoshi@example.org"}},
	}
	got := Suggest(all, "サト", 10)
	if len(got) != 1 || got[0].Email != "sato@example.jp" || got[0].Book != "contacts" || got[0].Name != "佐藤 一郎" {
		t.Fatalf("Suggest(サト) = %+v", got)
	}
	got = Suggest(all, "sato", 10)
	if len(got) != 2 || got[0].Email != "sato@example.jp" || got[0].Book != "contacts" || got[1].Email != "satoshi@example.org" {
		t.Fatalf("Suggest(sato) = %+v", got)
	}
	g := Suggest(all, "営業", 10)
	if len(g) != 1 || g[0].Group != "営業部" || len(g[0].Members) != 2 || g[0].Members[0] != "佐藤 一郎 <sato@example.jp>" {
		t.Fatalf("Suggest(営業) = %+v", g)
	}
	if got := Suggest(all, "zzz", 10); len(got) != 0 {
		t.Fatalf("Suggest(zzz) = %+v", got)
	}
	if FormatAddress("Tanaka, Ichiro", "t@example.jp") != `"Tanaka, Ichiro" <t@example.jp>` {
		t.Fatal("name with a comma not quoted")
	}
}

// TestCSV: our export reads back; Google's and Outlook's headers import; bounds.
func TestCSV(t *testing.T) {
	in := []Contact{
		{Name: "山田 太郎", Family: "山田", Given: "太郎", FamilyKana: "やまだ", GivenKana: "たろう", Emails: []string{"taro@example.jp", "t@home.example"}, Phones: []string{"03-1234-5678"}, Org: "郵便株式会社", Note: "line1, \"quoted\"\nline2", Groups: []string{"営業部", "友人"}},
		{Name: "Bob", Emails: []string{"bob@example.com"}},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadCSV(bytes.NewReader(buf.Bytes()), 1<<20, 10)
	if err != nil || len(out) != 2 {
		t.Fatalf("ReadCSV = %v, %v", out, err)
	}
	a := out[0]
	if a.Name != in[0].Name || a.Reading() != "やまだ たろう" || !slices.Equal(a.Emails, in[0].Emails) || a.Note != in[0].Note ||
		!slices.Equal(a.Groups, in[0].Groups) || !slices.Equal(a.Phones, in[0].Phones) {
		t.Fatalf("round trip = %+v", a)
	}
	google := "Name,Given Name,Family Name,Given Name Yomi,Family Name Yomi,Group Membership,E-mail 1 - Type,E-mail 1 - Value\n" +
		"田中 花子,花子,田中,はなこ,たなか,* myContacts ::: 経理,* Work,hanako@example.jp ::: h@example.org\n"
	g, err := ReadCSV(strings.NewReader(google), 1<<20, 10)
	if err != nil || len(g) != 1 || g[0].FamilyKana != "たなか" || len(g[0].Emails) != 2 || !slices.Equal(g[0].Groups, []string{"経理"}) {
		t.Fatalf("Google CSV = %+v, %v", g, err)
	}
	outlook := "First Name,Last Name,E-mail Address,Company\nJane,Doe,jane@example.com,ACME\n"
	o, err := ReadCSV(strings.NewReader(outlook), 1<<20, 10)
	if err != nil || len(o) != 1 || o[0].Name != "Jane Doe" || o[0].Org != "ACME" {
		t.Fatalf("Outlook CSV = %+v, %v", o, err)
	}
	if _, err := ReadCSV(strings.NewReader(outlook+strings.Repeat("A,B,a@b.c,D\n", 5)), 1<<20, 3); err != ErrTooMany {
		t.Fatalf("too many rows: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader(outlook+strings.Repeat("A,B,a@b.c,D\n", 500)), 1000, 10000); err != ErrTooLarge {
		t.Fatalf("too large: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader("foo,bar\n1,2\n"), 1<<20, 10); err == nil {
		t.Fatal("a CSV with no known column imported")
	}
	many := strings.Repeat("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD\r\n", 4)
	if _, err := ReadVCF(strings.NewReader(many), 1<<20, 3); err != ErrTooMany {
		t.Fatalf("too many cards: %v", err)
	}
	if _, err := ReadVCF(strings.NewReader(many), 50, 10); err != ErrTooLarge {
		t.Fatalf("vcf too large: %v", err)
	}
}
