package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"

	"github.com/yubinmail/yubin/mailbackend/dav"
)

func TestContactsDesktop(t *testing.T) { contactsFlow(t, "contacts-desktop", false) }

func TestContactsPhone(t *testing.T) { contactsFlow(t, "contacts-phone", true) }

// contactsFlow: a contact added on the contacts page and one synced from a "phone"
// (go-webdav's client) are listed; the compose form's To finds a contact by its
// kana reading and takes it with the keyboard; nothing is suggested while an IME
// composes, the committed text is; a group name in Cc expands to its members. The
// desktop runs 1366×900 in English, the phone 375×812 in Japanese; each also
// shoots the contacts page in the other language.
func contactsFlow(t *testing.T, name string, phone bool) {
	lang, other, saved := "en-US", "ja", "Contact saved."
	if phone {
		lang, other, saved = "ja", "en-US", "連絡先を保存しました。"
	}
	s := newStack(t, name, lang)
	s.useViewport(phone)
	s.login()
	if phone {
		s.do(chromedp.Navigate(s.base + "/contacts"))
	} else {
		s.do(chromedp.Click(chromedp.CSS(`a[href="/contacts"]`)))
	}
	s.waitFor(`!!document.querySelector("section.contacts")`, "the contacts page")
	s.do(chromedp.Click(chromedp.CSS(`a[href^="/contacts/edit"]`)))
	s.waitFor(`!!document.querySelector("form.contact-form")`, "the new-contact form")
	s.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=family]`), "山田"),
		chromedp.SendKeys(chromedp.CSS(`input[name=given]`), "太郎"),
		chromedp.SendKeys(chromedp.CSS(`input[name=family_kana]`), "やまだ"),
		chromedp.SendKeys(chromedp.CSS(`input[name=given_kana]`), "たろう"),
		chromedp.SetValue(chromedp.CSS(`textarea[name=emails]`), "taro@example.jp"),
		chromedp.SendKeys(chromedp.CSS(`input[name=groups]`), "営業部"),
	)
	if phone {
		s.noHorizontalScroll("contact form")
	}
	s.shot("contact-form")
	s.do(chromedp.Click(chromedp.CSS(`form.contact-form button[type=submit]`)))
	s.waitFor(`document.body.textContent.includes(`+jsString(saved)+`)`, "the saved notice")

	// The phone syncs a contact of its own, with the reading in katakana.
	phoneClient, err := carddav.NewClient(webdav.HTTPClientWithBasicAuth(http.DefaultClient, "alice@localhost", password), s.base)
	if err != nil {
		t.Fatal(err)
	}
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, "3.0")
	card.SetValue(vcard.FieldUID, "iphone-1")
	card.SetValue(vcard.FieldFormattedName, "鈴木 花子")
	card.SetName(&vcard.Name{FamilyName: "鈴木", GivenName: "花子"})
	card.SetValue("X-PHONETIC-LAST-NAME", "スズキ")
	card.SetValue("X-PHONETIC-FIRST-NAME", "ハナコ")
	card.AddValue(vcard.FieldEmail, "hanako@example.jp")
	card.SetValue(vcard.FieldCategories, "営業部")
	if _, err := phoneClient.PutAddressObject(context.Background(), dav.BookPath("alice@localhost", "contacts")+"iphone-1.vcf", card); err != nil {
		t.Fatal(err)
	}
	s.do(chromedp.Navigate(s.base + "/contacts"))
	s.waitFor(`document.body.textContent.includes("山田 太郎") && document.body.textContent.includes("鈴木 花子") && document.body.textContent.includes("やまだ たろう")`, "both contacts listed")
	if phone {
		s.noHorizontalScroll("contacts")
	}
	s.shot("contacts-" + lang)

	// Autocomplete by kana: typed in hiragana, stored in katakana.
	s.do(chromedp.Navigate(s.base + "/compose"))
	s.waitFor(`!!document.querySelector("input[name=to][role=combobox]")`, "the compose form with autocomplete")
	s.do(chromedp.Click(chromedp.CSS(`input[name=to]`)), chromedp.SendKeys(chromedp.CSS(`input[name=to]`), "すず"))
	s.waitFor(`!document.getElementById("suggest-to").hidden && document.getElementById("suggest-to").textContent.includes("hanako@example.jp")`, "a suggestion for すず")
	s.shot("suggest-kana")
	s.key("Enter", 13)
	s.waitFor(`document.querySelector("input[name=to]").value === "鈴木 花子 <hanako@example.jp>, "`, "the picked address in To")

	// An IME composing "やまだ" suggests nothing; committing 山田 does.
	if _, err := chromedp.Call(s.ctx, input.ImeSetComposition, input.ImeSetCompositionParams{Text: "やまだ", SelectionStart: 3, SelectionEnd: 3}); err != nil {
		t.Fatal(err)
	}
	s.do(chromedp.Sleep(600e6))
	if eval[bool](s, `!document.getElementById("suggest-to").hidden`) {
		t.Error("suggestions shown while the IME was composing")
	}
	if _, err := chromedp.Call(s.ctx, input.InsertText, input.InsertTextParams{Text: "山田"}); err != nil {
		t.Fatal(err)
	}
	s.waitFor(`!document.getElementById("suggest-to").hidden && document.getElementById("suggest-to").textContent.includes("taro@example.jp")`, "a suggestion after the IME committed 山田")
	s.key("Tab", 9)
	s.waitFor(`document.querySelector("input[name=to]").value.includes("山田 太郎 <taro@example.jp>")`, "the second address in To")

	// A group in Cc expands to its members. On the phone Cc waits behind its toggle.
	if phone {
		s.do(chromedp.Click(chromedp.CSS(`label.showcc`)))
	}
	s.do(chromedp.Click(chromedp.CSS(`input[name=cc]`)), chromedp.SendKeys(chromedp.CSS(`input[name=cc]`), "営業"))
	s.waitFor(`!document.getElementById("suggest-cc").hidden && document.getElementById("suggest-cc").textContent.includes("営業部")`, "the group suggestion")
	s.shot("suggest-group")
	s.key("Enter", 13)
	s.waitFor(`(v => v.includes("taro@example.jp") && v.includes("hanako@example.jp"))(document.querySelector("input[name=cc]").value)`, "the group's members in Cc")
	if phone {
		s.noHorizontalScroll("compose")
	}
	s.shot("compose-filled")

	// The contacts page in the other language.
	if _, err := chromedp.Call(s.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": other}}); err != nil {
		t.Fatal(err)
	}
	s.do(chromedp.Navigate(s.base + "/contacts"))
	want := "Contacts"
	if other == "ja" {
		want = "連絡先"
	}
	s.waitFor(`document.querySelector("section.contacts h1").textContent === `+jsString(want), "the contacts page in "+other)
	s.shot("contacts-" + other)
}

// key presses one key as a keyboard does (keydown then keyup, no separate char
// event, which chromedp.KeyEvent adds and which a page cannot cancel).
func (s *stack) key(name string, code int64) {
	s.t.Helper()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(s.ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: name, Code: name, WindowsVirtualKeyCode: code, NativeVirtualKeyCode: code}); err != nil {
			s.t.Fatalf("key %s: %v", name, err)
		}
	}
}
