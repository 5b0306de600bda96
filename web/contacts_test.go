package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"

	"github.com/yubinmail/yubin/mailbackend/dav"
	"github.com/yubinmail/yubin/web"
)

// withContacts gives env's webmail the bundled CardDAV server, mounted on the same
// listener as in `yubin serve`, and returns a go-webdav client signed in as user
// (a phone, as far as the webmail can tell).
func (e *env) withContacts(t *testing.T, user string) *carddav.Client {
	t.Helper()
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		ManageSieveAddr: e.run.Addr("managesieve"), ManageSieveSkipVerify: true,
		CardDAVURL: e.ts.URL + dav.Prefix,
		DataDir:    e.webDir, Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: e.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.srv = srv
	e.handler.h = e.run.DAV.Mount(srv.Handler())
	c, err := carddav.NewClient(webdav.HTTPClientWithBasicAuth(http.DefaultClient, user, testPassword), e.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func phoneCards(t *testing.T, c *carddav.Client, user, book string) []carddav.AddressObject {
	t.Helper()
	aos, err := c.QueryAddressBook(context.Background(), dav.BookPath(user, book), &carddav.AddressBookQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return aos
}

// TestContactsPageIsACardDAVClient: what the webmail's contacts page writes is on
// the CardDAV server for a phone to sync, with the reading as iOS and DAVx⁵ read
// it; what the phone writes or deletes shows on the page; editing in the webmail
// keeps what the phone wrote (a photo); the autocomplete finds a contact by its
// kana reading and expands a group.
func TestContactsPageIsACardDAVClient(t *testing.T) {
	const alice = "alice@localhost"
	e := newEnv(t, alice)
	phone := e.withContacts(t, alice)
	b := e.browser(t)
	b.mustLogin(alice)
	mustContain(t, b.get("/contacts").body, "No contacts here yet.")

	r := b.post("/contacts/save", url.Values{"csrf": {b.csrf()}, "book": {"contacts"}, "family": {"山田"}, "given": {"太郎"},
		"family_kana": {"やまだ"}, "given_kana": {"たろう"}, "emails": {"taro@example.jp\n"}, "groups": {"営業部"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.StatusCode, r.body)
	}
	mustContain(t, b.follow(r.Header.Get("Location")).body, "Contact saved.", "山田 太郎", "やまだ たろう", "taro@example.jp", "営業部")
	cards := phoneCards(t, phone, alice, "contacts")
	if len(cards) != 1 || cards[0].Card.Value("X-PHONETIC-LAST-NAME") != "やまだ" || cards[0].Card.Value(vcard.FieldEmail) != "taro@example.jp" {
		t.Fatalf("on the server: %+v", cards)
	}
	taro := cards[0].Path

	// The phone adds a contact with a photo: the page shows it at once.
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, "3.0")
	card.SetValue(vcard.FieldUID, "phone-1")
	card.SetValue(vcard.FieldFormattedName, "鈴木 花子")
	card.SetName(&vcard.Name{FamilyName: "鈴木", GivenName: "花子"})
	card.SetValue("X-PHONETIC-LAST-NAME", "スズキ")
	card.AddValue(vcard.FieldEmail, "hanako@example.jp")
	card.SetValue(vcard.FieldCategories, "営業部")
	card.SetValue(vcard.FieldPhoto, "data:image/jpeg;base64,AAAA")
	hanako := dav.BookPath(alice, "contacts") + "phone-1.vcf"
	if _, err := phone.PutAddressObject(context.Background(), hanako, card); err != nil {
		t.Fatal(err)
	}
	mustContain(t, b.get("/contacts").body, "鈴木 花子", "hanako@example.jp")

	// Autocomplete: by kana (katakana typed, hiragana stored and the reverse), and a group.
	var got []map[string]any
	for q, want := range map[string]string{"ヤマ": "taro@example.jp", "すずき": "hanako@example.jp", "han": "hanako@example.jp"} {
		if err := json.Unmarshal([]byte(b.get("/contacts/suggest?q="+url.QueryEscape(q)).body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0]["email"] != want {
			t.Errorf("suggest %q = %v, want %s", q, got, want)
		}
	}
	json.Unmarshal([]byte(b.get("/contacts/suggest?q="+url.QueryEscape("営業")).body), &got)
	if len(got) < 1 || got[0]["group"] != "営業部" || len(got[0]["members"].([]any)) != 2 {
		t.Errorf("group suggestion = %v", got)
	}

	// Edit the phone's contact in the webmail: the photo stays.
	edit := b.get("/contacts/edit?" + url.Values{"path": {hanako}}.Encode())
	mustContain(t, edit.body, "鈴木", "スズキ", "hanako@example.jp")
	r = b.post("/contacts/save", url.Values{"csrf": {b.csrf()}, "path": {hanako}, "book": {"contacts"}, "family": {"鈴木"}, "given": {"花子"},
		"family_kana": {"すずき"}, "emails": {"hanako@example.jp\nsuzuki@home.example"}, "groups": {"営業部"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.StatusCode, r.body)
	}
	ao, err := phone.GetAddressObject(context.Background(), hanako)
	if err != nil {
		t.Fatal(err)
	}
	if ao.Card.Value(vcard.FieldPhoto) == "" || len(ao.Card[vcard.FieldEmail]) != 2 || ao.Card.Value("X-PHONETIC-LAST-NAME") != "すずき" {
		t.Fatalf("after the webmail's edit the phone sees %v", ao.Card)
	}

	// The phone deletes one; the webmail deletes the other.
	if err := phone.RemoveAll(context.Background(), taro); err != nil {
		t.Fatal(err)
	}
	page := b.get("/contacts").body
	if strings.Contains(page, "山田 太郎") {
		t.Error("a contact the phone deleted is still listed")
	}
	r = b.post("/contacts/delete", url.Values{"csrf": {b.csrf()}, "path": {hanako}, "book": {"contacts"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	if n := len(phoneCards(t, phone, alice, "contacts")); n != 0 {
		t.Fatalf("%d cards left on the server", n)
	}
	// Bad input is sent back with the reason, and nothing is stored.
	r = b.post("/contacts/save", url.Values{"csrf": {b.csrf()}, "book": {"contacts"}, "family": {"X"}, "emails": {"not an address"}})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "not valid") {
		t.Fatalf("bad address: %d", r.StatusCode)
	}
	if n := len(phoneCards(t, phone, alice, "contacts")); n != 0 {
		t.Fatalf("a refused form stored %d cards", n)
	}
}

// TestContactsImportExport: a .vcf (as iOS exports it) and a CSV (Google's
// headers) import into the book; the export reads back.
func TestContactsImportExport(t *testing.T) {
	const alice = "alice@localhost"
	e := newEnv(t, alice)
	phone := e.withContacts(t, alice)
	b := e.browser(t)
	b.mustLogin(alice)
	vcf := "BEGIN:VCARD\r\nVERSION:3.0\r\nN:佐藤;一郎;;;\r\nFN:佐藤 一郎\r\nX-PHONETIC-LAST-NAME:さとう\r\nEMAIL;type=INTERNET:ichiro@example.jp\r\nEND:VCARD\r\n" +
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jane Doe\r\nEMAIL:jane@example.com\r\nEND:VCARD\r\n"
	r := b.sendForm("/contacts/import", url.Values{"csrf": {b.csrf()}, "book": {"contacts"}}, map[string][]byte{"export.vcf": []byte(vcf)})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "ok=imported") {
		t.Fatalf("vcf import: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	csv := "Name,Given Name,Family Name,Family Name Yomi,E-mail 1 - Value,Group Membership\n高橋 三郎,三郎,高橋,たかはし,saburo@example.jp,* myContacts ::: 取引先\n"
	r = b.sendForm("/contacts/import", url.Values{"csrf": {b.csrf()}, "book": {"contacts"}}, map[string][]byte{"google.csv": []byte(csv)})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "ok=imported") {
		t.Fatalf("csv import: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if n := len(phoneCards(t, phone, alice, "contacts")); n != 3 {
		t.Fatalf("%d cards on the server after import, want 3", n)
	}
	r = b.sendForm("/contacts/import", url.Values{"csrf": {b.csrf()}, "book": {"contacts"}}, map[string][]byte{"junk.csv": []byte("a,b\n1,2\n")})
	if !strings.Contains(r.Header.Get("Location"), "err=file") {
		t.Fatalf("junk import: %s", r.Header.Get("Location"))
	}
	out := b.get("/contacts/export?format=vcf&book=contacts")
	if !strings.HasPrefix(out.Header.Get("Content-Type"), "text/vcard") {
		t.Fatalf("export type %q", out.Header.Get("Content-Type"))
	}
	mustContain(t, out.body, "FN:佐藤 一郎", "X-PHONETIC-LAST-NAME:たかはし", "jane@example.com", "CATEGORIES:取引先")
	out = b.get("/contacts/export?format=csv&book=contacts")
	mustContain(t, out.body, "高橋 三郎,高橋,三郎,たかはし", "ichiro@example.jp")
}

// TestSentAddressesAreCollected: everyone the user sends to who is in neither book
// lands in "Collected addresses" with the name typed; a known contact does not.
func TestSentAddressesAreCollected(t *testing.T) {
	const alice, bob = "alice@localhost", "bob@localhost"
	e := newEnv(t, alice, bob, "carol@localhost")
	phone := e.withContacts(t, alice)
	b := e.browser(t)
	b.mustLogin(alice)
	b.post("/contacts/save", url.Values{"csrf": {b.csrf()}, "book": {"contacts"}, "name": {"Known"}, "emails": {"carol@localhost"}})
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"Bob Builder <bob@localhost>, carol@localhost"},
		"cc": {""}, "bcc": {""}, "subject": {"hi"}, "body": {"hello"}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d %s", r.StatusCode, r.body)
	}
	collected := phoneCards(t, phone, alice, "collected")
	if len(collected) != 1 || collected[0].Card.Value(vcard.FieldEmail) != bob || collected[0].Card.PreferredValue(vcard.FieldFormattedName) != "Bob Builder" {
		t.Fatalf("collected = %+v", collected)
	}
	mustContain(t, b.get("/contacts?book=collected").body, "Bob Builder", bob)
	var got []map[string]any
	json.Unmarshal([]byte(b.get("/contacts/suggest?q=bob").body), &got)
	if len(got) != 1 || got[0]["email"] != bob || got[0]["book"] != "collected" {
		t.Fatalf("suggest bob = %v", got)
	}
	// Sending again adds nothing twice.
	b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {bob}, "cc": {""}, "bcc": {""}, "subject": {"again"}, "body": {"x"}}, nil)
	if n := len(phoneCards(t, phone, alice, "collected")); n != 1 {
		t.Fatalf("%d collected after a second send", n)
	}
}
