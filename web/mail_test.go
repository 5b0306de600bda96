package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/handlers"
)

// ISO-2022-JP subject "日本語の件名" and body "こんにちは、世界" as real Japanese mail
// carries them (RFC 1468, RFC 2047 B encoding).
const japaneseMail = "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\n" +
	"To: alice@localhost\n" +
	"Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=\n" +
	"Date: Tue, 3 Mar 2026 09:00:00 +0900\n" +
	"Message-ID: <jp1@example.jp>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=ISO-2022-JP\n" +
	"Content-Transfer-Encoding: 7bit\n\n" +
	"\x1b$B$3$s$K$A$O!\"@$3&\x1b(B\nhttps://example.jp/page\n"

func TestInboxAndJapaneseMessage(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Plain English", "hi"))
	e.deliver(t, "alice@localhost", "", japaneseMail)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.get("/mail?f=INBOX")
	if r.StatusCode != 200 {
		t.Fatalf("inbox: %d", r.StatusCode)
	}
	mustContain(t, r.body, "日本語の件名", "山田", "Plain English", `class="row unread`)
	// Newest first: the Japanese mail was delivered last.
	if strings.Index(r.body, "日本語の件名") > strings.Index(r.body, "Plain English") {
		t.Error("list is not newest first")
	}
	uid := firstUID(t, r.body)
	r = b.get("/msg?f=INBOX&uid=" + uid)
	if r.StatusCode != 200 {
		t.Fatalf("message: %d", r.StatusCode)
	}
	mustContain(t, r.body, "日本語の件名", "こんにちは、世界", `href="https://example.jp/page"`)
	// Opening marks it read (checked over IMAP, not through the webmail).
	c := e.imapOf(t, "alice@localhost")
	for _, m := range imapList(t, c, "INBOX") {
		if strings.Contains(m.Subject, "ISO-2022-JP") || m.Subject == "日本語の件名" {
			if !hasFlag(m.Flags, imap.FlagSeen) {
				t.Error("opened message is not \\Seen")
			}
		}
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	for i := 1; i <= 120; i++ {
		e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Message number "+itoa(i)+".", "x"))
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.get("/mail?f=INBOX")
	rows := strings.Count(r.body, `class="rowlink"`)
	if rows != 50 {
		t.Errorf("first page has %d rows, want 50", rows)
	}
	mustContain(t, r.body, "Message number 120.", "Message number 71.", "1–50 of 120")
	if strings.Contains(r.body, "Message number 70.") {
		t.Error("first page shows message 70")
	}
	r = b.get("/mail?f=INBOX&page=2")
	if rows := strings.Count(r.body, `class="rowlink"`); rows != 20 {
		t.Errorf("last page has %d rows, want 20", rows)
	}
	mustContain(t, r.body, "Message number 1.", "101–120 of 120")
}

func itoa(i int) string { return strconv.Itoa(i) }

const htmlMail = "From: news@example.test\nTo: alice@localhost\nSubject: HTML news\nMIME-Version: 1.0\n" +
	"Content-Type: multipart/alternative; boundary=b1\n\n" +
	"--b1\nContent-Type: text/plain; charset=utf-8\n\nplain version\n" +
	"--b1\nContent-Type: text/html; charset=utf-8\n\n" +
	"<html><body><p style=\"color:red\">Hello <b>reader</b></p><script>top.document.title='pwned'</script>" +
	"<img src=\"https://tracker.example/pixel.gif\"></body></html>\n--b1--\n"

func TestHTMLMailIsSandboxed(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", htmlMail)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	r := b.get("/msg?f=INBOX&uid=" + uid)
	// Same origin (for the parent to measure the frame's height) and links that open
	// a tab: nothing else, and above all never allow-scripts.
	m := regexp.MustCompile(`<iframe class="htmlbody" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" src="([^"]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no sandboxed iframe in message page")
	}
	if strings.Contains(r.body, "allow-scripts") || strings.Contains(r.body, "allow-top-navigation") || strings.Contains(r.body, "allow-forms") {
		t.Error("iframe sandbox relaxed")
	}
	mustContain(t, r.body, "Show remote images")
	frame := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if got := frame.Header.Get("Content-Security-Policy"); got != handlers.HTMLBodyCSP {
		t.Errorf("frame CSP = %q", got)
	}
	if !strings.HasPrefix(handlers.HTMLBodyCSP, "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:") {
		t.Errorf("HTML body CSP is not the required policy: %q", handlers.HTMLBodyCSP)
	}
	for _, bad := range []string{"allow-scripts", "allow-top-navigation", "allow-forms", "allow-modals", "unsafe-eval", "script-src 'self'"} {
		if strings.Contains(handlers.HTMLBodyCSP, bad) {
			t.Errorf("HTML body CSP allows %s", bad)
		}
	}
	mustContain(t, frame.body, "reader")
	if strings.Contains(frame.body, "<script") || strings.Contains(frame.body, "tracker.example") {
		t.Errorf("sanitized body keeps script or remote image: %s", frame.body)
	}
	// After "show images" the policy allows images from our own origin (the image
	// proxy), never from a remote host itself, and still no script.
	frame = b.get(strings.ReplaceAll(m[1], "&amp;", "&") + "&images=1")
	if csp := frame.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src data: 'self';") || strings.Contains(csp, "http") || !strings.HasPrefix(csp, "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox;") || !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("CSP with images = %q", csp)
	}
	if strings.Contains(frame.body, "<script") {
		t.Error("script after show images")
	}
}

const attachmentMail = "From: bob@example.test\nTo: alice@localhost\nSubject: Report\nMIME-Version: 1.0\n" +
	"Content-Type: multipart/mixed; boundary=xx\n\n" +
	"--xx\nContent-Type: text/plain; charset=utf-8\n\nsee attached\n" +
	"--xx\nContent-Type: text/html; name=\"page.html\"\n" +
	"Content-Disposition: attachment; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.html\n" +
	"Content-Transfer-Encoding: base64\n\n" +
	"PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\n--xx--\n"

func TestAttachmentDownloadHeaders(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", attachmentMail)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	list := b.get("/mail?f=INBOX")
	mustContain(t, list.body, "Has attachment")
	uid := firstUID(t, list.body)
	r := b.get("/msg?f=INBOX&uid=" + uid)
	mustContain(t, r.body, "報告書.html")
	m := regexp.MustCompile(`href="(/msg/part\?[^"]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no attachment link")
	}
	d := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if d.StatusCode != 200 {
		t.Fatalf("download: %d", d.StatusCode)
	}
	h := d.Header
	cd := h.Get("Content-Disposition")
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, "filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8.html") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download headers: nosniff=%q csp=%q", h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
	}
	if ct := h.Get("Content-Type"); strings.Contains(ct, "html") {
		t.Errorf("an HTML attachment is served as %q", ct)
	}
	if d.body != "<script>alert(1)</script>" {
		t.Errorf("attachment content = %q", d.body)
	}
}

