package dav

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/cardstore"
)

// TestBounds: what one account can make the server store is bounded — a card over
// CardBytes is refused (413 before reading it, or the max-resource-size
// precondition), the card after the Cards-th is refused with 507, and an XML
// request body past MaxXMLBytes gets 413; nothing refused is stored.
func TestBounds(t *testing.T) {
	e := newEnv(t)
	e.cards.SetLimits(cardstore.Limits{CardBytes: 2048, Cards: 3, AccountBytes: 1 << 20})
	book := BookPath(alice, cardstore.BookContacts)
	ct := map[string]string{"Content-Type": "text/vcard"}

	big := strings.Replace(vcardBody, "FN:Carol", "FN:"+strings.Repeat("x", 3000), 1)
	if resp, _ := e.do(t, "PUT", book+"big.vcf", alice, big, ct); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized card = %d, want 413", resp.StatusCode)
	}
	for i := range 3 {
		body := strings.Replace(vcardBody, "UID:u1", fmt.Sprintf("UID:u%d", i), 1)
		if resp, b := e.do(t, "PUT", fmt.Sprintf("%sc%d.vcf", book, i), alice, body, ct); resp.StatusCode != http.StatusCreated {
			t.Fatalf("card %d = %d %s", i, resp.StatusCode, b)
		}
	}
	body := strings.Replace(vcardBody, "UID:u1", "UID:u9", 1)
	if resp, _ := e.do(t, "PUT", book+"c9.vcf", alice, body, ct); resp.StatusCode != http.StatusInsufficientStorage {
		t.Errorf("card past the count = %d, want 507", resp.StatusCode)
	}
	// Replacing an existing card is still allowed at the limit.
	if resp, b := e.do(t, "PUT", book+"c0.vcf", alice, strings.Replace(vcardBody, "UID:u1", "UID:u0", 1), ct); resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		t.Errorf("update at the limit = %d %s", resp.StatusCode, b)
	}
	// Two cards of a book with one UID: RFC 6352 no-uid-conflict.
	if resp, _ := e.do(t, "PUT", book+"c1.vcf", alice, strings.Replace(vcardBody, "UID:u1", "UID:u0", 1), ct); resp.StatusCode != http.StatusConflict {
		t.Errorf("UID conflict = %d, want 409", resp.StatusCode)
	}
	huge := "<d:propfind xmlns:d=\"DAV:\"><d:prop>" + strings.Repeat("<d:getetag/>", MaxXMLBytes/12+1) + "</d:prop></d:propfind>"
	if resp, _ := e.do(t, "PROPFIND", book, alice, huge, map[string]string{"Depth": "1"}); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized PROPFIND = %d, want 413", resp.StatusCode)
	}
	cards, err := e.cards.List(t.Context(), alice, cardstore.BookContacts)
	if err != nil || len(cards) != 3 {
		t.Fatalf("stored %d cards, %v; want the 3 accepted", len(cards), err)
	}
}
