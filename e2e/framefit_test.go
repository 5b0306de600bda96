package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// The HTML mail's frame is as tall as the mail: a short mail gets a short frame (it
// came out at the frame's initial 70vh, or taller, whatever its content), a mail whose
// own CSS says html, body and its table are 100% high too, and a 3,000 px newsletter
// still does not scroll inside its frame. Desktop and phone.
func TestHTMLFrameFitsShortMailDesktop(t *testing.T) { frameFits(t, "framefit-desktop", false) }

func TestHTMLFrameFitsShortMailPhone(t *testing.T) { frameFits(t, "framefit-phone", true) }

// fullHeightMail is how many newsletters begin: the page and its layout table claim
// the whole window, though the content is one heading and one line.
const fullHeightMail = `<html><head><style>
html,body{height:100%;margin:0;padding:0}
.wrap{height:100%;width:100%}
</style></head><body><table class="wrap" height="100%" width="100%"><tr><td valign="top">
<h1 id="last">Short and full height</h1></td></tr></table></body></html>`

func frameFits(t *testing.T, name string, phone bool) {
	s := newStack(t, name, "en-US")
	s.useViewport(phone)
	html := func(subject, body string) string {
		return "From: News <news@shop.example>\nTo: alice@localhost\nSubject: " + subject + "\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" + body + "\n"
	}
	s.deliver(html("One heading", `<h1 id="last">Hello</h1>`))
	s.deliver(html("Full height", fullHeightMail))
	s.deliver(html("Winter sale", newsletter))
	s.login()

	open := func(subject string) {
		t.Helper()
		s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
		s.waitFor(`!!document.querySelector(".msglist")`, "the inbox")
		// Clicked as a user does: on the desktop it opens in the reading pane
		// (panes.js), on the phone as a page of its own.
		s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.textContent.includes(` + jsString(subject) + `)).click()`))
		s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); return !!f && f.classList.contains("fitted") && !!f.contentDocument && !!f.contentDocument.querySelector("#last, #end") })()`, subject+": the fitted frame")
	}
	// frame is the frame's outer height, where the mail's last element ends inside
	// it (with its bottom margin or the body's, which collapse), and the frame
	// document's own scroll and view heights.
	frame := func() (outer, contentEnd, scroll, view int) {
		t.Helper()
		r := eval[[]int](s, `(() => {
			const f = document.querySelector("iframe.htmlbody"), d = f.contentDocument, w = f.contentWindow;
			const last = d.querySelector("#last, #end");
			const end = last.getBoundingClientRect().bottom + w.scrollY + Math.max(parseFloat(w.getComputedStyle(last).marginBottom), parseFloat(w.getComputedStyle(d.body).marginBottom));
			return [Math.round(f.getBoundingClientRect().height), Math.ceil(end), d.documentElement.scrollHeight, d.documentElement.clientHeight];
		})()`)
		return r[0], r[1], r[2], r[3]
	}
	// The frame's borders (2 px) and rounding: anything beyond a few pixels is space
	// the mail does not fill.
	const slack = 8
	for _, subject := range []string{"One heading", "Full height"} {
		open(subject)
		outer, end, scroll, view := frame()
		if outer > end+slack || outer < end {
			t.Errorf("%s: the frame is %d px tall for a mail that ends at %d px", subject, outer, end)
		}
		if scroll > view+1 {
			t.Errorf("%s: the mail scrolls inside its frame: %d px in %d px", subject, scroll, view)
		}
		if phone {
			s.noHorizontalScroll(subject)
		}
		s.shot(fmt.Sprintf("short-%s", map[string]string{"One heading": "heading", "Full height": "fullheight"}[subject]))
	}

	// The tall newsletter: the frame holds all of it, so only the page scrolls.
	open("Winter sale")
	s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); return f.clientHeight > 2800 })()`, "the newsletter's frame to grow")
	outer, end, scroll, view := frame()
	if scroll > view+1 {
		t.Errorf("the newsletter scrolls inside its frame: %d px in %d px", scroll, view)
	}
	if outer > end+slack || outer < end {
		t.Errorf("newsletter: the frame is %d px tall for a mail that ends at %d px", outer, end)
	}
	s.shot("newsletter")
}