// sendForm posts the compose form as multipart, like a browser.
func (b *browser) sendForm(path string, fields url.Values, files map[string][]byte) *resp {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func TestSendArrivesAndIsFiledInSent(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	r := b.sendForm("/send", url.Values{
		"csrf": {token}, "to": {"bob@localhost"}, "cc": {""}, "bcc": {"alice@localhost"},
		"subject": {"会議の資料について"}, "body": {"添付をご確認ください。\nよろしくお願いします。"},
	}, map[string][]byte{"資料.txt": []byte("議事録")})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d: %s", r.StatusCode, r.body)
	}
	// Delivered to bob and (Bcc) to alice; a \Seen copy in alice's Sent.
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	list := bob.get("/mail?f=INBOX")
	mustContain(t, list.body, "会議の資料について", "Has attachment")
	msg := bob.get("/msg?f=INBOX&uid=" + firstUID(t, list.body))
	mustContain(t, msg.body, "添付をご確認ください。", "資料.txt")
	// Not as a word of the page (its random CSRF token may hold the letters "Bcc"),
	// and not in the message bob's mailbox holds.
	if strings.Contains(msg.body, ">Bcc") {
		t.Error("Bcc visible to the recipient")
	}
	bc := e.imapOf(t, "bob@localhost")
	if _, err := bc.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := bc.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil || len(got) != 1 {
		t.Fatalf("fetch bob's message: %v (%d)", err, len(got))
	}
	if bcc := got[0].Envelope.Bcc; len(bcc) != 0 {
		t.Errorf("bob's copy names its Bcc recipients: %+v", bcc)
	}
	c := e.imapOf(t, "alice@localhost")
	sent := imapList(t, c, "Sent")
	if len(sent) != 1 || !hasFlag(sent[0].Flags, imap.FlagSeen) {
		t.Fatalf("Sent = %+v, want one \\Seen copy", sent)
	}
	if inbox := imapList(t, c, "INBOX"); len(inbox) != 1 {
		t.Errorf("Bcc copy: alice's INBOX has %d messages", len(inbox))
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.sendForm("/send", url.Values{
		"csrf": {b.csrf()}, "to": {"alice@localhost"}, "subject": {"hi\r\nBcc: victim@example.test"}, "body": {"x"},
	}, nil)
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("injection: status %d, want 400", r.StatusCode)
	}
	mustContain(t, r.body, "line break")
	c := e.imapOf(t, "alice@localhost")
	if n := len(imapList(t, c, "INBOX")); n != 0 {
		t.Errorf("message with injected header was sent (%d in INBOX)", n)
	}
}

