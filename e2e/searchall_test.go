package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// Select all and Mark all read on search results (issue 14 item 6): ticking the
// page of a search offers every result on all its pages; the action covers them
// and nothing else, says so with Undo, and Undo puts them back; "Mark all results
// read" does the same without ticking. Desktop 1366×900 English and phone 375×812
// Japanese; screenshots in artifacts/searchall-*.
func TestSearchSelectAllDesktopEnglish(t *testing.T) {
	searchSelectAll(t, "searchall-desktop-en", "en-US", false,
		"Select all 55 messages found", "55 messages marked as read.", "Undone: 55 messages put back.")
}

func TestSearchSelectAllPhoneJapanese(t *testing.T) {
	searchSelectAll(t, "searchall-phone-ja", "ja", true,
		"検索結果の55件のメッセージをすべて選択", "55件のメッセージを既読にしました。", "元に戻しました（55件のメッセージ）。")
}

func searchSelectAll(t *testing.T, name, lang string, phone bool, offer, done, undone string) {
	s := newStack(t, name, lang)
	s.useViewport(phone)
	for i := 1; i <= 55; i++ {
		s.deliver(fmt.Sprintf("From: Billing <billing@example.test>\nTo: alice@localhost\nSubject: Invoice %02d\nDate: Mon, 7 Dec 2026 08:%02d:00 +0900\n\nPlease pay.\n", i, i))
	}
	for i := 1; i <= 5; i++ {
		s.deliver(fmt.Sprintf("From: Bob <bob@example.test>\nTo: alice@localhost\nSubject: Lunch %d\nDate: Mon, 7 Dec 2026 10:%02d:00 +0900\n\nNoodles?\n", i, i))
	}
	c := s.imap()
	s.login()
	s.do(chromedp.Evaluate[chromedp.Void](`(() => { const q = document.querySelector('.search input[type="search"]'); q.value = "invoice"; q.form.requestSubmit(); })()`))
	s.waitFor(`new URLSearchParams(location.search).get("q") === "invoice" && document.querySelectorAll(".msglist .row").length === 50 && document.readyState === "complete"`, "the first page of results")
	s.do(chromedp.Click(chromedp.CSS(`.js-selall`)))
	s.waitFor(`!document.getElementById("selallbar").hidden && document.getElementById("selallbar").textContent.includes(`+jsString(offer)+`)`, "the offer to select every result")
	s.do(chromedp.Click(chromedp.CSS(`.js-everything`)))
	s.shot("selectall-found")
	s.do(chromedp.Click(chromedp.CSS(`.toolbar button[value="read"]`)))
	s.waitFor(`!!document.querySelector(".toast") && document.querySelector(".toast").textContent.includes(`+jsString(done)+`)`, "every result marked read")
	if got := eval[string](s, `new URLSearchParams(location.search).get("q")`); got != "invoice" {
		t.Errorf("after the action the search is %q", got)
	}
	if n := s.unseen(c, "INBOX"); n != 5 {
		t.Errorf("%d unread in INBOX after marking every result read, want the 5 lunches", n)
	}
	s.shot("read-found")
	s.do(chromedp.Click(chromedp.CSS(`.toast form.undo button`)))
	s.waitFor(`!!document.querySelector(".toast") && document.querySelector(".toast").textContent.includes(`+jsString(undone)+`)`, "Undo")
	if n := s.unseen(c, "INBOX"); n != 60 {
		t.Errorf("%d unread after Undo, want 60", n)
	}
	// Mark all results read, without ticking anything.
	s.do(chromedp.Click(chromedp.CSS(`.toolbar button[value="readall"]`)))
	s.waitFor(`!!document.querySelector(".toast") && document.querySelector(".toast").textContent.includes(`+jsString(done)+`)`, "Mark all results read")
	if n := s.unseen(c, "INBOX"); n != 5 {
		t.Errorf("%d unread in INBOX after Mark all results read, want 5", n)
	}
	if phone {
		s.noHorizontalScroll("search results")
	}
}
