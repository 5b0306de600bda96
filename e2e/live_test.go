package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// New mail appears in an open inbox without a reload, and the unread badge follows.
func TestLiveInbox(t *testing.T) {
	s := newStack(t, "live", "ja")
	s.login()
	// A marker on the window shows the page was not reloaded.
	s.do(chromedp.Evaluate[chromedp.Void](`window.__stay = 1`))
	// Wait until the stream has reported the starting counts, so the delivery is news.
	s.waitFor(`document.documentElement.dataset.live === "on"`, "the live stream")
	s.deliver("From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <yamada@example.jp>\nTo: alice@localhost\nSubject: =?UTF-8?B?5paw552A44Oh44O844Or?=\n" +
		"Date: Thu, 26 Nov 2026 13:05:00 +0900\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nこんにちは\n")
	s.waitFor(`document.querySelector(".msglist") !== null && document.querySelector(".msglist").textContent.includes("新着メール")`, "the new mail in the list")
	if !eval[bool](s, `window.__stay === 1`) {
		t.Error("the page was reloaded")
	}
	s.waitFor(`(document.querySelector('.folders a.folder[href="/mail?f=INBOX"] .count') || {}).textContent === "1"`, "the unread badge")
	s.shot("live-inbox")
}
