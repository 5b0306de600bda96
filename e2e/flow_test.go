package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

func TestDailyFlowDesktop(t *testing.T) { dailyFlow(t, "desktop", false) }

func TestDailyFlowPhone(t *testing.T) { dailyFlow(t, "phone", true) }

// dailyFlow: log in, send a mail to yourself with a Japanese subject and an
// attachment, see it in the inbox, open it, download the attachment, reply, delete it,
// log out.
func dailyFlow(t *testing.T, name string, phone bool) {
	lang := "en-US"
	if phone {
		lang = "ja" // the phone runs the Japanese UI
	}
	s := newStack(t, name, lang)
	if phone {
		// A phone in dark mode, so the screenshots show the dark palette too.
		s.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
		if _, err := chromedp.Call(s.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		}); err != nil {
			t.Fatalf("emulate dark mode: %v", err)
		}
	}
	check := func(where string) {
		t.Helper()
		if phone {
			s.noHorizontalScroll(where)
		}
	}
	s.deliver("From: Taro Yamada <taro@example.jp>\nTo: alice@localhost\nSubject: =?UTF-8?B?6YCx5pyr44Gu5LqI5a6a?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n来週の予定を教えてください。\n")
	s.login()
	if want := lang[:2]; eval[string](s, `document.documentElement.lang`) != want {
		t.Errorf("UI language = %q, want %q", eval[string](s, `document.documentElement.lang`), want)
	}
	check("inbox")
	s.shot("inbox")

	// Compose to self with a Japanese subject and an attachment.
	dir := t.TempDir()
	attachment := filepath.Join(dir, "見積書.txt")
	os.WriteFile(attachment, []byte("お見積り: 12,000円\n"), 0o644)
	const subject = "お見積りの件について"
	s.do(
		chromedp.Click(chromedp.CSS(`a.compose`)),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=body]`)),
	)
	check("compose")
	s.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=to]`), "alice@localhost"),
		chromedp.SetValue(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`textarea[name=body]`), "見積書を添付します。\nご確認ください。"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{attachment}),
	)
	s.shot("compose")
	s.do(chromedp.Click(chromedp.CSS(`form.composer button.primary`)))
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".flash")`, "the sent confirmation")

	// It arrives in the inbox.
	s.waitFor(`[...document.querySelectorAll(".rowlink")].some(a => a.textContent.includes(`+jsString(subject)+`))`, "the new message in the list")
	check("inbox after send")
	// Every row shows its date, on the phone too; the first mail has no Date header
	// and shows when it arrived.
	if !eval[bool](s, `[...document.querySelectorAll(".rowlink time")].every(t => t.textContent.trim() !== "" && t.getBoundingClientRect().width > 0 && t.getBoundingClientRect().right <= window.innerWidth)`) {
		t.Error("a list row shows no date")
	}
	s.shot("inbox-after-send")
	rows := eval[int](s, `document.querySelectorAll(".rowlink").length`)

	// Open it.
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.textContent.includes(` + jsString(subject) + `)).click()`))
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("h1.subject")`, "the message page")
	got := eval[string](s, `document.querySelector("h1.subject").textContent`)
	if !strings.Contains(got, subject) {
		t.Errorf("message subject = %q", got)
	}
	body := eval[string](s, `document.querySelector(".textbody").textContent`)
	if !strings.Contains(body, "見積書を添付します。") {
		t.Errorf("message body = %q", body)
	}
	check("message")
	s.shot("message")

	// Download the attachment.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(s.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("download behaviour: %v", err)
	}
	s.do(chromedp.Click(chromedp.CSS(`a.att`)))
	var data []byte
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(downloads, "見積書.txt")); err == nil && len(b) > 0 {
			data = b
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if string(data) != "お見積り: 12,000円\n" {
		entries, _ := os.ReadDir(downloads)
		t.Errorf("downloaded attachment = %q (files: %v)", data, entries)
	}

	// Reply.
	s.do(
		chromedp.Click(chromedp.CSS(`a[data-key="r"]`)),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=body]`)),
	)
	if v := eval[string](s, `document.querySelector("input[name=subject]").value`); v != "Re: "+subject {
		t.Errorf("reply subject = %q", v)
	}
	check("reply")
	// The attribution line is in the UI language.
	wrote := " wrote:\n> 見積書を添付します。"
	if phone {
		wrote = "さんは書きました:\n> 見積書を添付します。"
	}
	if v := eval[string](s, `document.querySelector("textarea[name=body]").value`); !strings.Contains(v, wrote) {
		t.Errorf("reply body = %q, want the quote under %q", v, wrote)
	}
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("textarea[name=body]").value = "承知しました。" + document.querySelector("textarea[name=body]").value`))
	s.shot("reply")
	s.do(chromedp.Click(chromedp.CSS(`form.composer button.primary`)))
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".flash")`, "the reply sent")
	s.waitFor(`[...document.querySelectorAll(".rowlink")].some(a => a.textContent.includes("Re: `+subject+`"))`, "the reply in the list")
	if n := eval[int](s, `document.querySelectorAll(".rowlink").length`); n != rows+1 {
		t.Errorf("after reply the list has %d rows, want %d", n, rows+1)
	}

	// Open the original again (it shows as answered) and delete it.
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.querySelector(".subj").textContent.trim() === ` + jsString(subject) + `).click()`))
	s.waitFor(`location.pathname === "/msg"`, "the original message")
	s.do(chromedp.Click(chromedp.CSS(`.msgbar button[value=delete]`)))
	// Delete opens the next message (issue 14 item 3), the older one from Taro.
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("h1.subject") && document.querySelector("h1.subject").textContent.includes("週末の予定")`, "the next message after delete")
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".listform")`, "the list after delete")
	if eval[bool](s, `[...document.querySelectorAll(".subj")].some(e => e.textContent.trim() === `+jsString(subject)+`)`) {
		t.Error("deleted message still in the inbox")
	}
	check("inbox after delete")
	s.shot("inbox-after-delete")

	// In the trash.
	s.do(chromedp.Navigate(s.base + "/mail?f=Trash"))
	s.waitFor(`[...document.querySelectorAll(".subj")].some(e => e.textContent.trim() === `+jsString(subject)+`)`, "the message in Trash")

	// Log out; the inbox then asks for a login again.
	s.do(chromedp.Click(chromedp.CSS(`form.logout button`)))
	s.waitFor(`location.pathname === "/login"`, "the login page after logout")
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`location.pathname === "/login"`, "the login page for a signed-out inbox")
	check("login")
}
