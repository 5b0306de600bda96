package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Moving mail by touch (issue 14 item 6), on a 375×812 phone with Chromium's touch
// emulation, English and Japanese: a long press selects a row (it does not open),
// taps then add rows to the selection or take them out, "Move to…" opens a sheet
// of folders with 48 px rows, and a tap on a folder moves the selection there with
// the usual toast. On the message screen the same sheet moves the message. With
// nothing selected a tap opens the message as always. The phone list shows 12 rows
// or more. Screenshots light and dark in artifacts/touch-*.
func TestTouchMovePhoneEnglish(t *testing.T) {
	touchMove(t, "touch-phone-en", "en-US", "2 messages moved to Projects.")
}

func TestTouchMovePhoneJapanese(t *testing.T) {
	touchMove(t, "touch-phone-ja", "ja", "2件のメッセージを「Projects」に移動しました。")
}

func touchMove(t *testing.T, name, lang, moved2 string) {
	s := newStack(t, name, lang)
	s.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch))
	c := s.imap()
	for _, f := range []string{"Projects", "Projects/2026"} {
		if err := c.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 30; i++ {
		s.deliver(fmt.Sprintf("From: Sender %02d <s%02d@example.test>\nTo: alice@localhost\nSubject: Report %02d\nDate: Mon, 7 Dec 2026 09:%02d:00 +0900\n\nThe text of report %02d.\n", i, i, i, i, i))
	}
	s.login()
	s.waitFor(`document.readyState === "complete"`, "the page's scripts")
	rows := eval[int](s, `[...document.querySelectorAll(".msglist .row")].filter(r => r.getBoundingClientRect().bottom <= innerHeight).length`)
	if rows < 12 {
		t.Errorf("%d rows visible on the phone, want 12 or more", rows)
	}
	s.viewShot("inbox")
	// touch presses the middle of what sel finds, for hold.
	touch := func(sel string, hold time.Duration) {
		t.Helper()
		at := eval[[]float64](s, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) { return []; } e.scrollIntoView({ block: "nearest", inline: "nearest" }); const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
		if len(at) != 2 {
			t.Fatalf("nothing to touch at %s", sel)
		}
		if _, err := chromedp.Call(s.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{
			Type: input.DispatchTouchEventTypeTouchStart, TouchPoints: []*input.TouchPoint{{X: at[0], Y: at[1]}}}); err != nil {
			t.Fatal(err)
		}
		s.do(chromedp.Sleep(hold))
		if _, err := chromedp.Call(s.ctx, input.DispatchTouchEvent, input.DispatchTouchEventParams{
			Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{}}); err != nil {
			t.Fatal(err)
		}
	}
	ticked := `[...document.querySelectorAll(".msglist .row")].filter(r => r.querySelector("input[name=uid]").checked).map(r => r.querySelector(".subj").textContent.trim()).join("|")`
	if !eval[bool](s, `!document.querySelector(".toolbar .js-movesheet").hidden && getComputedStyle(document.querySelector(".toolbar select[name=dest]")).display === "none"`) {
		t.Error("no Move to… sheet button in place of the menu on a touch screen")
	}

	// A long press selects, and does not open the message.
	touch(".msglist .row:nth-child(3) .subj", 800*time.Millisecond)
	s.waitFor(ticked+` === "Report 28"`, "the long-pressed row selected")
	s.do(chromedp.Sleep(300 * time.Millisecond))
	if got := eval[string](s, `location.pathname`); got != "/mail" {
		t.Fatalf("the long press opened %s", got)
	}
	// Taps now select and unselect.
	touch(".msglist .row:nth-child(5) .subj", 50*time.Millisecond)
	s.waitFor(ticked+` === "Report 28|Report 26"`, "a tap adding a row to the selection")
	touch(".msglist .row:nth-child(3) .subj", 50*time.Millisecond)
	s.waitFor(ticked+` === "Report 26"`, "a tap taking a row out")
	touch(".msglist .row:nth-child(4) .subj", 50*time.Millisecond)
	s.waitFor(ticked+` === "Report 27|Report 26"`, "a tap adding another row")
	if !eval[bool](s, `(() => { const b = document.querySelector(".listform .toolbar"); return Math.abs(b.getBoundingClientRect().bottom - innerHeight) < 2; })()`) {
		t.Error("no action bar at the bottom while rows are selected")
	}
	s.viewShot("selected")

	// Move to… : the sheet, then a folder.
	touch(".listform .toolbar .js-movesheet", 50*time.Millisecond)
	s.waitFor(`document.querySelector(".listform dialog.movesheet").open`, "the sheet of folders")
	tapTargets(s, "the sheet of folders")
	if got := eval[[]string](s, `[...document.querySelectorAll(".listform dialog.movesheet .sheetfolder")].map(b => b.dataset.dest)`); len(got) < 3 || got[0] == "INBOX" {
		t.Errorf("sheet folders %q (the current folder must not be one)", got)
	}
	s.viewShot("move-sheet")
	dark(s, true)
	s.viewShot("move-sheet-dark")
	dark(s, false)
	touch(`.listform dialog.movesheet .sheetfolder[data-dest="Projects"]`, 50*time.Millisecond)
	s.waitFor(`!!document.querySelector(".toast") && document.querySelector(".toast").textContent.includes(`+jsString(moved2)+`)`, "the toast after moving")
	if n := s.count(c, "Projects"); n != 2 {
		t.Errorf("Projects holds %d, want 2", n)
	}
	s.viewShot("moved")

	// Nothing selected: a tap opens the message; its own sheet moves it.
	s.waitFor(`document.readyState === "complete" && !document.querySelector('.msglist input[name="uid"]:checked')`, "the list after the move")
	touch(".msglist .row:nth-child(1) .subj", 50*time.Millisecond)
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("h1.subject") && document.readyState === "complete"`, "the message opened by a tap")
	touch(".msgbar .js-movesheet", 50*time.Millisecond)
	s.waitFor(`document.querySelector(".msgbar dialog.movesheet").open`, "the message's sheet of folders")
	touch(`.msgbar dialog.movesheet .sheetfolder[data-dest="Projects/2026"]`, 50*time.Millisecond)
	s.waitFor(`!!document.querySelector(".toast")`, "the toast after moving the message")
	if n := s.count(c, "Projects/2026"); n != 1 {
		t.Errorf("Projects/2026 holds %d, want 1", n)
	}
	s.noHorizontalScroll("after moving")
}
