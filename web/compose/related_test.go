package compose

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
)

// leaf is one part of a parsed message: its path of media types and what it holds.
type leaf struct {
	path        string // "multipart/mixed>multipart/alternative>text/plain"
	contentID   string
	disposition string
	body        []byte
}

// leaves parses raw with go-message (an independent MIME reader) and lists its
// leaf parts in order, decoded.
func leaves(t *testing.T, raw []byte) []leaf {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message cannot read the message: %v", err)
	}
	var out []leaf
	var walk func(e *message.Entity, path string)
	walk = func(e *message.Entity, path string) {
		mt, params, _ := e.Header.ContentType()
		path = strings.TrimPrefix(path+">"+mt, ">")
		if mr := e.MultipartReader(); mr != nil {
			if mt == "multipart/related" && params["type"] != "text/html" {
				t.Errorf("multipart/related type=%q, want text/html (RFC 2387 section 3.1)", params["type"])
			}
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				walk(p, path)
			}
		}
		body, err := io.ReadAll(e.Body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		disp, _, _ := mime.ParseMediaType(e.Header.Get("Content-Disposition"))
		out = append(out, leaf{path: path, contentID: e.Header.Get("Content-Id"), disposition: disp, body: body})
	}
	walk(e, "")
	return out
}

var png1x1 = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestRichMessageStructure(t *testing.T) {
	html := `<!doctype html><html><head><meta charset="utf-8"></head><body><div class="yubin-rich">` +
		`<div><b>太字</b>の本文です。</div><ul><li>一つ目</li></ul><div><img src="cid:img-01@yubin" alt="図.png"/></div></div></body></html>`
	d := Draft{
		From: Address{Name: "山田 太郎", Email: "taro@example.test"}, To: "hanako@example.test",
		Subject: "リッチテキストの件", Body: "太字の本文です。\n- 一つ目\n[図.png]\n", HTML: html,
		Inline:      []File{{Name: "図.png", ContentType: "image/png", Data: png1x1, ContentID: "img-01@yubin"}},
		Attachments: []File{{Name: "資料.txt", ContentType: "text/plain", Data: []byte("議事録")}},
	}
	m, err := Build(d, "mail.example.test", now)
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.Raw)
	got := leaves(t, m.Raw)
	want := []string{
		"multipart/mixed>multipart/alternative>text/plain",
		"multipart/mixed>multipart/alternative>multipart/related>text/html",
		"multipart/mixed>multipart/alternative>multipart/related>image/png",
		"multipart/mixed>text/plain",
	}
	if len(got) != len(want) {
		t.Fatalf("parts = %+v, want %q", got, want)
	}
	for i := range want {
		if got[i].path != want[i] {
			t.Errorf("part %d is %s, want %s", i, got[i].path, want[i])
		}
	}
	// The plain part reads as written, Japanese intact (UTF-8, like every part).
	if strings.ReplaceAll(string(got[0].body), "\r\n", "\n") != d.Body {
		t.Errorf("text/plain = %q, want %q", got[0].body, d.Body)
	}
	if !strings.Contains(string(got[1].body), "<b>太字</b>の本文です。") {
		t.Errorf("text/html lost its Japanese: %q", got[1].body)
	}
	// Every cid: of the HTML names a part of the related (RFC 2392).
	img := got[2]
	if img.contentID != "<img-01@yubin>" || img.disposition != "inline" || !bytes.Equal(img.body, png1x1) {
		t.Errorf("inline part: id %q, disposition %q, %d bytes", img.contentID, img.disposition, len(img.body))
	}
	if !strings.Contains(string(got[1].body), `src="cid:`+strings.Trim(img.contentID, "<>")+`"`) {
		t.Errorf("the HTML does not refer to the inline part %s", img.contentID)
	}
	if got[3].disposition != "attachment" || string(got[3].body) != "議事録" {
		t.Errorf("attachment: %q %q", got[3].disposition, got[3].body)
	}
}

func TestRichMessageWithoutAttachments(t *testing.T) {
	d := Draft{
		From: Address{Email: "taro@example.test"}, To: "hanako@example.test", Subject: "s",
		Body: "- a\n", HTML: "<html><body><ul><li>a</li></ul></body></html>",
	}
	m, err := Build(d, "mail.example.test", now)
	if err != nil {
		t.Fatal(err)
	}
	got := leaves(t, m.Raw)
	if len(got) != 2 || got[0].path != "multipart/alternative>text/plain" || got[1].path != "multipart/alternative>text/html" {
		t.Fatalf("parts = %+v", got)
	}
	// An inline part whose Content-ID could not be written as a header is left out.
	d.Inline = []File{{ContentType: "image/png", Data: png1x1, ContentID: "bad\r\nX-Injected: 1"}}
	m, err = Build(d, "mail.example.test", now)
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.Raw)
	if bytes.Contains(m.Raw, []byte("X-Injected")) {
		t.Error("a Content-ID added a header field")
	}
}