func TestReplySetsAnswered(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	e.deliver(t, "alice@localhost", "", simpleMail("Bob <bob@localhost>", "alice@localhost", "Lunch?", "Shall we have lunch?"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	form := b.get("/compose?f=INBOX&mode=reply&uid=" + uid)
	mustContain(t, form.body, "Re: Lunch?", "&gt; Shall we have lunch?", "bob@localhost")
	fields := url.Values{}
	for _, name := range []string{"csrf", "in_reply_to", "references", "reply_f", "reply_uid", "to", "subject"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form.body)
		if m == nil {
			t.Fatalf("reply form has no %s", name)
		}
		fields.Set(name, htmlUnescape(m[1]))
	}
	fields.Set("body", "Yes!")
	if r := b.sendForm("/send", fields, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send reply: %d %s", r.StatusCode, r.body)
	}
	c := e.imapOf(t, "alice@localhost")
	inbox := imapList(t, c, "INBOX")
	if len(inbox) != 1 || !hasFlag(inbox[0].Flags, imap.FlagAnswered) {
		t.Fatalf("original after reply: %+v, want \\Answered", inbox)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	mustContain(t, bob.get("/mail?f=INBOX").body, "Re: Lunch?")
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

func TestDraftSaveAndReopen(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.sendForm("/draft", url.Values{
		"csrf": {b.csrf()}, "to": {"carol@example.test"}, "bcc": {"dave@example.test"},
		"subject": {"下書きの件名"}, "body": {"まだ途中です"},
	}, map[string][]byte{"memo.txt": []byte("memo")})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/compose?draft=") {
		t.Fatalf("save draft: %d to %q: %s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	form := b.get(r.Header.Get("Location"))
	mustContain(t, form.body, "下書きの件名", "まだ途中です", "carol@example.test", "dave@example.test", "memo.txt", "Draft saved.")

	// Save again: the old draft is replaced, not duplicated.
	fields := url.Values{}
	for _, name := range []string{"csrf", "draft_uid", "src_f", "src_uid", "to", "bcc", "subject"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form.body)
		if m == nil {
			t.Fatalf("draft form has no %s", name)
		}
		fields.Set(name, htmlUnescape(m[1]))
	}
	fields.Set("body", "書き終えました")
	fields["src_part"] = regexp.MustCompile(`name="src_part" value="([^"]*)"`).FindStringSubmatch(form.body)[1:]
	r = b.sendForm("/draft", fields, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("resave: %d", r.StatusCode)
	}
	c := e.imapOf(t, "alice@localhost")
	drafts := imapList(t, c, "Drafts")
	if len(drafts) != 1 || !hasFlag(drafts[0].Flags, imap.FlagDraft) {
		t.Fatalf("Drafts = %+v, want one \\Draft", drafts)
	}
	form = b.get(r.Header.Get("Location"))
	mustContain(t, form.body, "書き終えました", "memo.txt")
	// The Drafts list opens drafts in the editor.
	mustContain(t, b.get("/mail?f=Drafts").body, "/compose?draft=")

	// Sending the reopened draft files it in Sent and removes it from Drafts.
	m := regexp.MustCompile(`name="draft_uid" value="([^"]*)"`).FindStringSubmatch(form.body)
	if m == nil || m[1] == "0" || m[1] == "" {
		t.Fatalf("reopened draft form has no draft_uid")
	}
	r = b.sendForm("/send", url.Values{
		"csrf": {b.csrf()}, "draft_uid": {m[1]}, "to": {"alice@localhost"}, "subject": {"下書きの件名"}, "body": {"書き終えました"},
	}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send the draft: %d %s", r.StatusCode, r.body)
	}
	if drafts := imapList(t, c, "Drafts"); len(drafts) != 0 {
		t.Errorf("Drafts after sending the draft = %+v, want none", drafts)
	}
	if sent := imapList(t, c, "Sent"); len(sent) != 1 {
		t.Errorf("Sent after sending the draft has %d messages, want 1", len(sent))
	}
}

func TestDeleteMovesToTrashThenExpunges(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Delete me", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	r := b.post("/actions", url.Values{"csrf": {token}, "f": {"INBOX"}, "uid": {uid}, "action": {"delete"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", r.StatusCode, r.body)
	}
	c := e.imapOf(t, "alice@localhost")
	if n := len(imapList(t, c, "INBOX")); n != 0 {
		t.Fatalf("INBOX still has %d messages", n)
	}
	trash := imapList(t, c, "Trash")
	if len(trash) != 1 {
		t.Fatalf("Trash has %d messages, want 1", len(trash))
	}
	tl := b.get("/mail?f=Trash")
	mustContain(t, tl.body, "Delete me", "Delete forever")
	tuid := firstUID(t, tl.body)
	r = b.post("/actions", url.Values{"csrf": {token}, "f": {"Trash"}, "uid": {tuid}, "action": {"delete"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete in Trash: %d", r.StatusCode)
	}
	if n := len(imapList(t, c, "Trash")); n != 0 {
		t.Errorf("Trash has %d messages after delete forever", n)
	}
}

func TestFlagsArchiveMoveAndFolders(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "First", "x"))
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Second", "x"))
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "Third", "x"))
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	c := e.imapOf(t, "alice@localhost")
	inbox := imapList(t, c, "INBOX")
	u := func(i int) string { return itoaU(inbox[i].UID) }

	post := func(path string, v url.Values) {
		t.Helper()
		v.Set("csrf", token)
		if r := b.post(path, v); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s %v: %d %s", path, v, r.StatusCode, r.body)
		}
	}
	post("/actions", url.Values{"f": {"INBOX"}, "uid": {u(0), u(1)}, "action": {"read"}})
	post("/actions", url.Values{"f": {"INBOX"}, "uid": {u(1)}, "action": {"flag"}})
	got := imapList(t, c, "INBOX")
	if !hasFlag(got[0].Flags, imap.FlagSeen) || !hasFlag(got[1].Flags, imap.FlagSeen) || hasFlag(got[2].Flags, imap.FlagSeen) {
		t.Errorf("mark read: %+v", got)
	}
	if !hasFlag(got[1].Flags, imap.FlagFlagged) {
		t.Errorf("flag: %+v", got[1])
	}
	post("/actions", url.Values{"f": {"INBOX"}, "uid": {u(0)}, "action": {"unread"}})
	post("/actions", url.Values{"f": {"INBOX"}, "uid": {u(0)}, "action": {"archive"}})
	if a := imapList(t, c, "Archive"); len(a) != 1 || a[0].Subject != "First" {
		t.Errorf("Archive = %+v", a)
	}

	post("/folders/create", url.Values{"name": {"Projects"}})
	post("/actions", url.Values{"f": {"INBOX"}, "uid": {u(1)}, "action": {"move"}, "dest": {"Projects"}})
	if p := imapList(t, c, "Projects"); len(p) != 1 || p[0].Subject != "Second" {
		t.Errorf("Projects = %+v", p)
	}
	post("/folders/rename", url.Values{"name": {"Projects"}, "newname": {"案件"}})
	fl := b.get("/folders")
	mustContain(t, fl.body, "案件")
	mustContain(t, b.get("/mail?f="+url.QueryEscape("案件")).body, "Second")
	post("/folders/delete", url.Values{"name": {"案件"}})
	if strings.Contains(b.get("/folders").body, "案件") {
		t.Error("deleted folder still listed")
	}
}

