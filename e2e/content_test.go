package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Search and HTML mail in Chromium: English on a 1366×900 desktop, then Japanese on a
// 375×812 phone (each language also checks the other viewport's screens quickly).
func TestSearchAndHTMLMailDesktopEnglish(t *testing.T) {
	searchAndHTML(t, "content-desktop-en", "en-US", false)
}

func TestSearchAndHTMLMailPhoneJapanese(t *testing.T) {
	searchAndHTML(t, "content-phone-ja", "ja", true)
}

// newsletter is an HTML mail whose look lives in its <style> block and which is
// much taller than any screen.
const newsletter = `<html><head><style>
.btn{display:inline-block;background-color:#e8453c;color:#ffffff;border-radius:6px;padding:12px 24px;text-decoration:none}
.hero{background-color:#102a43;color:#f0f4f8;padding:24px}
.spacer{height:2800px;border-left:4px solid #e8453c}
@media (max-width:600px){.hero{padding:8px}}
</style></head><body><div class="hero"><h1>Winter sale</h1></div>
<p><a class="btn" href="https://shop.example/">Shop now</a></p><div class="spacer">long content</div><p id="end">The end.</p></body></html>`

func searchAndHTML(t *testing.T, name, lang string, phone bool) {
	s := newStack(t, name, lang)
	s.useViewport(phone)
	mail := func(from, subject, body string) string {
		return "From: " + from + "\nTo: alice@localhost\nSubject: " + subject + "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n"
	}
	s.deliver(mail("Bob <bob@example.test>", "Rack order", "The server is in the rack room."))
	s.deliver(mail("Carol <carol@example.test>", "Datacenter visit", "We bought a new server rack yesterday."))
	s.deliver(mail("Tanaka <tanaka@example.jp>", "=?UTF-8?B?5Lya6K2w5a6k44Gu5LqI57SE?=", "明日の会議室を予約しました。"))
	s.deliver("From: News <news@shop.example>\nTo: alice@localhost\nSubject: Winter sale\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" + newsletter + "\n")
	s.login()

	// The phrase finds the one mail with the words together; the match is marked,
	// and the query stays in the box and in the URL.
	query := `"server rack"`
	if lang == "ja" {
		query = "「会議室」"
	}
	// Typed and submitted in one step: the list's live refresh may replace the page's
	// nodes between two DevTools calls ("No node with given id found").
	s.waitFor(`document.readyState === "complete" && !!document.querySelector("form.search input[name=q]")`, "the search box")
	s.do(chromedp.Evaluate[chromedp.Void](`(() => { const q = document.querySelector("form.search input[name=q]"); q.value = ` + jsString(query) + `; q.form.submit(); })()`))
	s.waitFor(`new URLSearchParams(location.search).get("q") === `+jsString(query), "the search's URL")
	rows := eval[[]string](s, `[...document.querySelectorAll(".msglist .subj")].map(e => e.textContent.trim())`)
	want := "Datacenter visit"
	if lang == "ja" {
		want = "会議室の予約"
	}
	if len(rows) != 1 || rows[0] != want {
		t.Fatalf("search %s shows %q, want only %q", query, rows, want)
	}
	if got := eval[string](s, `document.querySelector("form.search input[name=q]").value`); got != query {
		t.Errorf("search box holds %q after the search", got)
	}
	if lang == "ja" && eval[int](s, `document.querySelectorAll(".msglist mark").length`) == 0 {
		t.Error("no match marked in the result row")
	}
	if phone {
		s.noHorizontalScroll("search results")
	}
	s.shot("search")

	// The message shows the match marked; back returns to the same search.
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".msglist .rowlink").click()`))
	s.waitFor(`location.pathname === "/msg" && !!document.querySelector("mark")`, "the found message with its match marked")
	marked := eval[string](s, `[...document.querySelectorAll(".textbody mark")].map(m => m.textContent).join("|")`)
	if wantMark := strings.Trim(query, `"「」`); !strings.Contains(marked, wantMark) {
		t.Errorf("message marks %q, want %q", marked, wantMark)
	}
	s.shot("search-message")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("a.back").click()`))
	s.waitFor(`location.pathname === "/mail" && new URLSearchParams(location.search).get("q") === `+jsString(query), "back to the search")
	if got := eval[string](s, `document.querySelector("form.search input[name=q]").value`); got != query {
		t.Errorf("back: search box holds %q", got)
	}

	// The newsletter: its <style> rules apply, and the frame is as tall as the mail,
	// so only the page scrolls.
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`!!document.querySelector(".msglist")`, "the inbox")
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.textContent.includes("Winter sale")).click()`))
	s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); return !!f && f.classList.contains("fitted") && !!f.contentDocument.querySelector("#end") })()`, "the newsletter's frame, fitted")
	s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); const d = f.contentDocument.documentElement; return f.clientHeight >= d.scrollHeight - 2 && d.scrollHeight > 2800 })()`, "the frame to grow to the mail's height")
	inner := eval[[]int](s, `(() => { const d = document.querySelector("iframe.htmlbody").contentDocument.documentElement; return [d.scrollHeight, d.clientHeight] })()`)
	if inner[0] > inner[1]+1 {
		t.Errorf("the mail scrolls inside its frame: content %d px in %d px", inner[0], inner[1])
	}
	bg := eval[string](s, `getComputedStyle(document.querySelector("iframe.htmlbody").contentDocument.querySelector("a.btn")).backgroundColor`)
	if bg != "rgb(232, 69, 60)" {
		t.Errorf("the mail's button lost its <style> colour: background %q", bg)
	}
	if phone {
		s.noHorizontalScroll("html message")
	}
	s.shot("html-message")
}
