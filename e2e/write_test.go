package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/web"
)

// Writing mail in Chromium (issue 15 items 3-5): the draft saves itself and
// survives leaving the page, files upload as soon as they are chosen and a 60 MB
// one is refused at selection with the limit shown and nothing lost, an
// attachment mentioned but missing is asked about, Undo takes a sent message back
// before the recipient ever sees it, and a message scheduled for later arrives
// once, also across a restart of the mail server and the webmail.
func TestWritingDesktopEnglish(t *testing.T) { writing(t, "write-desktop", "en-US", false) }

func TestWritingPhoneJapanese(t *testing.T) { writing(t, "write-phone", "ja", true) }

func writing(t *testing.T, name, lang string, phone bool) {
	s := newStack(t, name, lang)
	ja := lang == "ja"
	tr := func(en, jp string) string {
		if ja {
			return jp
		}
		return en
	}
	s.addAccount("bob@localhost", "Bob")
	s.useViewport(phone)
	s.login()

	// The settings: a 4-second undo delay and the user's zone.
	zone := "Asia/Tokyo"
	if !ja {
		zone = "America/New_York"
	}
	s.do(chromedp.Navigate(s.base + "/settings"))
	s.waitFor(`!!document.querySelector("form.settings-form")`, "the settings page")
	s.do(
		chromedp.SetValue(chromedp.CSS(`input[name=undo_seconds]`), "4"),
		chromedp.SetValue(chromedp.CSS(`input[name=time_zone]`), zone),
		chromedp.Click(chromedp.CSS(`form.settings-form button[type=submit]`)),
	)
	s.waitFor(`location.search.includes("ok=settings")`, "the settings saved")

	// A reply starts with the cursor in the body, above the quote, under an
	// attribution line in the UI language.
	s.deliver("From: Taro Yamada <taro@example.jp>\nTo: alice@localhost\nSubject: Meeting\nDate: Mon, 07 Dec 2026 10:00:00 +0900\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nShall we meet on Friday?\n")
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`!!document.querySelector(".rowlink")`, "the inbox")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rowlink").click()`))
	s.waitFor(`!!document.querySelector('a[data-key="r"]')`, "the message")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('a[data-key="r"]').click()`))
	s.waitFor(`!!document.getElementById("cmp-body") && document.activeElement === document.getElementById("cmp-body")`, "the cursor in the reply's body")
	if pos := eval[int](s, `document.getElementById("cmp-body").selectionStart`); pos != 0 {
		t.Errorf("reply cursor at %d, want 0 (above the quote)", pos)
	}
	wrote := tr("On Mon, Dec 7, 2026 at 10:00, Taro Yamada <taro@example.jp> wrote:\n> Shall we meet on Friday?", "2026年12月7日 10:00、Taro Yamada さんは書きました:\n> Shall we meet on Friday?")
	if v := eval[string](s, `document.getElementById("cmp-body").value`); !strings.HasPrefix(v, "\n") || !strings.Contains(v, wrote) {
		t.Errorf("reply body = %q, want a blank line above %q", v, wrote)
	}

	// A new message.
	s.do(chromedp.Navigate(s.base + "/compose"))
	s.waitFor(`!!document.getElementById("composer")`, "the compose form")
	if phone {
		// Cc and Bcc wait behind their toggle; Send is on the screen without scrolling.
		if eval[bool](s, `document.querySelector("input[name=cc]").getBoundingClientRect().height > 0`) {
			t.Error("Cc is shown on the phone before it is asked for")
		}
		if !eval[bool](s, `(b => b.top >= 0 && b.bottom <= window.innerHeight)(document.getElementById("cmp-send").getBoundingClientRect())`) {
			t.Errorf("Send is off the screen: %v", eval[[]float64](s, `(b => [b.top, b.bottom, window.innerHeight])(document.getElementById("cmp-send").getBoundingClientRect())`))
		}
		// Nothing floats over the form: the list's compose button stays on the list.
		if eval[bool](s, `(b => b.width > 0 && b.height > 0)(document.querySelector(".side .compose").getBoundingClientRect())`) {
			t.Error("the floating compose button is shown over the compose form")
		}
		s.shot("compose-phone")
		s.do(chromedp.Click(chromedp.CSS(`label.showcc`)))
		s.waitFor(`document.querySelector("input[name=cc]").getBoundingClientRect().height > 0`, "Cc after the toggle")
		s.noHorizontalScroll("compose")
	} else {
		s.shot("compose-desktop")
	}
	subject := tr("Quote for December", "12月のお見積り")
	s.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=to]`), "bob@localhost"),
		chromedp.SendKeys(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.Click(chromedp.CSS(`#cmp-body`)),
	)
	// Typed with the IME on the Japanese phone: while it composes, Ctrl+Enter
	// does not send.
	body := tr("Please find the quote attached.", "見積書を添付します。")
	if ja {
		if _, err := chromedp.Call(s.ctx, input.ImeSetComposition, input.ImeSetCompositionParams{Text: "みつもりしょ", SelectionStart: 6, SelectionEnd: 6}); err != nil {
			t.Fatal(err)
		}
		s.keyWith("Enter", 13, 2) // Ctrl
		s.do(chromedp.Sleep(500 * time.Millisecond))
		if p := eval[string](s, `location.pathname`); p != "/compose" {
			t.Fatalf("Ctrl+Enter during IME composition sent the message (at %s)", p)
		}
		if _, err := chromedp.Call(s.ctx, input.InsertText, input.InsertTextParams{Text: body}); err != nil {
			t.Fatal(err)
		}
	} else {
		s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-body`), body))
	}

	// Mentioning an attachment without one: Send asks first.
	s.do(chromedp.Click(chromedp.CSS(`#cmp-send`)))
	s.waitFor(`!document.getElementById("cmp-attwarn").hidden`, "the missing attachment warning")
	if p := eval[string](s, `location.pathname`); p != "/compose" {
		t.Fatalf("sent without asking about the attachment (at %s)", p)
	}
	s.shot("attachment-warning")

	// The draft saved itself.
	s.waitFor(`document.getElementById("cmp-status").textContent.includes(`+jsString(tr("Draft saved", "下書きを保存しました"))+`)`, "the autosave")
	drafts := s.imapList("alice@localhost", "Drafts")
	if len(drafts) != 1 || drafts[0].subject != subject {
		t.Fatalf("Drafts after the autosave: %+v", drafts)
	}

	// A file uploads as soon as it is chosen and is listed with its size.
	dir := t.TempDir()
	quote := filepath.Join(dir, tr("quote.txt", "見積書.txt"))
	os.WriteFile(quote, []byte("12,000 JPY\n"), 0o644)
	s.do(chromedp.SetUploadFiles(chromedp.CSS(`#cmp-files`), []string{quote}))
	s.waitFor(`document.querySelectorAll("#cmp-attlist li").length === 1 && document.querySelector("#cmp-attlist .js-remove") !== null`, "the uploaded file listed")
	if v := eval[string](s, `document.querySelector("#cmp-attlist li").textContent`); !strings.Contains(v, filepath.Base(quote)) || !strings.Contains(v, "11 B") {
		t.Errorf("attachment row = %q", v)
	}
	if !eval[bool](s, `document.getElementById("cmp-attwarn").hidden`) {
		t.Error("the missing-attachment warning stays after a file was attached")
	}
	// A 60 MB file is refused at selection, with the limit; the draft keeps the first.
	big := filepath.Join(dir, "video.mov")
	if f, err := os.Create(big); err == nil {
		f.Truncate(60 << 20)
		f.Close()
	}
	s.do(chromedp.SetUploadFiles(chromedp.CSS(`#cmp-files`), []string{big}))
	s.waitFor(`!document.getElementById("cmp-uperr").hidden`, "the size refusal")
	if v := eval[string](s, `document.getElementById("cmp-uperr").textContent`); !strings.Contains(v, "video.mov") || !strings.Contains(v, "7.9 MB") {
		t.Errorf("size refusal = %q, want the file and the limit", v)
	}
	s.shot("too-large")
	if n := eval[int](s, `document.querySelectorAll("#cmp-attlist li").length`); n != 1 {
		t.Errorf("%d attachments listed after the refusal, want 1", n)
	}
	drafts = s.imapList("alice@localhost", "Drafts")
	if len(drafts) != 1 || !strings.Contains(s.imapRaw("alice@localhost", "Drafts", drafts[0].uid), "MTIsMDAwIEpQWQo=") {
		t.Fatalf("the draft does not keep the attachment: %+v", drafts)
	}

	// Leaving with unsaved text asks, and the text is saved on the way out.
	s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-body`), tr(" Regards.", "よろしくお願いします。")))
	asked := s.leaveAsked.Load()
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`location.pathname === "/mail"`, "the inbox after leaving")
	if s.leaveAsked.Load() == asked {
		t.Error("leaving a form with unsaved text did not ask")
	}
	var draftUID uint32
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := s.imapList("alice@localhost", "Drafts")
		if len(d) == 1 && strings.Contains(s.imapText("alice@localhost", "Drafts", d[0].uid), tr("Regards.", "よろしくお願いします。")) {
			draftUID = d[0].uid
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the text typed before leaving is not in Drafts: %+v", d)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Reopen it, send, and undo: bob never gets it.
	s.do(chromedp.Navigate(s.base + "/compose?draft=" + itoa(draftUID)))
	s.waitFor(`document.querySelectorAll("#cmp-attlist li").length === 1`, "the draft reopened with its file")
	s.do(chromedp.Click(chromedp.CSS(`#cmp-send`)))
	s.waitFor(`!!document.getElementById("undobar")`, "the undo bar")
	s.shot("undo-bar")
	s.do(chromedp.Click(chromedp.CSS(`#undobar button`)))
	s.waitFor(`location.pathname === "/compose" && document.body.textContent.includes(`+jsString(tr("Sending cancelled", "送信を取り消しました"))+`)`, "the message back in the editor")
	if n := eval[int](s, `document.querySelectorAll("#cmp-attlist li").length`); n != 1 {
		t.Errorf("after undo the form has %d attachments, want 1", n)
	}
	s.do(chromedp.Sleep(5 * time.Second)) // past the undo delay
	if n := len(s.imapList("bob@localhost", "INBOX")); n != 0 {
		t.Fatalf("bob got %d messages after Undo", n)
	}

	// Send later, at a time in the user's zone, then restart both servers before it
	// is due: it arrives once.
	loc, _ := time.LoadLocation(zone)
	at := time.Now().Add(12 * time.Second).In(loc)
	// A person picks minutes; the test takes seconds (step 1) so as not to wait
	// for the next minute. The server reads both.
	// The time is set through a fresh query of the field: chromedp.SetValue resolves
	// the node first and failed once in a full run ("could not set value on node")
	// when the field it had found was no longer in the page.
	s.do(
		chromedp.Evaluate[chromedp.Void](`document.querySelector("details.later summary").click()`),
		chromedp.Evaluate[chromedp.Void](`(() => { const i = document.querySelector("input[name=send_at]");
			i.step = "1"; i.value = `+jsString(at.Format("2006-01-02T15:04:05"))+`; })()`),
		chromedp.Click(chromedp.CSS(`#cmp-schedule`)),
	)
	s.waitFor(`location.pathname === "/scheduled" && document.querySelectorAll(".sched").length === 1`, "the Scheduled view")
	if v := eval[string](s, `document.querySelector("section.scheduled").textContent`); !strings.Contains(v, subject) || !strings.Contains(v, zone) {
		t.Errorf("Scheduled view = %q", v)
	}
	if phone {
		s.noHorizontalScroll("scheduled")
	}
	s.shot("scheduled")
	// The Scheduled view and the compose form in the other language too.
	other, otherTitle, otherSend := "ja", "予約送信", "送信"
	if ja {
		other, otherTitle, otherSend = "en-US", "Scheduled", "Send"
	}
	s.acceptLanguage(other)
	s.do(chromedp.Navigate(s.base + "/scheduled"))
	s.waitFor(`document.querySelector("section.scheduled h1").textContent === `+jsString(otherTitle), "the Scheduled view in "+other)
	s.shot("scheduled-" + other)
	s.do(chromedp.Navigate(s.base + "/compose"))
	s.waitFor(`document.getElementById("cmp-send").textContent === `+jsString(otherSend), "the compose form in "+other)
	s.shot("compose-" + other)
	s.acceptLanguage(lang)
	s.restart()
	deadline = time.Now().Add(40 * time.Second)
	for len(s.imapList("bob@localhost", "INBOX")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled message did not arrive after the restart")
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.do(chromedp.Sleep(2 * time.Second))
	got := s.imapList("bob@localhost", "INBOX")
	if len(got) != 1 || got[0].subject != subject {
		t.Fatalf("bob has %+v, want the scheduled message once", got)
	}
	if raw := s.imapRaw("bob@localhost", "INBOX", got[0].uid); !strings.Contains(raw, "MTIsMDAwIEpQWQo=") {
		t.Errorf("the scheduled message lost its attachment:\n%s", raw)
	}
	s.do(chromedp.Navigate(s.base + "/scheduled"))
	s.waitFor(`!!document.querySelector("section.scheduled .empty")`, "the empty Scheduled view")
}

type listed struct {
	uid     uint32
	subject string
}

// imapList lists a mailbox of user over IMAP, as a mail program sees it.
func (s *stack) imapList(user, mailbox string) []listed {
	s.t.Helper()
	c := s.imapAs(user)
	defer c.Close()
	d, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		s.t.Fatalf("select %s: %v", mailbox, err)
	}
	if d.NumMessages == 0 {
		return nil
	}
	var set imap.SeqSet
	set.AddRange(1, d.NumMessages)
	msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil {
		s.t.Fatal(err)
	}
	var out []listed
	for _, m := range msgs {
		out = append(out, listed{uint32(m.UID), m.Envelope.Subject})
	}
	return out
}

