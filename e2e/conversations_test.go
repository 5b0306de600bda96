package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// Conversations in Chromium (issue 14 item 2), desktop 1366×900 English and phone
// 375×812 Japanese: with grouping turned on in the settings, the inbox has one row
// per conversation with its count; opening it shows the earlier messages stacked
// above the newest, the read one collapsed and the unread one open. Screenshots
// in artifacts/conversations-*.
func TestConversationsDesktopEnglish(t *testing.T) {
	conversations(t, "conversations-desktop-en", "en-US", false)
}

func TestConversationsPhoneJapanese(t *testing.T) {
	conversations(t, "conversations-phone-ja", "ja", true)
}

func conversations(t *testing.T, name, lang string, phone bool) {
	s := newStack(t, name, lang)
	s.useViewport(phone)
	s.deliver("From: Yamada Taro <yamada@example.jp>\nTo: alice@localhost\nSubject: =?UTF-8?B?5a6a5L6L5Lya6K2w44Gu5pel56iL?=\nMessage-ID: <root@example.jp>\nDate: Tue, 1 Dec 2026 09:00:00 +0900\nContent-Type: text/plain; charset=utf-8\n\n来週の定例会議の日程を決めましょう。\n")
	s.deliver("From: Bob <bob@example.org>\nTo: alice@localhost\nSubject: Lunch\nMessage-ID: <lunch@example.org>\nDate: Tue, 1 Dec 2026 12:00:00 +0000\n\nNoodles?\n")
	s.deliver("From: Carol <carol@example.net>\nTo: alice@localhost\nSubject: Re: =?UTF-8?B?5a6a5L6L5Lya6K2w44Gu5pel56iL?=\nMessage-ID: <c1@example.net>\nIn-Reply-To: <root@example.jp>\nReferences: <root@example.jp>\nDate: Wed, 2 Dec 2026 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n木曜の午後が空いています。\n")
	s.deliver("From: Yamada Taro <yamada@example.jp>\nTo: alice@localhost\nSubject: Re: Re: =?UTF-8?B?5a6a5L6L5Lya6K2w44Gu5pel56iL?=\nMessage-ID: <r2@example.jp>\nReferences: <root@example.jp> <c1@example.net>\nDate: Thu, 3 Dec 2026 09:00:00 +0900\nContent-Type: text/plain; charset=utf-8\n\nでは木曜 14 時にしましょう。\n")
	s.login()
	// The first message was read on another device.
	s.do(chromedp.Navigate(s.base + "/msg?f=INBOX&uid=1"))
	s.waitFor(`!!document.querySelector("h1.subject")`, "the first message")

	s.do(chromedp.Navigate(s.base + "/settings"))
	s.waitFor(`!!document.querySelector("input[name=grouping][value=on]")`, "the settings page")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("input[name=grouping][value=on]").click(); document.querySelector(".settings-form button[type=submit]").click()`))
	s.waitFor(`location.search.includes("ok=settings")`, "settings saved")
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`!!document.querySelector(".msglist")`, "the inbox")
	rows := eval[[]string](s, `[...document.querySelectorAll(".msglist .row")].map(r => r.querySelector(".subj").textContent.trim() + "|" + (r.querySelector(".tcount") || {textContent: "1"}).textContent.trim())`)
	if len(rows) != 2 || rows[0] != "Re: Re: 定例会議の日程|3" || rows[1] != "Lunch|1" {
		t.Errorf("conversation rows = %q", rows)
	}
	if phone {
		s.noHorizontalScroll("inbox of conversations")
	}
	s.shot("inbox")

	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".msglist .rowlink").click()`))
	s.waitFor(`!!document.querySelector("ol.thread")`, "the conversation")
	items := eval[[]bool](s, `[...document.querySelectorAll("ol.thread details.titem")].map(d => d.open)`)
	if len(items) != 2 || items[0] || !items[1] {
		t.Errorf("stack open states = %v, want [false true] (read collapsed, unread open)", items)
	}
	if got := eval[string](s, `document.querySelector("ol.thread details[open] .tbody").textContent.trim()`); got != "木曜の午後が空いています。" {
		t.Errorf("the unread message's text = %q", got)
	}
	if phone {
		s.noHorizontalScroll("conversation")
		tapTargets(s, "conversation")
	}
	s.shot("conversation")
	dark(s, true)
	s.shot("conversation-dark")
	dark(s, false)
	// A collapsed message opens in place.
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("ol.thread details:not([open]) summary").click()`))
	if !eval[bool](s, `[...document.querySelectorAll("ol.thread details.titem")].every(d => d.open)`) {
		t.Error("the collapsed message did not open")
	}
}
