package dav

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

func newCard(uid, name, email string) vcard.Card {
	c := vcard.Card{}
	c.SetValue(vcard.FieldVersion, "3.0")
	c.SetValue(vcard.FieldUID, uid)
	c.SetValue(vcard.FieldFormattedName, name)
	c.AddValue(vcard.FieldEmail, email)
	return c
}

// TestGoWebDAVClient walks what a CardDAV client does with go-webdav's own client:
// discovery from the well-known URI, the two books, and create, list, query, update
// and delete of a card.
func TestGoWebDAVClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hc := webdav.HTTPClientWithBasicAuth(http.DefaultClient, alice, password)

	// RFC 6764: /.well-known/carddav leads to the context path, where
	// current-user-principal names the account's principal.
	wc, err := webdav.NewClient(hc, e.http.URL+WellKnownPath)
	if err != nil {
		t.Fatal(err)
	}
	princ, err := wc.FindCurrentUserPrincipal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if princ != "/dav/"+alice+"/" {
		t.Fatalf("principal = %q", princ)
	}
	c, err := carddav.NewClient(hc, e.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	home, err := c.FindAddressBookHomeSet(ctx, princ)
	if err != nil {
		t.Fatal(err)
	}
	books, err := c.FindAddressBooks(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, b := range books {
		names[b.Path] = b.Name
	}
	contacts, collected := BookPath(alice, cardstore.BookContacts), BookPath(alice, cardstore.BookCollected)
	if len(books) != 2 || names[contacts] != "Contacts" || names[collected] != "Collected addresses" {
		t.Fatalf("books = %+v", books)
	}

	card := newCard("uid-1", "田中 花子", "hanako@example.test")
	card.Add("X-PHONETIC-LAST-NAME", &vcard.Field{Value: "たなか"})
	obj, err := c.PutAddressObject(ctx, contacts+"hanako.vcf", card)
	if err != nil {
		t.Fatal(err)
	}
	if obj.ETag == "" {
		t.Fatal("PUT answered no ETag")
	}
	got, err := c.GetAddressObject(ctx, contacts+"hanako.vcf")
	if err != nil {
		t.Fatal(err)
	}
	if got.Card.PreferredValue(vcard.FieldFormattedName) != "田中 花子" || got.Card.Value("X-PHONETIC-LAST-NAME") != "たなか" {
		t.Fatalf("read back %v", got.Card)
	}

	// addressbook-query (RFC 6352 section 8.6): a substring of the e-mail address.
	hits, err := c.QueryAddressBook(ctx, contacts, &carddav.AddressBookQuery{
		DataRequest: carddav.AddressDataRequest{AllProp: true},
		PropFilters: []carddav.PropFilter{{Name: vcard.FieldEmail, TextMatches: []carddav.TextMatch{{Text: "hanako"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Path != contacts+"hanako.vcf" {
		t.Fatalf("query hits = %+v", hits)
	}
	miss, err := c.QueryAddressBook(ctx, contacts, &carddav.AddressBookQuery{
		PropFilters: []carddav.PropFilter{{Name: vcard.FieldEmail, TextMatches: []carddav.TextMatch{{Text: "nobody"}}}},
	})
	if err != nil || len(miss) != 0 {
		t.Fatalf("query for a stranger = %v, %v", miss, err)
	}

	card.SetValue(vcard.FieldFormattedName, "田中 花子 (営業)")
	obj2, err := c.PutAddressObject(ctx, contacts+"hanako.vcf", card)
	if err != nil {
		t.Fatal(err)
	}
	if obj2.ETag == obj.ETag {
		t.Fatal("update kept the ETag")
	}
	if n := list(t, c, contacts); n != 1 {
		t.Fatalf("after update %d cards", n)
	}
	if err := wc.RemoveAll(ctx, contacts+"hanako.vcf"); err != nil {
		t.Fatal(err)
	}
	if n := list(t, c, contacts); n != 0 {
		t.Fatalf("after delete %d cards", n)
	}
	if _, err := c.GetAddressObject(ctx, contacts+"hanako.vcf"); err == nil {
		t.Fatal("deleted card still readable")
	}
}

func list(t *testing.T, c *carddav.Client, book string) int {
	t.Helper()
	aos, err := c.QueryAddressBook(context.Background(), book, &carddav.AddressBookQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(aos)
}

const vcardBody = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Carol\r\nEMAIL:carol@example.test\r\nEND:VCARD\r\n"

// TestAccountsAreSeparate: bob cannot read, list, write or delete alice's cards;
// her paths answer him as if they did not exist.
func TestAccountsAreSeparate(t *testing.T) {
	e := newEnv(t)
	path := BookPath(alice, cardstore.BookContacts) + "carol.vcf"
	if resp, _ := e.do(t, "PUT", path, alice, vcardBody, map[string]string{"Content-Type": "text/vcard"}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("alice PUT = %d", resp.StatusCode)
	}
	for _, m := range []string{"GET", "PUT", "DELETE", "PROPFIND"} {
		resp, body := e.do(t, m, path, bob, vcardBody, map[string]string{"Content-Type": "text/vcard", "Depth": "0"})
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "carol") {
			t.Errorf("bob %s alice's card = %d %q", m, resp.StatusCode, body)
		}
	}
	resp, body := e.do(t, "PROPFIND", BookPath(alice, cardstore.BookContacts), bob, "", map[string]string{"Depth": "1"})
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "carol") {
		t.Errorf("bob PROPFIND alice's book = %d %q", resp.StatusCode, body)
	}
	if resp, body := e.do(t, "GET", path, alice, "", nil); resp.StatusCode != 200 || !strings.Contains(body, "carol@example.test") {
		t.Fatalf("alice lost her card: %d %q", resp.StatusCode, body)
	}
}

// TestCredentials: no or wrong credentials get the Basic challenge; a request over
// plain HTTP from a non-loopback address is refused before its credentials are
// checked, and the same request over TLS is served.
func TestCredentials(t *testing.T) {
	e := newEnv(t)
	path := BookPath(alice, cardstore.BookContacts)
	for _, user := range []string{"", "mallory@example.test"} {
		resp, _ := e.do(t, "PROPFIND", path, user, "", map[string]string{"Depth": "0"})
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("user %q: %d %q", user, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	remote := func(overTLS bool) int {
		req := httptest.NewRequest("PROPFIND", path, nil)
		req.RemoteAddr = "192.0.2.7:40000"
		req.Header.Set("Depth", "0")
		req.SetBasicAuth(alice, password)
		if !overTLS {
			req.TLS = nil
		} else {
			req.TLS = &tls.ConnectionState{HandshakeComplete: true} // the request came over TLS
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := remote(false); code != http.StatusForbidden {
		t.Errorf("plain HTTP from 192.0.2.7 = %d, want 403", code)
	}
	if code := remote(true); code != http.StatusMultiStatus {
		t.Errorf("HTTPS from 192.0.2.7 = %d, want 207", code)
	}
}
