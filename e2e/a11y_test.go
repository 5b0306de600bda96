package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axe-core (npm axe-core 4.14.1, MPL-2.0, testdata/axe/) is vendored for this test
// only: it is injected into the page through the DevTools protocol, never served
// by the webmail.
const axePath = "testdata/axe/axe.min.js"

func TestAccessibilityDesktopEnglish(t *testing.T) { accessibility(t, "a11y-desktop", false) }

func TestAccessibilityPhoneJapanese(t *testing.T) { accessibility(t, "a11y-phone", true) }

// accessibility runs axe-core on the main screens (inbox, message, compose,
// search, folders, settings) and fails on any serious or critical violation; it
// also walks the keyboard path to the first message (skip link, landmarks) and
// checks the folder-management page is neither grey nor blank (the .manage bug).
func accessibility(t *testing.T, name string, phone bool) {
	lang := "en-US"
	if phone {
		lang = "ja"
	}
	s := newStack(t, name, lang)
	if phone {
		s.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
		if _, err := chromedp.Call(s.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		}); err != nil {
			t.Fatal(err)
		}
	} else {
		s.do(chromedp.EmulateViewport(1366, 900))
	}
	c := s.imap()
	if err := c.Create("Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Projects/2026", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	s.deliver("From: Taro Yamada <taro@example.jp>\nTo: alice@localhost\nSubject: =?UTF-8?B?6YCx5pyr44Gu5LqI5a6a?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n来週の予定を教えてください。\n")
	s.deliver("From: Bob <bob@example.test>\nTo: alice@localhost\nSubject: Server rack quote\n\nThe server rack arrives Monday.\n")
	s.login()

	// The skip link is the first thing Tab reaches, and it lands on the content.
	s.waitFor(`document.readyState === "complete"`, "the page's scripts")
	s.do(chromedp.KeyEvent("\t"))
	if got := eval[string](s, `document.activeElement.className`); got != "skip" {
		t.Errorf("first Tab reaches %q, want the skip link", got)
	}
	s.do(chromedp.KeyEvent("\r"))
	s.waitFor(`location.hash === "#msglist"`, "the skip link followed to the messages")
	// Bug: 27 Tab presses reached the first message; now 4: the skip link, Enter,
	// the first row's checkbox, its link.
	s.do(chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	if !eval[bool](s, `document.activeElement === document.querySelector(".msglist .rowlink")`) {
		t.Errorf("after the skip link and two Tabs the focus is on %s, want the first message",
			eval[string](s, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	if n := eval[int](s, `document.querySelectorAll("header, nav[aria-label], main").length`); n < 3 {
		t.Errorf("%d landmarks (header, labelled nav, main), want 3", n)
	}

	s.axe("inbox")
	s.do(chromedp.Click(chromedp.CSS(`.msglist .rowlink`)))
	s.waitFor(`location.pathname === "/msg"`, "the message")
	s.axe("message")
	s.do(chromedp.Navigate(s.base + "/compose"))
	s.waitFor(`!!document.querySelector("textarea[name=body]")`, "the compose form")
	s.axe("compose")
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX&q=%22server+rack%22"))
	s.waitFor(`!!document.querySelector(".msglist mark")`, "the search results")
	s.axe("search")
	s.do(chromedp.Navigate(s.base + "/folders"))
	s.waitFor(`!!document.querySelector(".fldlist")`, "the folders page")
	s.axe("folders")
	// Bug: the page's section shared the sidebar links' class and came out grey and
	// small on the desktop and blank on the phone.
	if got := eval[[]string](s, `(function () { var h = document.querySelector("section.manage h1"), r = h.getBoundingClientRect();
		return [getComputedStyle(h).color, getComputedStyle(document.body).color, String(r.height > 0 && r.width > 0)]; })()`); got[0] != got[1] || got[2] != "true" {
		t.Errorf("folders page heading: colour %s (body %s), shown %s", got[0], got[1], got[2])
	}
	if phone {
		s.noHorizontalScroll("folders page")
	}
	s.do(chromedp.Navigate(s.base + "/settings"))
	s.waitFor(`!!document.querySelector(".settings-form")`, "the settings page")
	s.axe("settings")
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axe injects axe-core into the page (once) and fails on serious or critical
// violations, naming each with the elements at fault; it also shoots the page.
func (s *stack) axe(screen string) {
	s.t.Helper()
	s.shot(screen)
	if !eval[bool](s, `typeof axe !== "undefined"`) {
		src, err := os.ReadFile(axePath)
		if err != nil {
			s.t.Fatalf("axe-core: %v", err)
		}
		if _, err := chromedp.Run(s.ctx, chromedp.Evaluate[chromedp.Void](string(src))); err != nil {
			s.t.Fatalf("inject axe-core: %v", err)
		}
	}
	out, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`axe.run(document, { resultTypes: ["violations"] }).then(function (r) { return JSON.stringify(r.violations); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("axe on %s: %v", screen, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		s.t.Fatalf("axe on %s: %v", screen, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, n.HTML)
		}
		msg := screen + ": " + v.Impact + " " + v.ID + " (" + v.Help + "): " + strings.Join(where, " | ")
		if v.Impact == "serious" || v.Impact == "critical" {
			s.t.Error(msg)
		} else {
			s.t.Log(msg)
		}
	}
}
