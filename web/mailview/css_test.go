package mailview

import (
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// A newsletter's own rules survive: classes, backgrounds, rounded buttons, a
// responsive @media block, data: and cid: backgrounds; remote backgrounds only when
// remote images are allowed, and then through the rewrite the caller gives.
func TestStyleSheetKeptForNewsletters(t *testing.T) {
	css := `
	body { background-color: #f4f4f4; }
	.btn, a.btn:hover { display: inline-block; background: #1a73e8; color: #fff !important; border-radius: 4px; padding: 12px 24px; }
	#hero { background-image: url("cid:hero@x"); background-size: cover; }
	.dot { background: url(data:image/png;base64,iVBORw0KGgo=) no-repeat; }
	.remote { background-image: url(https://cdn.example/bg.png); }
	td.col[align="left"] > p + p { margin: 0 0 8px; position: relative; }
	@media screen and (max-width: 600px) { .col { width: 100% !important; } }
	`
	rewrite := func(u string) string { return "/imgproxy?u=" + strings.ReplaceAll(u, ":", "%3A") }
	out, blocked := sanitizeCSS(css, false, func(cid string) string { return "/msg/1/cid/" + cid }, rewrite)
	for _, want := range []string{
		"body{background-color:#f4f4f4;}",
		".btn, a.btn:hover{display:inline-block;background:#1a73e8;color:#fff !important;border-radius:4px;padding:12px 24px;}",
		`#hero{background-image:url("/msg/1/cid/hero@x");background-size:cover;}`,
		`.dot{background:url("data:image/png;base64,iVBORw0KGgo=") no-repeat;}`,
		`td.col[align="left"] > p + p{margin:0 0 8px;position:relative;}`,
		"@media screen and (max-width: 600px){.col{width:100% !important;}}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kept sheet lacks %s\n%s", want, out)
		}
	}
	if strings.Contains(out, "cdn.example") || !blocked {
		t.Errorf("remote background kept without permission (blocked=%v): %s", blocked, out)
	}
	out, blocked = sanitizeCSS(css, true, nil, rewrite)
	if !strings.Contains(out, `.remote{background-image:url("/imgproxy?u=https%3A//cdn.example/bg.png");}`) || blocked {
		t.Errorf("allowed remote background not rewritten (blocked=%v): %s", blocked, out)
	}
}

// The whole document: the mail's <style> rules follow ours in the one <style>
// element, and the blocked-images notice knows about remote CSS backgrounds.
func TestSanitizedHTMLKeepsStyle(t *testing.T) {
	raw := htmlMail(`<html><head><style>.btn{background-color:#e8453c;border-radius:6px}.bg{background:url(https://cdn.example/x.png)}</style></head><body><a class="btn" href="https://shop.example/">Buy</a><div class="bg">x</div></body></html>`)
	doc, blocked, err := SanitizedHTML(raw, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc, ".btn{background-color:#e8453c;border-radius:6px;}") || !strings.Contains(doc, `<a class="btn" href="https://shop.example/"`) {
		t.Errorf("the mail's button style or class was lost:\n%s", doc)
	}
	if !blocked || !RemoteImages(raw) {
		t.Error("a remote CSS background is not reported as a blocked remote image")
	}
}

// FuzzStyleSheet: no stylesheet makes the CSS sanitizer panic or hang, and what it
// keeps never loads from elsewhere without permission, runs code, covers the page or
// ends its <style> element.
// Run: go test ./web/mailview/ -run '^$' -fuzz FuzzStyleSheet -fuzztime 20s
func FuzzStyleSheet(f *testing.F) {
	for _, p := range attackCorpus {
		if strings.HasPrefix(p, "<style>") {
			f.Add(strings.TrimPrefix(strings.SplitN(p, "</style>", 2)[0], "<style>"), "p{color:red}", uint16(2))
		}
	}
	f.Fuzz(func(t *testing.T, head, unit string, count uint16) {
		fuzzbudget.Run(t, func() {
			css := fuzzbudget.Expand(head, unit, count, "")
			out, _ := sanitizeCSS(css, false, func(string) string { return "/cid" }, nil)
			checkCSS(t, "fuzz", out, false)
			if strings.Contains(strings.ToLower(out), "</style") {
				t.Fatalf("kept sheet ends its element: %q", out)
			}
		})
	})
}
