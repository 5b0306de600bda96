package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestSieveScriptEditorDesktop(t *testing.T) { scriptEditor(t, "script-desktop", false) }

func TestSieveScriptEditorPhone(t *testing.T) { scriptEditor(t, "script-phone", true) }

// scriptEditor: the expert's page does over ManageSieve what a Sieve client does —
// upload a script the server checks (an error comes back with its line and
// column, and the text stays in the editor to fix), activate it, and list the
// scripts with the active one marked; mail arriving over SMTP then follows it.
func scriptEditor(t *testing.T, name string, phone bool) {
	lang, active := "en-US", "(active)"
	if phone {
		lang, active = "ja", "(有効)"
	}
	s := newStack(t, name, lang)
	s.useViewport(phone)
	s.login()
	s.do(chromedp.Navigate(s.base + "/settings/script"))
	s.waitFor(`!!document.querySelector("form.script-form")`, "the script editor")

	broken := "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"会議\" {\n  fileinto :create \"Meetings\"\n}\n"
	s.do(
		chromedp.SetValue(chromedp.CSS(`form.script-form input[name=name]`), "mine"),
		chromedp.SetValue(chromedp.CSS(`form.script-form textarea[name=text]`), broken),
		chromedp.Click(chromedp.CSS(`form.script-form input[name=activate]`)),
		chromedp.Click(chromedp.CSS(`form.script-form button[type=submit]`)),
	)
	// The missing ";" after fileinto: the server names line 4, where it found "}".
	s.waitFor(`!!document.querySelector(".flash.error") && /line 4, column \d+/.test(document.querySelector(".flash.error").textContent)`, "the server's error with its line and column")
	if got := eval[string](s, `document.querySelector("form.script-form textarea[name=text]").value.trim()`); got != strings.TrimSpace(broken) {
		t.Errorf("the refused text is not kept in the editor: %q", got)
	}
	if phone {
		s.noHorizontalScroll("script error")
	}
	s.shot("error")

	fixed := "require [\"fileinto\", \"mailbox\"];\nif header :contains \"subject\" \"会議\" {\n  fileinto :create \"Meetings\";\n}\n"
	if !eval[bool](s, `document.querySelector("form.script-form input[name=activate]").checked`) {
		t.Error("the activate box was not kept checked with the refused text")
	}
	s.do(
		chromedp.SetValue(chromedp.CSS(`form.script-form textarea[name=text]`), fixed),
		chromedp.Click(chromedp.CSS(`form.script-form button[type=submit]`)),
	)
	s.waitFor(`[...document.querySelectorAll("ul.scripts li")].some(li => li.textContent.includes("mine") && li.textContent.includes(`+jsString(active)+`))`, "the script listed as active")
	s.shot("saved")

	mxSend(t, s.run.Addr("smtp"), "From: boss@example.jp\r\nTo: alice@localhost\r\nSubject: =?UTF-8?B?5a6a5L6L5Lya6K2w?=\r\n\r\nx\r\n")
	s.do(chromedp.Navigate(s.base + "/mail?f=Meetings"))
	s.waitFor(`[...document.querySelectorAll(".rowlink")].some(a => a.textContent.includes("定例会議"))`, "the message the script filed into Meetings")
	s.shot("filed")
}
