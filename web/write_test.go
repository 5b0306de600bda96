package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/web/mailview"
)

// rawOf fetches the whole message with uid from mailbox over IMAP.
func rawOf(t testing.TB, c *imapclient.Client, mailbox string, uid uint32) string {
	t.Helper()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch %s %d: %v (%d)", mailbox, uid, err, len(msgs))
	}
	for _, b := range msgs[0].BodySection {
		return string(b.Bytes)
	}
	return ""
}

type autosaved struct {
	DraftUID    uint32 `json:"draft_uid"`
	Mailbox     string `json:"src_f"`
	Error       string `json:"error"`
	Used        int64  `json:"used"`
	Attachments []struct {
		Path, Name, Size string
	} `json:"attachments"`
}

func (b *browser) autosave(fields url.Values, files map[string][]byte) (*resp, autosaved) {
	b.t.Helper()
	r := b.sendForm("/compose/save", fields, files)
	var out autosaved
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		b.t.Fatalf("autosave: %d: not JSON: %s", r.StatusCode, r.body)
	}
	return r, out
}

// An alias set up as an identity sends with its own name, reply-to and signature
// (issue 15 item 1), and the recipient sees them.
func TestIdentitySendsAsAliasWithSignature(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	ctx := context.Background()
	if err := e.run.Store.AddAlias(ctx, "info@localhost", []string{"alice@localhost"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.post("/settings", settingsForm(b.csrf(), url.Values{
		"undo_seconds": {"0"}, "signature": {"Alice\n営業部"}, "signature_place": {"below"},
		"id_address": {"info@localhost"}, "id_name": {"Info Desk"}, "id_reply_to": {"desk@localhost"},
		"id_signature": {"--\nインフォ窓口"},
	}))
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d: %s", r.StatusCode, r.body)
	}
	page := b.get("/compose").body
	mustContain(t, page, `<select name="from" id="cmp-from">`, `value="info@localhost" data-signature="--`, "\nAlice\n営業部\n</textarea>")
	r = b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "from": {"info@localhost"}, "to": {"bob@localhost"},
		"subject": {"From the desk"}, "body": {"Hello\n\n--\nインフォ窓口"}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d: %s", r.StatusCode, r.body)
	}
	bob := e.imapOf(t, "bob@localhost")
	got := imapList(t, bob, "INBOX")
	if len(got) != 1 {
		t.Fatalf("bob has %d messages", len(got))
	}
	raw := rawOf(t, bob, "INBOX", got[0].UID)
	for _, want := range []string{"From: Info Desk <info@localhost>", "Reply-To: desk@localhost"} {
		if !strings.Contains(raw, want) {
			t.Errorf("bob's copy lacks %q:\n%s", want, raw)
		}
	}
	// A reply to mail sent to the alias starts from the alias, with its signature.
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "info@localhost", "Question", "Are you open?"))
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	page = b.get("/compose?mode=reply&f=INBOX&uid=" + uid).body
	mustContain(t, page, "<option value=\"info@localhost\" data-signature=\"--\nインフォ窓口\" selected>", `data-focus="1"`)
	if i, j := strings.Index(page, "&gt; Are you open?"), strings.Index(page, "インフォ窓口\n</textarea>"); i < 0 || j < i {
		t.Errorf("the reply's signature is not below the quote (settings: below):\n%s", page)
	}
}

