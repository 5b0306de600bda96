package web_test

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/handlers"
)

// testPNG is a real 4x3 PNG.
func testPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testPDF is a one-page PDF saying "Hello PDF preview".
const testPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>endobj\n" +
	"4 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n" +
	"5 0 obj<</Length 49>>stream\nBT /F1 24 Tf 72 700 Td (Hello PDF preview) Tj ET\nendstream endobj\n" +
	"trailer<</Size 6/Root 1 0 R>>\n%%EOF\n"

// previewMail has an image and a PDF to preview, and attachments that only pretend
// to be one, or are types never shown inline.
func previewMail(t testing.TB) string {
	part := func(ct, name string, data []byte) string {
		return "--pp\nContent-Type: " + ct + "; name=\"" + name + "\"\nContent-Disposition: attachment; filename=\"" + name +
			"\"\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(data) + "\n"
	}
	script := []byte(`<html><body><script>parent.postMessage('xss:preview','*');top.document.title='xss:preview'</script>page</body></html>`)
	return "From: bob@example.test\nTo: alice@localhost\nSubject: Scans\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=pp\n\n" +
		"--pp\nContent-Type: text/plain; charset=utf-8\n\nthe scans\n" +
		part("image/png", "photo.png", testPNG(t)) + // 2
		part("application/pdf", "report.pdf", []byte(testPDF)) + // 3
		part("image/png", "fake.png", script) + // 4: a page calling itself an image
		part("application/pdf", "fake.pdf", script) + // 5: a page calling itself a PDF
		part("image/svg+xml", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)) + // 6
		part("text/html", "page.html", script) + // 7
		part("image/gif", "polyglot.gif", []byte(testPDF)) + // 8: a PDF calling itself an image
		"--pp--\n"
}

var previewFrameRe = regexp.MustCompile(`<iframe class="preview-frame ([a-z]+)"([^>]*) src="([^"]+)"`)

// An image or PDF attachment is previewed in the page, by the browser's own viewer
// in a sandboxed frame; only bytes that really are a raster image or a PDF are ever
// served inline, as what they are, never HTML or SVG, whatever the label says.
func TestAttachmentPreview(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", previewMail(t))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	page := b.get("/msg?f=INBOX&uid=1")
	offers := regexp.MustCompile(`href="/msg\?f=INBOX&amp;preview=([0-9]+)&amp;uid=1#preview"`).FindAllStringSubmatch(page.body, -1)
	var offered []string
	for _, m := range offers {
		offered = append(offered, m[1])
	}
	if strings.Join(offered, ",") != "2,3,4,5,8" {
		t.Errorf("previews offered for parts %v, want the declared images and PDFs 2,3,4,5,8", offered)
	}
	for _, c := range []struct{ part, kind, ct string }{{"2", "image", "image/png"}, {"3", "pdf", "application/pdf"}} {
		p := b.get("/msg?f=INBOX&uid=1&preview=" + c.part)
		m := previewFrameRe.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("part %s: no preview frame", c.part)
		}
		if m[1] != c.kind {
			t.Errorf("part %s: frame kind %s", c.part, m[1])
		}
		if c.kind == "image" && !strings.Contains(m[2], `sandbox=""`) {
			t.Errorf("image preview frame not sandboxed: %s", m[0])
		}
		mustContain(t, p.body, "Close preview")
		r := b.get(strings.ReplaceAll(m[3], "&amp;", "&"))
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != c.ct {
			t.Fatalf("part %s preview: %d %s", c.part, r.StatusCode, r.Header.Get("Content-Type"))
		}
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Content-Security-Policy": handlers.PreviewCSP, "X-Frame-Options": "SAMEORIGIN",
		} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("part %s: %s = %q, want %q", c.part, k, got, want)
			}
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline;") {
			t.Errorf("part %s: Content-Disposition %q", c.part, cd)
		}
	}
	if !strings.HasPrefix(handlers.PreviewCSP, "sandbox;") || strings.Contains(handlers.PreviewCSP, "allow-") {
		t.Errorf("preview CSP is not a full sandbox: %q", handlers.PreviewCSP)
	}
	// Whatever the label, nothing that is not an image or a PDF, or is not what it
	// claims, is served inline.
	for _, part := range []string{"4", "5", "6", "7", "8", "1", "99"} {
		r := b.get("/msg/preview?f=INBOX&uid=1&part=" + part)
		ct := r.Header.Get("Content-Type")
		if r.StatusCode == 200 || strings.Contains(r.body, "postMessage") || strings.Contains(r.body, "<svg") {
			t.Errorf("part %s served inline: %d %s", part, r.StatusCode, ct)
		}
	}
	// Signed out, nothing.
	if r := e.browser(t).get("/msg/preview?f=INBOX&uid=1&part=2"); r.StatusCode == 200 {
		t.Errorf("preview without a session: %d", r.StatusCode)
	}
	if r := b.get("/msg/preview?f=INBOX&uid=1&part=2"); r.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("preview cacheable: %q", r.Header.Get("Cache-Control"))
	}
}
