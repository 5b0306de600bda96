package e2e

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yubinmail/yubin/web"
)

func TestPreviewAndSenderImagesDesktopEnglish(t *testing.T) {
	previewAndSenderImages(t, "preview-desktop-en", "en-US", false)
}

func TestPreviewAndSenderImagesPhoneJapanese(t *testing.T) {
	previewAndSenderImages(t, "preview-phone-ja", "ja", true)
}

// onePagePDF says "Hello PDF preview".
const onePagePDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>endobj\n" +
	"4 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n" +
	"5 0 obj<</Length 49>>stream\nBT /F1 24 Tf 72 700 Td (Hello PDF preview) Tj ET\nendstream endobj\n" +
	"trailer<</Size 6/Root 1 0 R>>\n%%EOF\n"

// An image and a PDF attachment open in the page beside their download links; a
// page calling itself a PNG opened as a preview runs nothing; "Always show images
// from" a newsletter's sender loads its images through the proxy, there and in the
// sender's next mail, and can be stopped.
func previewAndSenderImages(t *testing.T, name, lang string, phone bool) {
	site := newImageSite(t)
	s := newStackWith(t, name, lang, func(c *web.Config) { c.ImageProxyAllow = []netip.AddrPort{site.addr} })
	s.useViewport(phone)
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for x := 0; x < 320; x++ {
		for y := 0; y < 200; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / 320), 120, uint8(y * 255 / 200), 255})
		}
	}
	var pngBytes bytes.Buffer
	png.Encode(&pngBytes, img)
	part := func(ct, fname string, data []byte) string {
		return "--pp\nContent-Type: " + ct + "; name=\"" + fname + "\"\nContent-Disposition: attachment; filename=\"" + fname +
			"\"\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(data) + "\n"
	}
	s.deliver("From: Bob <bob@example.test>\nTo: alice@localhost\nSubject: Scans\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=pp\n\n--pp\nContent-Type: text/plain; charset=utf-8\n\nthe scans\n" +
		part("image/png", "photo.png", pngBytes.Bytes()) + part("application/pdf", "report.pdf", []byte(onePagePDF)) +
		part("image/png", "fake.png", []byte(`<html><script>parent.postMessage('xss:preview','*');top.document.title='xss:preview'</script></html>`)) +
		"--pp--\n")
	news := func(subject string) string {
		return "From: Shop News <news@shop.example>\nTo: alice@localhost\nSubject: " + subject + "\nMIME-Version: 1.0\n" +
			"Content-Type: text/html; charset=utf-8\n\n<h1>" + subject + `</h1><p><img src="` + site.url + `/` + strings.ReplaceAll(subject, " ", "-") + `.gif" width="120" height="60" alt=""></p>` + "\n"
	}
	s.deliver(news("Winter sale"))
	s.login()

	// The attachments: preview the image, then the PDF.
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.closest("tr, li, .row").textContent.includes("Scans")).click()`))
	s.waitFor(`location.pathname === "/msg" && document.querySelectorAll(".preview-link").length === 3`, "the message with three preview links")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".preview-link").click()`))
	s.waitFor(`!!document.querySelector("iframe.preview-frame.image")`, "the image preview")
	frameOK := func(kind string) string {
		return `(() => { const f = document.querySelector("iframe.preview-frame.` + kind + `"); const e = f && performance.getEntriesByName(f.src)[0]; return !!e && e.responseStatus === 200; })()`
	}
	s.waitFor(frameOK("image"), "the image preview to load")
	if sb := eval[string](s, `document.querySelector("iframe.preview-frame.image").getAttribute("sandbox")`); sb != "" {
		t.Errorf("image preview frame sandbox=%q, want the empty (strictest) sandbox", sb)
	}
	time.Sleep(300 * time.Millisecond)
	s.noHorizontalScroll("image preview")
	s.shot("preview-image")
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".preview-link")].find(a => a.closest("li").textContent.includes("report.pdf")).click()`))
	s.waitFor(`!!document.querySelector("iframe.preview-frame.pdf")`, "the PDF preview")
	s.waitFor(frameOK("pdf"), "the PDF preview to load")
	time.Sleep(1500 * time.Millisecond) // the viewer draws the page
	s.noHorizontalScroll("PDF preview")
	s.shot("preview-pdf")
	msgURL := eval[string](s, `location.href`)

	// A page calling itself a PNG, opened as a preview on its own: refused, inert.
	fake := eval[string](s, `[...document.querySelectorAll(".preview-link")].find(a => a.closest("li").textContent.includes("fake.png")).href`)
	s.do(chromedp.Navigate(fake))
	s.waitFor(`!!document.querySelector("iframe.preview-frame")`, "the fake image's preview frame")
	time.Sleep(time.Second)
	for _, m := range eval[[]string](s, `window.__posted`) {
		if strings.HasPrefix(m, "xss:") {
			t.Errorf("a payload ran: %s", m)
		}
	}
	src := eval[string](s, `document.querySelector("iframe.preview-frame").src`)
	s.do(chromedp.Navigate(src))
	s.waitFor(`document.readyState === "complete"`, "the fake preview opened on its own")
	time.Sleep(500 * time.Millisecond)
	if title := eval[string](s, `document.title`); strings.Contains(title, "xss") {
		t.Errorf("the fake preview ran its script: %q", title)
	}
	if !eval[bool](s, `!document.documentElement.innerHTML.includes("postMessage")`) {
		t.Error("the fake preview's page was served")
	}
	s.do(chromedp.Navigate(msgURL))

	// The newsletter: images blocked, then always shown for its sender.
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`!!document.querySelector(".listform")`, "the inbox")
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.closest("tr, li, .row").textContent.includes("Winter sale")).click()`))
	s.waitFor(`!!document.querySelector(".notice.images form[action='/settings/images/allow'] button")`, "the offer to always show the sender's images")
	if hits, conns := site.seen(); len(hits) > 0 || conns > 0 {
		t.Fatal("the image host was contacted before anything was allowed")
	}
	s.shot("images-offer")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".notice.images form[action='/settings/images/allow'] button").click()`))
	loaded := `(() => { const f = document.querySelector("iframe.htmlbody"); const d = f && f.contentDocument; return !!d && d.readyState === "complete" && d.images.length === 1 && d.images[0].naturalWidth === 1 && d.images[0].currentSrc.startsWith(location.origin + "/img?"); })()`
	s.waitFor(loaded, "the sender's image through the proxy")
	s.waitFor(`!!document.querySelector(".notice.images form[action='/settings/images/forget']")`, "the way to stop")
	s.noHorizontalScroll("images shown")
	s.shot("images-allowed")
	// The sender's next mail shows its images at once.
	s.deliver(news("Spring sale"))
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`[...document.querySelectorAll(".rowlink")].some(a => a.closest("tr, li, .row").textContent.includes("Spring sale"))`, "the next mail")
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.closest("tr, li, .row").textContent.includes("Spring sale")).click()`))
	s.waitFor(loaded, "the next mail's image without asking")
	for _, r := range func() []string {
		hits, _ := site.seen()
		var out []string
		for _, h := range hits {
			if h.Header.Get("Cookie") != "" || h.Header.Get("Referer") != "" {
				out = append(out, h.URL.Path)
			}
		}
		return out
	}() {
		t.Errorf("%s reached the image host with the reader's cookie or referrer", r)
	}
	// The settings page lists the sender; removing it blocks the images again.
	s.do(chromedp.Navigate(s.base + "/settings/images"))
	s.waitFor(`document.querySelector(".senders-list") && document.querySelector(".senders-list").textContent.includes("news@shop.example")`, "the sender in the settings")
	s.noHorizontalScroll("images settings")
	s.shot("images-settings")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".senders-list form button").click()`))
	s.waitFor(`location.search.includes("ok=1") && !document.querySelector(".senders-list")`, "the sender removed")
	s.do(chromedp.Navigate(msgURL))
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`!!document.querySelector(".listform")`, "the inbox")
	s.do(chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".rowlink")].find(a => a.closest("tr, li, .row").textContent.includes("Spring sale")).click()`))
	s.waitFor(`!!document.querySelector(".notice.images form[action='/settings/images/allow']")`, "images blocked again")
}