// imapRaw is one whole message of user's mailbox over IMAP.
func (s *stack) imapRaw(user, mailbox string, uid uint32) string {
	s.t.Helper()
	c := s.imapAs(user)
	defer c.Close()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		s.t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil || len(msgs) != 1 {
		s.t.Fatalf("fetch %d: %v", uid, err)
	}
	for _, b := range msgs[0].BodySection {
		return string(b.Bytes)
	}
	return ""
}

// imapText is the decoded text of a message's first part (quoted-printable aside).
func (s *stack) imapText(user, mailbox string, uid uint32) string {
	raw := s.imapRaw(user, mailbox, uid)
	return decodeQP(raw)
}

func (s *stack) imapAs(user string) *imapclient.Client {
	s.t.Helper()
	c, err := imapclient.DialInsecure(s.run.Addr("imap"), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		s.t.Fatalf("imap login %s: %v", user, err)
	}
	return c
}

// restart stops the webmail and the mail server and starts both again on the
// same data directories, as after a reboot. The browser keeps its session.
func (s *stack) restart() {
	s.t.Helper()
	s.srv.Close()
	s.run.Close()
	run, err := mailbackend.Start(context.Background(), &s.mailCfg, s.log)
	if err != nil {
		s.t.Fatalf("restart mail server: %v", err)
	}
	s.t.Cleanup(func() { run.Close() })
	wcfg := s.webCfg
	wcfg.IMAPAddr, wcfg.SMTPAddr, wcfg.ManageSieveAddr = run.Addr("imap"), run.Addr("submission"), run.Addr("managesieve")
	srv, err := web.New(wcfg)
	if err != nil {
		s.t.Fatalf("restart webmail: %v", err)
	}
	s.t.Cleanup(func() { srv.Close() })
	s.run, s.srv, s.webCfg = run, srv, wcfg
	s.front.h.Store(handlerOf(run, srv))
}

// keyWith presses one key with modifiers (see key).
func (s *stack) keyWith(name string, code int64, mods int64) {
	s.t.Helper()
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(s.ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: name, Code: name,
			WindowsVirtualKeyCode: code, NativeVirtualKeyCode: code, Modifiers: mods}); err != nil {
			s.t.Fatal(err)
		}
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// decodeQP undoes quoted-printable leniently (soft breaks, =XX), enough to find
// text in a message whatever its parts.
func decodeQP(s string) string {
	s = strings.ReplaceAll(s, "=\r\n", "")
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '=' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// acceptLanguage makes the browser ask for lang from now on.
func (s *stack) acceptLanguage(lang string) {
	s.t.Helper()
	if _, err := chromedp.Call(s.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		s.t.Fatal(err)
	}
}
