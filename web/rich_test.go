package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"golang.org/x/net/html"

	"github.com/yubinmail/yubin/internal/testtool"
)

// The rich-text compose (issue 15 item 5): what a browser posts in rich mode is
// sent as multipart/alternative (a text part derived from it, and the HTML with
// its inline images in a multipart/related), and nothing outside the editor's
// allow-list gets into sent mail whatever the POST says.

// imapRaws fetches every message of a mailbox, whole, over IMAP.
func imapRaws(t *testing.T, c *imapclient.Client, mailbox string) [][]byte {
	t.Helper()
	d, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	if d.NumMessages == 0 {
		return nil
	}
	var set imap.SeqSet
	set.AddRange(1, d.NumMessages)
	sec := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{sec}}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", mailbox, err)
	}
	var out [][]byte
	for _, b := range bufs {
		out = append(out, b.FindBodySection(sec))
	}
	return out
}

type mimeLeaf struct {
	path, contentID string
	body            []byte
}

// mimeLeaves reads a message with go-message and lists its leaf parts, decoded.
func mimeLeaves(t *testing.T, raw []byte) []mimeLeaf {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message: %v", err)
	}
	var out []mimeLeaf
	var walk func(e *message.Entity, path string)
	walk = func(e *message.Entity, path string) {
		mt, _, _ := e.Header.ContentType()
		path = strings.TrimPrefix(path+">"+mt, ">")
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p, path)
			}
		}
		b, _ := io.ReadAll(e.Body)
		out = append(out, mimeLeaf{path: path, contentID: strings.Trim(e.Header.Get("Content-Id"), "<>"), body: b})
	}
	walk(e, "")
	return out
}

// postParts posts fields and files (name → file name, content type, data) as
// multipart, in order, like the compose page's script.
func (b *browser) postParts(path string, fields [][2]string, files ...[3]string) *resp {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+f[0]+`"`)
		h.Set("Content-Type", f[1])
		w, _ := mw.CreatePart(h)
		w.Write([]byte(f[2]))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var onePixelPNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\xdac\xfc\xcf\xc0\xf0\x1f\x00\x05\x05\x02\x00_\xc8\xf1\xd2\x00\x00\x00\x00IEND\xaeB`\x82"

func TestRichTextSendsAlternativeWithRelatedImage(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	csrf := b.csrf()
	editor := `<div>いつもお世話になっております。<b>太字</b>と<i>斜体</i></div>` +
		`<ul><li>りんご</li><li>みかん</li></ul><ol><li>first</li><li>second</li></ol>` +
		`<div>Docs: <a href="https://example.test/doc">the doc</a></div>` +
		`<div><img src="cid:img-0123abcd@yubin" alt="図.png"></div>`
	// The pasted image is uploaded into the draft (static/rich.js via compose.js).
	r := b.postParts("/compose/save", [][2]string{{"csrf", csrf}, {"to", "bob@localhost"}, {"subject", "リッチテキスト"},
		{"rich", "1"}, {"html", editor}, {"body", "ignored"}, {"file_cid", "img-0123abcd@yubin"}},
		[3]string{"図.png", "image/png", onePixelPNG})
	var saved struct {
		DraftUID    uint32 `json:"draft_uid"`
		Mailbox     string `json:"src_f"`
		Attachments []any  `json:"attachments"`
		Used        int64  `json:"used"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.body), &saved) != nil || saved.DraftUID == 0 {
		t.Fatalf("autosave with a pasted image: %d %s", r.StatusCode, r.body)
	}
	if len(saved.Attachments) != 0 || saved.Used != int64(len(onePixelPNG)) {
		t.Errorf("the pasted image is listed as an attachment (%v) or not counted (used %d)", saved.Attachments, saved.Used)
	}
	// The reopened draft is in rich mode, the image shown from the draft.
	page := b.get("/compose?draft=" + itoaU(saved.DraftUID)).body
	mustContain(t, page, `id="cmp-rich" value="1"`, "&lt;b&gt;太字&lt;/b&gt;", "data-cid=&#34;img-0123abcd@yubin&#34;", "data:image/png;base64,")
	// Send: the image comes from the draft, the text part from the HTML.
	r = b.postParts("/send", [][2]string{{"csrf", csrf}, {"to", "bob@localhost"}, {"subject", "リッチテキスト"},
		{"rich", "1"}, {"html", editor}, {"body", "not this"}, {"src_f", saved.Mailbox},
		{"src_uid", itoaU(saved.DraftUID)}, {"draft_uid", itoaU(saved.DraftUID)}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d %s", r.StatusCode, r.body)
	}
	raws := imapRaws(t, e.imapOf(t, "bob@localhost"), "INBOX")
	if len(raws) != 1 {
		t.Fatalf("bob has %d messages", len(raws))
	}
	parts := mimeLeaves(t, raws[0])
	var paths []string
	for _, p := range parts {
		paths = append(paths, p.path)
	}
	want := "multipart/alternative>text/plain multipart/alternative>multipart/related>text/html multipart/alternative>multipart/related>image/png"
	if strings.Join(paths, " ") != want {
		t.Fatalf("structure %q, want %q", paths, want)
	}
	plain := strings.ReplaceAll(string(parts[0].body), "\r\n", "\n")
	wantPlain := "いつもお世話になっております。太字と斜体\n- りんご\n- みかん\n1. first\n2. second\nDocs: the doc <https://example.test/doc>\n[図.png]\n"
	if plain != wantPlain {
		t.Errorf("text/plain =\n%s\nwant\n%s", plain, wantPlain)
	}
	htmlPart := string(parts[1].body)
	mustContain(t, htmlPart, "<b>太字</b>", "<li>りんご</li>", `href="https://example.test/doc"`, `src="cid:img-0123abcd@yubin"`)
	if parts[2].contentID != "img-0123abcd@yubin" || string(parts[2].body) != onePixelPNG {
		t.Errorf("inline part %q (%d bytes) does not answer the cid:", parts[2].contentID, len(parts[2].body))
	}
	// Python's email package reads the same (testdata/richmime.py).
	py := testtool.Path(t, "python3")
	cmd := exec.Command(py, "testdata/richmime.py")
	cmd.Stdin = bytes.NewReader(raws[0])
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("richmime.py: %v\n%s", err, out)
	}
	for _, want := range []string{
		"tree multipart/alternative\ntree   text/plain\ntree   multipart/related\ntree     text/html\ntree     image/png\n",
		"plain 'いつもお世話になっております。太字と斜体\\n- りんご",
		"cid img-0123abcd@yubin -> image/png " + strconv.Itoa(len(onePixelPNG)) + " bytes",
		"bold 太字",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Python's email package: %q not in\n%s", want, out)
		}
	}
	// The draft is gone; bob's webmail shows the bold and the image inline.
	if d := imapRaws(t, e.imapOf(t, "alice@localhost"), "Drafts"); len(d) != 0 {
		t.Errorf("%d drafts left after sending", len(d))
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	list := bob.get("/mail?f=INBOX").body
	if strings.Contains(list, "Has attachment") {
		t.Error("a mail whose only picture is in its text is listed with an attachment mark")
	}
	uid := firstUID(t, list)
	frame := bob.get("/msg/html?f=INBOX&uid=" + uid).body
	mustContain(t, frame, "<b>太字</b>", `src="data:image/png;base64,`)
}

