package handlers

import (
	"testing"

	"github.com/yubinmail/yubin/templates"
)

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"":                       "",
		"/mail?f=INBOX":          "/mail?f=INBOX",
		"/compose?mode=reply":    "/compose?mode=reply",
		"//evil.example/":        "",
		`/\evil.example`:         "",
		"https://evil.example/":  "",
		"http:/evil.example":     "",
		"javascript:alert(1)":    "",
		"mail":                   "",
		"/ok\r\nSet-Cookie: a=b": "",
		"/%2F%2Fevil.example":    "/%2F%2Fevil.example", // a path on this site
		"/\tevil":                "",
	} {
		if got := SafeNext(next); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"report.pdf":     `attachment; filename=report.pdf; filename*=UTF-8''report.pdf`,
		"見積書.xlsx":       `attachment; filename=___.xlsx; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.xlsx`,
		"a \"b\"; c.txt": `attachment; filename="a _b__ c.txt"; filename*=UTF-8''a%20%22b%22%3B%20c.txt`,
		"../../etc/pass": `attachment; filename=.._.._etc_pass; filename*=UTF-8''.._.._etc_pass`,
		"x\r\ny.txt":     `attachment; filename=x__y.txt; filename*=UTF-8''x__y.txt`,
	} {
		if got := ContentDisposition(name); got != want {
			t.Errorf("ContentDisposition(%q) =\n %s\nwant\n %s", name, got, want)
		}
	}
}

func TestPickLang(t *testing.T) {
	for accept, want := range map[string]templates.Lang{
		"":                        "en",
		"ja":                      "ja",
		"ja-JP,ja;q=0.9,en;q=0.8": "ja",
		"en-US,en;q=0.9,ja;q=0.8": "en",
		"fr-FR,ja;q=0.5":          "ja",
		"de":                      "en",
	} {
		if got := templates.PickLang(accept); got != want {
			t.Errorf("PickLang(%q) = %q, want %q", accept, got, want)
		}
	}
}

// An attachment is labelled with its own type only when a browser cannot run or
// render it as a page; vendor types that are markup in disguise are not.
func TestDownloadType(t *testing.T) {
	for ct, want := range map[string]string{
		"image/png":                "image/png",
		"application/pdf":          "application/pdf",
		"text/plain":               "text/plain",
		"application/vnd.ms-excel": "application/vnd.ms-excel",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"text/html":                       "application/octet-stream",
		"image/svg+xml":                   "application/octet-stream",
		"application/xhtml+xml":           "application/octet-stream",
		"application/vnd.wap.xhtml+xml":   "application/octet-stream",
		"application/vnd.mozilla.xul+xml": "application/octet-stream",
		"APPLICATION/VND.WAP.XHTML+XML":   "application/octet-stream",
		"application/vnd.openxmlformats-officedocument.evil+xml": "application/octet-stream",
		"text/javascript":       "application/octet-stream",
		"application/x-unknown": "application/octet-stream",
	} {
		if got := downloadType(ct); got != want {
			t.Errorf("downloadType(%q) = %q, want %q", ct, got, want)
		}
	}
}
