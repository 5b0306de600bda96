package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"
)

func TestSettingsPagesDesktop(t *testing.T) { settingsPages(t, "settings-desktop", false) }

func TestSettingsPagesPhone(t *testing.T) { settingsPages(t, "settings-phone", true) }

// settingsPages: turn the out-of-office reply on and add a filter in the
// browser; the page shows what was saved, and mail arriving over SMTP is filed
// by the rule into a folder the browser then lists.
func settingsPages(t *testing.T, name string, phone bool) {
	lang, saved, filtersSaved := "en-US", "Out-of-office settings saved.", "Filters saved."
	if phone {
		lang, saved, filtersSaved = "ja", "不在通知の設定を保存しました。", "フィルターを保存しました。"
	}
	s := newStack(t, name, lang)
	if phone {
		s.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	}
	s.login()
	if phone {
		s.do(chromedp.Navigate(s.base + "/settings/vacation"))
	} else {
		s.do(chromedp.Click(chromedp.CSS(`a[href="/settings/vacation"]`)))
	}
	s.waitFor(`!!document.querySelector("form.vacation-form")`, "the Out-of-office page")
	const subject = `不在のお知らせ "年末年始"`
	s.do(
		chromedp.Click(chromedp.CSS(`input[name=on]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`textarea[name=message]`), "1月6日から出社します。\nよろしくお願いします。"),
	)
	if phone {
		s.noHorizontalScroll("out of office")
	}
	s.shot("vacation-form")
	s.do(chromedp.Click(chromedp.CSS(`form.vacation-form button[type=submit]`)))
	s.waitFor(`document.body.textContent.includes(`+jsString(saved)+`)`, "the saved notice")
	if !eval[bool](s, `document.querySelector("input[name=on]").checked && document.querySelector("input[name=subject]").value === `+jsString(subject)+
		` && document.querySelector("textarea[name=message]").value.includes("1月6日から出社します。")`) {
		t.Error("the saved settings are not shown on the page")
	}
	s.shot("vacation-saved")

	s.do(chromedp.Navigate(s.base + "/settings/filters"))
	s.waitFor(`!!document.querySelector("form.filter-form")`, "the Filters page")
	s.do(
		chromedp.SetValue(chromedp.CSS(`select[name=field]`), "subject"),
		chromedp.SendKeys(chromedp.CSS(`input[name=contains]`), "請求書"),
		chromedp.SendKeys(chromedp.CSS(`input[name=folder]`), "経理"),
		chromedp.Click(chromedp.CSS(`form.filter-form button[type=submit]`)),
	)
	s.waitFor(`document.body.textContent.includes(`+jsString(filtersSaved)+`) && !!document.querySelector("ol.rules li")`, "the saved filter")
	if phone {
		s.noHorizontalScroll("filters")
	}
	s.shot("filters")

	mxSend(t, s.run.Addr("smtp"), "From: keiri@example.jp\r\nTo: alice@localhost\r\nSubject: =?UTF-8?B?6KuL5rGC5pu444Gu44GK55+l44KJ44Gb?=\r\n\r\nx\r\n")
	s.do(chromedp.Navigate(s.base + "/mail?" + url.Values{"f": {"経理"}}.Encode()))
	s.waitFor(`[...document.querySelectorAll(".rowlink")].some(a => a.textContent.includes("請求書のお知らせ"))`, "the filed message in 経理")
	s.shot("filed")
}

// mxSend delivers raw to alice over the MX listener, as a remote server would.
func mxSend(t *testing.T, addr, raw string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("keiri@example.jp", []string{"alice@localhost"}, strings.NewReader(raw)); err != nil {
		t.Fatalf("send: %v", err)
	}
}