// Autosave keeps one draft, replaced by UID at each save; a file chosen is
// uploaded into it at once and listed; sending then takes it from the draft and
// removes the draft.
func TestAutosaveAndUploadIntoDraft(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	tok := b.csrf()
	fields := url.Values{"csrf": {tok}, "to": {"bob@localhost"}, "subject": {"下書き"}, "body": {"書きかけ"}}
	r, s1 := b.autosave(fields, nil)
	if r.StatusCode != http.StatusOK || s1.DraftUID == 0 || s1.Mailbox == "" {
		t.Fatalf("first autosave: %d %+v", r.StatusCode, s1)
	}
	fields.Set("draft_uid", utoa(s1.DraftUID))
	fields.Set("body", "書きかけの続き")
	r, s2 := b.autosave(fields, map[string][]byte{"見積書.pdf": []byte("%PDF-1.4 quote")})
	if r.StatusCode != http.StatusOK || s2.DraftUID == s1.DraftUID || len(s2.Attachments) != 1 || s2.Attachments[0].Name != "見積書.pdf" || s2.Used != 14 {
		t.Fatalf("autosave with a file: %d %+v", r.StatusCode, s2)
	}
	c := e.imapOf(t, "alice@localhost")
	drafts := imapList(t, c, s2.Mailbox)
	if len(drafts) != 1 || drafts[0].UID != s2.DraftUID {
		t.Fatalf("Drafts holds %+v, want only the newest version %d", drafts, s2.DraftUID)
	}
	raw := rawOf(t, c, s2.Mailbox, s2.DraftUID)
	if !strings.Contains(raw, "quote") && !strings.Contains(raw, "JVBERi0xLjQgcXVvdGU=") {
		t.Errorf("the draft lacks the uploaded file:\n%s", raw)
	}
	// A third save carries the file over from the draft (src_part), uploads nothing.
	fields.Set("draft_uid", utoa(s2.DraftUID))
	fields.Set("src_f", s2.Mailbox)
	fields.Set("src_uid", utoa(s2.DraftUID))
	fields["src_part"] = []string{s2.Attachments[0].Path}
	_, s3 := b.autosave(fields, nil)
	if len(s3.Attachments) != 1 || s3.DraftUID == s2.DraftUID {
		t.Fatalf("third save: %+v", s3)
	}
	fields.Set("draft_uid", utoa(s3.DraftUID))
	fields.Set("src_uid", utoa(s3.DraftUID))
	fields["src_part"] = []string{s3.Attachments[0].Path}
	fields.Set("from", "alice@localhost")
	if r := b.sendForm("/send", fields, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d: %s", r.StatusCode, r.body)
	}
	if n := len(imapList(t, c, s2.Mailbox)); n != 0 {
		t.Errorf("%d drafts left after sending", n)
	}
	bob := e.imapOf(t, "bob@localhost")
	got := imapList(t, bob, "INBOX")
	if len(got) != 1 || !strings.Contains(rawOf(t, bob, "INBOX", got[0].UID), "JVBERi0xLjQgcXVvdGU=") {
		t.Fatalf("bob did not get the attachment: %+v", got)
	}
}

// A send error (a mistyped address) brings the form back with the text and the
// file the browser uploaded with it, kept in a draft, not dropped.
func TestSendErrorKeepsTextAndAttachments(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@@example"}, "subject": {"typo"},
		"body": {"本文は残る"}}, map[string][]byte{"資料.txt": []byte("議事録")})
	if r.StatusCode != http.StatusBadRequest {
		t.Fatalf("send to a bad address: %d", r.StatusCode)
	}
	mustContain(t, r.body, "本文は残る", "bob@@example", `name="src_part"`, "資料.txt")
	c := e.imapOf(t, "alice@localhost")
	if n := len(imapList(t, c, "Drafts")); n != 1 {
		t.Errorf("Drafts holds %d messages, want the one keeping the file", n)
	}
}

// An upload over the request limit shows the form again with the text as typed
// and the limit, not a bare 413 page; the autosave says so in JSON. The draft
// already saved is not touched.
func TestOversizeUploadKeepsTheText(t *testing.T) {
	e := newEnv(t, "alice@localhost")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	tok := b.csrf()
	_, saved := b.autosave(url.Values{"csrf": {tok}, "subject": {"大きい"}, "body": {"大事な本文"}}, nil)
	fields := url.Values{"csrf": {tok}, "to": {"bob@localhost"}, "subject": {"大きい"}, "body": {"大事な本文"}, "draft_uid": {utoa(saved.DraftUID)}}
	huge := map[string][]byte{"huge.bin": bytes.Repeat([]byte("x"), 12<<20)}
	r := b.sendForm("/send", fields, huge)
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("12 MB send: %d", r.StatusCode)
	}
	mustContain(t, r.body, "大事な本文", "too large", "7.9 MB", `name="draft_uid" value="`+utoa(saved.DraftUID)+`"`)
	r, out := b.autosave(fields, huge)
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(out.Error, "too large") {
		t.Fatalf("12 MB autosave: %d %+v", r.StatusCode, out)
	}
	// A forged token does not get the form back.
	fields.Set("csrf", "forged")
	if r := b.sendForm("/send", fields, huge); r.StatusCode != http.StatusRequestEntityTooLarge || strings.Contains(r.body, "大事な本文") {
		t.Errorf("forged token: %d, form shown: %v", r.StatusCode, strings.Contains(r.body, "大事な本文"))
	}
	c := e.imapOf(t, "alice@localhost")
	if d := imapList(t, c, "Drafts"); len(d) != 1 || d[0].UID != saved.DraftUID {
		t.Errorf("Drafts after the refused uploads: %+v", d)
	}
}

func utoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

var textareaRe = regexp.MustCompile(`(?s)<textarea name="body"[^>]*>(.*?)</textarea>`)