func itoaU(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

func TestForwardKeepsAttachments(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	e.deliver(t, "alice@localhost", "", attachmentMail)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	form := b.get("/compose?f=INBOX&mode=forward&uid=" + uid)
	mustContain(t, form.body, "Fwd: Report", "報告書.html", `name="src_part"`, "see attached")
	fields := url.Values{"to": {"bob@localhost"}, "body": {"FYI"}}
	for _, name := range []string{"csrf", "src_f", "src_uid", "subject"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form.body)
		if m == nil {
			t.Fatalf("forward form has no %s", name)
		}
		fields.Set(name, htmlUnescape(m[1]))
	}
	fields["src_part"] = regexp.MustCompile(`name="src_part" value="([^"]*)"`).FindStringSubmatch(form.body)[1:]
	if r := b.sendForm("/send", fields, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("forward: %d %s", r.StatusCode, r.body)
	}
	bob := e.browser(t)
	bob.mustLogin("bob@localhost")
	list := bob.get("/mail?f=INBOX")
	mustContain(t, list.body, "Fwd: Report")
	msg := bob.get("/msg?f=INBOX&uid=" + firstUID(t, list.body))
	mustContain(t, msg.body, "報告書.html", "FYI")
}

const cidMail = "From: shop@example.test\nTo: alice@localhost\nSubject: With logo\nMIME-Version: 1.0\n" +
	"Content-Type: multipart/related; boundary=rr\n\n" +
	"--rr\nContent-Type: text/html; charset=utf-8\n\n<p>Our logo: <img src=\"cid:logo@shop\" alt=\"logo\"></p>\n" +
	"--rr\nContent-Type: image/png\nContent-ID: <logo@shop>\nContent-Transfer-Encoding: base64\n\n" +
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==\n--rr--\n"