// richAttacks are editor fields a crafted POST could send.
var richAttacks = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="cid:img-aa@yubin" onerror="alert(1)" style="width:9999px">`,
	`<a href="javascript:alert(1)">j</a>`,
	`<a href="java&#x09;script:alert(1)">j</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>`,
	`<a href="https://ok.test/" onclick="alert(1)" target="_blank">o</a>`,
	`<div style="position:fixed;inset:0;background:red">overlay</div>`,
	`<style>*{display:none}</style>`,
	`<svg><script>alert(1)</script></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<iframe src="https://evil.test/"></iframe>`,
	`<form action="https://evil.test/"><input name="p"></form>`,
	`<img src="https://tracker.test/pixel.gif">`,
	`<meta http-equiv="refresh" content="0;url=https://evil.test/"><base href="https://evil.test/">`,
	`<table><tr><td onmouseover="alert(1)">t</td></tr></table>`,
	`<<script>script>alert(1)<</script>/script>`,
}

var allowedRich = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "ul": true, "ol": true,
	"li": true, "a": true, "br": true, "div": true, "p": true, "blockquote": true, "img": true}

func TestRichTextAttackPOSTs(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	csrf := b.csrf()
	for _, attack := range richAttacks {
		r := b.postParts("/send", [][2]string{{"csrf", csrf}, {"to", "alice@localhost"}, {"subject", "attack"},
			{"rich", "1"}, {"html", "<div>before</div>" + attack}, {"file_cid", "img-aa@yubin"}},
			[3]string{"x.html", "text/html", "<script>alert(1)</script>"})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%q: send %d %s", attack, r.StatusCode, r.body)
		}
	}
	raws := imapRaws(t, e.imapOf(t, "alice@localhost"), "INBOX")
	if len(raws) != len(richAttacks) {
		t.Fatalf("%d messages for %d POSTs", len(raws), len(richAttacks))
	}
	for i, raw := range raws {
		var htmlPart string
		for _, p := range mimeLeaves(t, raw) {
			if strings.HasSuffix(p.path, ">text/html") && !strings.HasPrefix(p.path, "multipart/mixed>text/html") {
				htmlPart = string(p.body)
			}
			// An uploaded file that is not an image never becomes an inline part.
			if p.contentID != "" {
				t.Errorf("%q: a part with Content-ID %q (%s)", richAttacks[i], p.contentID, p.path)
			}
		}
		if !strings.Contains(htmlPart, "before") {
			t.Fatalf("%q: no HTML part", richAttacks[i])
		}
		checkRichOnly(t, richAttacks[i], htmlPart)
	}
}

// checkRichOnly parses the sent HTML as a browser would and fails on any element
// or attribute outside the rich-text allow-list, our own wrapper excepted.
func checkRichOnly(t *testing.T, attack, doc string) {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "html", "head", "body", "meta":
			default:
				if !allowedRich[n.Data] {
					t.Errorf("%q: <%s> sent", attack, n.Data)
				}
				for _, a := range n.Attr {
					ok := n.Data == "a" && a.Key == "href" && regexp.MustCompile(`^(https?|mailto):`).MatchString(a.Val) ||
						n.Data == "img" && (a.Key == "alt" || a.Key == "src" && strings.HasPrefix(a.Val, "cid:")) ||
						n.Data == "div" && a.Key == "class" && a.Val == "yubin-rich"
					if !ok {
						t.Errorf("%q: %s=%q on <%s> sent", attack, a.Key, a.Val, n.Data)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
}

func TestForwardKeepsInlineImages(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	e.deliver(t, "alice@localhost", "", cidMail)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	form := b.get("/compose?f=INBOX&mode=forward&uid=" + uid).body
	fields := url.Values{"to": {"bob@localhost"}}
	for _, name := range []string{"csrf", "src_f", "src_uid", "subject", "fwd_f", "fwd_uid"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form)
		if m == nil {
			t.Fatalf("forward form has no %s", name)
		}
		fields.Set(name, htmlUnescape(m[1]))
	}
	text := regexp.MustCompile(`(?s)<textarea name="body"[^>]*>\n?(.*?)</textarea>`).FindStringSubmatch(form)
	if text == nil {
		t.Fatal("no body in the forward form")
	}
	fields.Set("body", "See the logo below.\n"+htmlUnescape(text[1]))
	if r := b.sendForm("/send", fields, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("forward: %d %s", r.StatusCode, r.body)
	}
	raws := imapRaws(t, e.imapOf(t, "bob@localhost"), "INBOX")
	if len(raws) != 1 {
		t.Fatalf("bob has %d messages", len(raws))
	}
	var htmlPart string
	var ids []string
	for _, p := range mimeLeaves(t, raws[0]) {
		switch {
		case strings.HasSuffix(p.path, "multipart/related>text/html"):
			htmlPart = string(p.body)
		case strings.HasSuffix(p.path, "multipart/related>image/png"):
			ids = append(ids, p.contentID)
		}
	}
	if len(ids) != 1 || ids[0] != "logo@shop" || !strings.Contains(htmlPart, `src="cid:logo@shop"`) {
		t.Fatalf("forwarded HTML %q with related parts %q: the logo is lost", htmlPart, ids)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	frame := bob.get("/msg/html?f=INBOX&uid=" + firstUID(t, bob.get("/mail?f=INBOX").body)).body
	mustContain(t, frame, "See the logo below.", `src="data:image/png;base64,iVBORw0KGgo`)

	// The same forward written in rich text: the note keeps its bold, the
	// forwarded block its HTML and its image.
	var lines strings.Builder
	for _, l := range strings.Split(htmlUnescape(text[1]), "\n") {
		lines.WriteString("<div>" + html.EscapeString(l) + "</div>")
	}
	fields.Set("rich", "1")
	fields.Set("html", `<div><b>Look</b> at this.</div>`+lines.String())
	if r := b.sendForm("/send", fields, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("rich forward: %d %s", r.StatusCode, r.body)
	}
	raws = imapRaws(t, e.imapOf(t, "bob@localhost"), "INBOX")
	if len(raws) != 2 {
		t.Fatalf("bob has %d messages", len(raws))
	}
	htmlPart, ids = "", nil
	var plain string
	for _, p := range mimeLeaves(t, raws[1]) {
		switch {
		case strings.HasSuffix(p.path, "multipart/related>text/html"):
			htmlPart = string(p.body)
		case strings.HasSuffix(p.path, "multipart/related>image/png"):
			ids = append(ids, p.contentID)
		case strings.HasSuffix(p.path, "alternative>text/plain"):
			plain = string(p.body)
		}
	}
	mustContain(t, htmlPart, `<div class="yubin-rich"><div><b>Look</b> at this.</div>`, `class="yubin-forward"`, `src="cid:logo@shop"`)
	if len(ids) != 1 || ids[0] != "logo@shop" || !strings.HasPrefix(plain, "Look at this.") {
		t.Errorf("rich forward: parts %q, text %q", ids, plain)
	}
}