// A forward of an HTML mail keeps its HTML (sanitized) beside the text, and its
// attachments; "forward as attachment" attaches the original whole as
// message/rfc822, also after an autosave carried it into the draft.
func TestForwardKeepsHTMLAndForwardAsAttachment(t *testing.T) {
	e := newEnv(t, "alice@localhost", "bob@localhost")
	e.deliver(t, "alice@localhost", "", "From: shop@example.test\nTo: alice@localhost\nSubject: Invoice\nMessage-ID: <inv1@example.test>\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain; charset=utf-8\n\nTotal 100\n"+
		"--a\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>.total{color:red}</style></head><body><p class=\"total\">Total <b>100</b></p><script>alert(1)</script><img src=\"http://tracker.example/x.png\"></body></html>\n"+
		"--a--\n--m\nContent-Type: application/pdf; name=inv.pdf\nContent-Disposition: attachment; filename=inv.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--m--\n")
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	uid := firstUID(t, b.get("/mail?f=INBOX").body)
	page := b.get("/compose?mode=forward&f=INBOX&uid=" + uid).body
	mustContain(t, page, `name="fwd_uid" value="`+uid+`"`, `name="src_part" value="`)
	text := html.UnescapeString(textareaRe.FindStringSubmatch(page)[1])
	part := regexp.MustCompile(`name="src_part" value="([^"]+)"`).FindStringSubmatch(page)[1]
	r := b.sendForm("/send", url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {"Fwd: Invoice"},
		"body": {"Please pay <this>." + text}, "src_f": {"INBOX"}, "src_uid": {uid}, "src_part": {part},
		"fwd_f": {"INBOX"}, "fwd_uid": {uid}}, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("forward: %d: %s", r.StatusCode, r.body)
	}
	bob := e.imapOf(t, "bob@localhost")
	got := imapList(t, bob, "INBOX")
	if len(got) != 1 {
		t.Fatalf("bob has %d messages", len(got))
	}
	m, err := mailview.Open([]byte(rawOf(t, bob, "INBOX", got[0].UID)))
	if err != nil {
		t.Fatal(err)
	}
	v := m.View()
	if !v.HasHTML || len(v.Attachments) != 1 || v.Attachments[0].Filename != "inv.pdf" {
		t.Fatalf("forward: html %v, attachments %+v", v.HasHTML, v.Attachments)
	}
	doc, _, _ := m.Document(mailview.HTMLOptions{AllowRemote: true})
	for _, want := range []string{"Please pay &lt;this&gt;.", "Forwarded message", "Total <b>100</b>", "color:red", "<blockquote>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the forward's HTML lacks %q:\n%s", want, doc)
		}
	}
	for _, bad := range []string{"<script", "alert(1)", "tracker.example"} {
		if strings.Contains(doc, bad) {
			t.Errorf("the forward's HTML carries %q:\n%s", bad, doc)
		}
	}
	if !strings.Contains(v.Text, "Please pay <this>.") || !strings.Contains(v.Text, "Total 100") {
		t.Errorf("the forward's text: %q", v.Text)
	}

	// Forward as attachment, through an autosave.
	page = b.get("/compose?mode=forwardatt&f=INBOX&uid=" + uid).body
	mustContain(t, page, `name="src_part" value="message"`, "Invoice.eml")
	fields := url.Values{"csrf": {b.csrf()}, "to": {"bob@localhost"}, "subject": {"Fwd: Invoice"}, "body": {"see attached"},
		"src_f": {"INBOX"}, "src_uid": {uid}, "src_part": {"message"}}
	_, saved := b.autosave(fields, nil)
	if len(saved.Attachments) != 1 || saved.Attachments[0].Name != "Invoice.eml" {
		t.Fatalf("autosave of a forward as attachment: %+v", saved)
	}
	fields.Set("draft_uid", utoa(saved.DraftUID))
	fields.Set("src_f", saved.Mailbox)
	fields.Set("src_uid", utoa(saved.DraftUID))
	fields["src_part"] = []string{saved.Attachments[0].Path}
	if r := b.sendForm("/send", fields, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d: %s", r.StatusCode, r.body)
	}
	got = imapList(t, bob, "INBOX")
	if len(got) != 2 {
		t.Fatalf("bob has %d messages", len(got))
	}
	raw := rawOf(t, bob, "INBOX", got[1].UID)
	if !strings.Contains(raw, "Content-Type: message/rfc822") || !strings.Contains(raw, "Message-ID: <inv1@example.test>") ||
		strings.Contains(raw, "Content-Transfer-Encoding: base64\r\n\r\nRnJvbT") {
		t.Errorf("not a message/rfc822 attachment of the original:\n%s", raw)
	}
}