func TestInlineCIDImageShown(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", cidMail)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	page := b.get("/msg?f=INBOX&uid=" + uid)
	if strings.Contains(page.body, "Show remote images") {
		t.Error(`"show images" offered for a mail with only an inline image`)
	}
	frame := b.get("/msg/html?f=INBOX&uid=" + uid)
	mustContain(t, frame.body, `src="data:image/png;base64,iVBORw0KGgo`)
}

func TestReplyAllAddresses(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, "alice@localhost", "", "From: Bob <bob@example.test>\nTo: alice@localhost, Carol <carol@example.test>\nCc: dave@example.test, bob@example.test\nSubject: Plan\nMessage-ID: <plan@example.test>\n\nLet's plan.\n")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	form := b.get("/compose?f=INBOX&mode=replyall&uid=" + uid)
	val := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(form.body)
		if m == nil {
			t.Fatalf("no %s field", name)
		}
		return htmlUnescape(m[1])
	}
	if to := val("to"); !strings.Contains(to, "bob@example.test") || strings.Contains(to, "carol") {
		t.Errorf("reply-all To = %q", to)
	}
	cc := val("cc")
	if !strings.Contains(cc, "carol@example.test") || !strings.Contains(cc, "dave@example.test") {
		t.Errorf("reply-all Cc = %q, want carol and dave", cc)
	}
	if strings.Contains(cc, "alice@localhost") || strings.Contains(cc, "bob@example.test") {
		t.Errorf("reply-all Cc = %q repeats me or the sender", cc)
	}
	if got := val("in_reply_to"); got != "<plan@example.test>" {
		t.Errorf("In-Reply-To = %q", got)
	}
}

func TestOversizedUploadRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	token := b.csrf()
	// Over the attachment limit (3/4 of the 10 MB message limit) but under the body cap.
	r := b.sendForm("/send", url.Values{"csrf": {token}, "to": {"alice@localhost"}, "subject": {"big"}}, map[string][]byte{"big.bin": bytes.Repeat([]byte("x"), 8<<20)})
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "too large") {
		t.Errorf("8 MB attachment: %d, want 400 with a readable message", r.StatusCode)
	}
	// Over the request body cap.
	r = b.sendForm("/send", url.Values{"csrf": {token}, "to": {"alice@localhost"}, "subject": {"huge"}}, map[string][]byte{"huge.bin": bytes.Repeat([]byte("x"), 12<<20)})
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("12 MB upload: %d, want 413", r.StatusCode)
	}
	c := e.imapOf(t, "alice@localhost")
	if n := len(imapList(t, c, "INBOX")); n != 0 {
		t.Errorf("%d oversized messages were sent", n)
	}
}