// Undo send and send later carry rich text and its images: the message taken back
// reopens in the rich editor with its image, and scheduled again it arrives with
// the image as a related part. The setting opens new mail in rich text.
func TestRichTextUndoAndSendLater(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	if r := b.post("/settings", settingsForm(b.csrf(), url.Values{"undo_seconds": {"3"}, "lang": {"en"}, "compose_mode": {"rich"}})); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d", r.StatusCode)
	}
	mustContain(t, b.get("/compose").body, `id="cmp-rich" value="1"`)
	csrf := b.csrf()
	editor := `<div><b>予定</b>の件</div><div><img src="cid:img-77@yubin" alt="map.png"></div>`
	r := b.postParts("/compose/save", [][2]string{{"csrf", csrf}, {"to", "bob@localhost"}, {"subject", "undo rich"},
		{"rich", "1"}, {"html", editor}, {"file_cid", "img-77@yubin"}}, [3]string{"map.png", "image/png", onePixelPNG})
	var saved struct {
		DraftUID uint32 `json:"draft_uid"`
		Mailbox  string `json:"src_f"`
	}
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.body), &saved) != nil || saved.DraftUID == 0 {
		t.Fatalf("autosave: %d %s", r.StatusCode, r.body)
	}
	fields := func(uid uint32, extra ...[2]string) [][2]string {
		return append([][2]string{{"csrf", csrf}, {"to", "bob@localhost"}, {"subject", "undo rich"}, {"rich", "1"}, {"html", editor},
			{"src_f", saved.Mailbox}, {"src_uid", itoaU(uid)}, {"draft_uid", itoaU(uid)}}, extra...)
	}
	r = b.postParts("/send", fields(saved.DraftUID))
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/mail?f=INBOX&sending=") {
		t.Fatalf("send: %d %s", r.StatusCode, loc)
	}
	page := b.get(loc).body
	id := undoIDRe.FindStringSubmatch(page[strings.Index(page, `action="/outbox/undo"`):])[1]
	r = b.post("/outbox/undo", url.Values{"csrf": {csrf}, "id": {id}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "ok=unsent") {
		t.Fatalf("undo: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	back := b.get(r.Header.Get("Location")).body
	mustContain(t, back, `id="cmp-rich" value="1"`, "&lt;b&gt;予定&lt;/b&gt;", "data-cid=&#34;img-77@yubin&#34;")
	uid := regexp.MustCompile(`name="draft_uid" value="(\d+)"`).FindStringSubmatch(back)
	if uid == nil {
		t.Fatal("the message taken back is not a draft in the editor")
	}
	// Scheduled again, a few seconds ahead, from the draft the undo left.
	var n uint32
	for _, c := range uid[1] {
		n = n*10 + uint32(c-'0')
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo") // settingsForm's zone
	at := time.Now().Add(3 * time.Second).In(tokyo)
	r = b.postParts("/send", fields(n, [2]string{"schedule", "1"}, [2]string{"send_at", at.Format("2006-01-02T15:04:05")}))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/scheduled") {
		t.Fatalf("schedule: %d %s %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	bob := e.imapOf(t, "bob@localhost")
	waitFor(t, "the scheduled rich message", func() bool { return len(imapList(t, bob, "INBOX")) > 0 })
	raws := imapRaws(t, bob, "INBOX")
	if len(raws) != 1 {
		t.Fatalf("bob has %d messages, want the scheduled one only (the undone one never went)", len(raws))
	}
	var got []string
	for _, p := range mimeLeaves(t, raws[0]) {
		got = append(got, p.path+" "+p.contentID)
	}
	want := "multipart/alternative>text/plain |multipart/alternative>multipart/related>text/html |multipart/alternative>multipart/related>image/png img-77@yubin"
	if strings.Join(got, "|") != want {
		t.Errorf("scheduled message: %q, want %q", got, want)
	}
}

// A pasted image is bounded by the attachment limit like a file: past it, the
// autosave refuses it with the limit, and the draft is left as it was.
func TestRichTextImageWithinTheAttachmentLimit(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	big := onePixelPNG + strings.Repeat("\x00", 8<<20) // over 10 MB × 3/4
	r := b.postParts("/compose/save", [][2]string{{"csrf", b.csrf()}, {"to", "bob@localhost"}, {"subject", "big"},
		{"rich", "1"}, {"html", `<div>text</div><img src="cid:img-big@yubin">`}, {"file_cid", "img-big@yubin"}},
		[3]string{"big.png", "image/png", big})
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "7.9 MB") {
		t.Fatalf("an image past the limit: %d %s", r.StatusCode, r.body)
	}
	if d := imapRaws(t, e.imapOf(t, "alice@localhost"), "Drafts"); len(d) != 0 {
		t.Errorf("%d drafts stored from a refused upload", len(d))
	}
}
