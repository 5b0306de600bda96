package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2"
)

// Every shortcut the "?" help lists works on a message in the reading pane as on
// the message's own page (issue 14 item 8; u used to do nothing there): j/k open
// the next/previous message in the pane, s flags, e archives and # deletes the open
// message (the next one opens), x ticks its row, Shift+U marks it unread and goes
// back to the list (as the message's page does), Shift+I marks the row read, u goes
// back to the list, o opens the row under the cursor, r replies. Desktop
// 1366×900, English light and Japanese dark; screenshots in artifacts/panekeys-*.
func TestPaneKeysDesktopEnglish(t *testing.T) { paneKeys(t, "panekeys-desktop-en", "en-US", false) }

func TestPaneKeysDesktopJapaneseDark(t *testing.T) { paneKeys(t, "panekeys-desktop-ja", "ja", true) }

func paneKeys(t *testing.T, name, lang string, darkMode bool) {
	s := newStack(t, name, lang)
	s.do(chromedp.EmulateViewport(1366, 900))
	dark(s, darkMode)
	for i := 1; i <= 6; i++ {
		s.deliver(fmt.Sprintf("From: Sender %d <s%d@example.test>\nTo: alice@localhost\nSubject: Report %02d\nDate: Mon, 7 Dec 2026 09:%02d:00 +0900\nMessage-ID: <k%d@example.test>\n\nbody %d\n", i, i, i, i, i, i))
	}
	c := s.imap()
	s.login()
	s.waitFor(`document.readyState === "complete"`, "the page's scripts")
	pane := func(want, what string) {
		t.Helper()
		s.waitFor(`(() => { const h = document.querySelector("#readpane h1.subject"); return !!h && h.textContent.trim() === `+jsString(want)+
			` && document.querySelector(".row.open .subj").textContent.trim() === `+jsString(want)+` })()`, what)
	}
	key := func(k string) { t.Helper(); s.do(chromedp.KeyEvent(k)) }
	flags := func(subject string) []imap.Flag {
		t.Helper()
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		res, err := c.Search(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: subject}}}, nil).Wait()
		if err != nil || len(res.AllSeqNums()) != 1 {
			t.Fatalf("search %s: %v %v", subject, res, err)
		}
		msgs, err := c.Fetch(imap.SeqSetNum(res.AllSeqNums()...), &imap.FetchOptions{Flags: true}).Collect()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("fetch %s: %v", subject, err)
		}
		return msgs[0].Flags
	}
	waitFlag := func(subject string, f imap.Flag, on bool, what string) {
		t.Helper()
		for range 100 {
			if slices.Contains(flags(subject), f) == on {
				return
			}
			s.do(chromedp.Sleep(100_000_000))
		}
		t.Fatalf("%s: %s of %s is not %v", what, f, subject, on)
	}

	s.do(chromedp.Evaluate[chromedp.Void](`window.__stay = 1; [...document.querySelectorAll(".rowlink")].find(a => a.textContent.includes("Report 05")).click()`))
	pane("Report 05", "Report 05 in the pane")
	key("j")
	pane("Report 04", "j: the next message in the pane")
	key("k")
	pane("Report 05", "k: the previous message in the pane")
	key("s")
	waitFlag("Report 05", imap.FlagFlagged, true, "s")
	pane("Report 05", "Report 05 still open after s")
	s.shot("pane-keys")
	key("e")
	pane("Report 04", "e: archived, the next message open")
	archived := map[string]string{"en-US": "1 message moved to Archive.", "ja": "1件のメッセージを「アーカイブ」に移動しました。"}[lang]
	s.waitFor(`!!document.querySelector(".toast form.undo") && document.querySelector(".toast").textContent.includes(`+jsString(archived)+`)`, "the toast with Undo after e in the pane")
	if n := s.count(c, "Archive"); n != 1 {
		t.Errorf("Archive holds %d after e, want 1", n)
	}
	key("#")
	pane("Report 03", "#: deleted, the next message open")
	if n := s.count(c, "Trash"); n != 1 {
		t.Errorf("Trash holds %d after #, want 1", n)
	}
	key("x")
	s.waitFor(`document.querySelector(".row.open input[name=uid]").checked`, "x: the open row ticked")
	key("x")
	s.waitFor(`!document.querySelector(".row.open input[name=uid]").checked`, "x again: the open row unticked")
	if !eval[bool](s, `window.__stay === 1`) {
		t.Error("a shortcut in the pane reloaded the page")
	}
	// Shift+U marks the open message unread and goes back to the list, as on the
	// message's page (reading it in the pane would mark it read again).
	key("U")
	waitFlag("Report 03", imap.FlagSeen, false, "Shift+U")
	s.waitFor(`!document.querySelector("#readpane article.message") && [...document.querySelectorAll(".row.unread .subj")].some(e => e.textContent.trim() === "Report 03")`, "Shift+U: the list, the row unread")
	// Shift+I marks the row under the cursor (the one that was open) read.
	key("I")
	waitFlag("Report 03", imap.FlagSeen, true, "Shift+I")
	s.waitFor(`document.readyState === "complete" && !!document.querySelector(".msglist")`, "the list after Shift+I")
	// u: back to the list, in place.
	s.do(chromedp.Evaluate[chromedp.Void](`window.__stay = 2; [...document.querySelectorAll(".rowlink")].find(a => a.textContent.includes("Report 06")).click()`))
	pane("Report 06", "Report 06 in the pane")
	key("u")
	s.waitFor(`location.pathname === "/mail" && !document.querySelector("#readpane article.message") && !!document.querySelector("#readpane .paneempty") && !document.querySelector(".row.open")`, "u: back to the list")
	if !eval[bool](s, `window.__stay === 2`) {
		t.Error("u reloaded the page")
	}
	s.shot("pane-closed")
	key("k")
	key("o")
	pane("Report 06", "o: the row under the cursor opens in the pane")
	key("n")
	pane("Report 03", "n: the next message in the pane (05 and 04 are gone)")
	key("p")
	pane("Report 06", "p: the previous message in the pane")
	if !eval[bool](s, `window.__stay === 2`) {
		t.Error("o, n or p in the pane reloaded the page")
	}
	key("r")
	s.waitFor(`location.pathname === "/compose" && document.querySelector("input[name=subject]").value === "Re: Report 06"`, "r: a reply to the open message")
}
