package e2e

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
)

// Rich text in Chromium (issue 15 item 5): bold typed with the shortcut, a
// bulleted list and a link from the toolbar, an image pasted into the text; the
// draft saves itself and reopens in rich text; the message is sent as
// multipart/alternative with the image in a multipart/related (read back over IMAP
// with go-message), and the webmail shows the bold and the image. In Japanese the
// text goes through the IME, whose Ctrl+I (katakana in MS-IME) never makes italics.
// The desktop turns rich text on in the settings, the phone with the compose
// form's switch. Screenshots: artifacts/rich-desktop, artifacts/rich-phone.
func TestRichTextDesktopEnglish(t *testing.T) { richText(t, "rich-desktop", "en-US", false) }

func TestRichTextPhoneJapanese(t *testing.T) { richText(t, "rich-phone", "ja", true) }

// pasteImageJS pastes a 160×60 PNG drawn on a canvas into the editor, as the
// clipboard of a screenshot tool would hand it over.
const pasteImageJS = `(() => {
  const c = document.createElement("canvas"); c.width = 160; c.height = 60;
  const g = c.getContext("2d");
  g.fillStyle = "#d33"; g.fillRect(0, 0, 160, 60);
  g.fillStyle = "#fff"; g.fillRect(20, 15, 120, 30);
  const bin = atob(c.toDataURL("image/png").split(",")[1]);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], "image.png", { type: "image/png" }));
  const ed = document.getElementById("cmp-editor");
  ed.focus();
  ed.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
})()`

func richText(t *testing.T, name, lang string, phone bool) {
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

	if !phone {
		// The setting: compose opens in rich text.
		s.do(chromedp.Navigate(s.base + "/settings"))
		s.waitFor(`!!document.querySelector("form.settings-form")`, "the settings page")
		s.do(
			chromedp.SetValue(chromedp.CSS(`textarea[name=signature]`), "--\nAlice\nSales"),
			chromedp.Click(chromedp.CSS(`input[name=compose_mode][value=rich]`)),
			chromedp.Click(chromedp.CSS(`form.settings-form button[type=submit]`)),
		)
		s.waitFor(`location.search.includes("ok=settings")`, "the settings saved")
	}
	s.do(chromedp.Navigate(s.base + "/compose"))
	s.waitFor(`!!document.getElementById("cmp-richmode")`, "the compose form")
	if phone {
		if eval[bool](s, `document.getElementById("cmp-editor").hidden === false`) {
			t.Fatal("rich text is on before it was asked for (plain text is the default)")
		}
		s.do(chromedp.Click(chromedp.CSS(`#cmp-richmode`)))
	}
	s.waitFor(`!document.getElementById("cmp-editor").hidden && document.getElementById("cmp-body").closest("label").hidden`, "the rich-text editor")
	s.axe("rich-editor") // the switch, the toolbar and the editor are accessible
	subject := tr("Rich text test", "リッチテキストのテスト")
	s.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=to]`), "bob@localhost, alice@localhost"),
		chromedp.SendKeys(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.Click(chromedp.CSS(`#cmp-editor`)),
		// Above the signature, as a user would click.
		chromedp.Evaluate[chromedp.Void](`(() => { const r = document.createRange(); r.setStart(document.getElementById("cmp-editor"), 0); r.collapse(true); const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r); })()`),
	)
	if ja {
		// Ctrl+I while the IME composes is the IME's: no italics, no dialog.
		if _, err := chromedp.Call(s.ctx, input.ImeSetComposition, input.ImeSetCompositionParams{Text: "ようこそ", SelectionStart: 4, SelectionEnd: 4}); err != nil {
			t.Fatal(err)
		}
		s.keyWith("i", 73, 2) // Ctrl
		s.keyWith("k", 75, 2)
		if _, err := chromedp.Call(s.ctx, input.InsertText, input.InsertTextParams{Text: "ようこそ。"}); err != nil {
			t.Fatal(err)
		}
		if h := eval[string](s, `document.getElementById("cmp-editor").innerHTML`); strings.Contains(h, "<i>") || strings.Contains(h, "<a") || !strings.Contains(h, "ようこそ。") {
			t.Fatalf("a shortcut ran during IME composition: %q", h)
		}
	}
	// Bold with the shortcut.
	s.keyWith("b", 66, 2)
	s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-editor`), tr("Important", "重要")))
	s.keyWith("b", 66, 2)
	s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-editor`), tr(" news.\r", "なお知らせ。\r")))
	// A bulleted list from the toolbar.
	s.do(chromedp.Click(chromedp.CSS(`button[data-cmd=insertUnorderedList]`)))
	s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-editor`), tr("apples\rpears\r\r", "りんご\rみかん\r\r")))
	// A link over selected words (the address asked for in a prompt).
	words := tr("the docs", "資料")
	s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-editor`), tr("See ", "詳しくは")+words))
	s.do(chromedp.Evaluate[chromedp.Void](`(() => {
	  window.prompt = () => "https://example.test/docs";
	  const ed = document.getElementById("cmp-editor");
	  const w = document.createTreeWalker(ed, NodeFilter.SHOW_TEXT);
	  let n; while ((n = w.nextNode())) { const i = n.data.indexOf(` + jsString(words) + `); if (i >= 0) {
	    const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + ` + jsString(words) + `.length);
	    const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r); break; } }
	})()`))
	s.do(chromedp.Click(chromedp.CSS(`button[data-cmd=createLink]`)))
	s.waitFor(`!!document.querySelector('#cmp-editor a[href="https://example.test/docs"]')`, "the link")
	// HTML pasted from another page keeps its bold and loses the rest (style,
	// script, remote images) before it is in the editor.
	s.do(chromedp.Evaluate[chromedp.Void](`(() => {
	  const ed = document.getElementById("cmp-editor"); ed.focus();
	  const r = document.createRange(); r.selectNodeContents(ed); r.collapse(false); const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r);
	  const dt = new DataTransfer();
	  dt.setData("text/html", '<p style="color:red" onclick="x()">Pasted <strong>strong</strong><img src="https://tracker.test/p.gif"><script>window.__pwned=1<\/script></p>');
	  dt.setData("text/plain", "Pasted strong");
	  ed.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
	})()`))
	if h := eval[string](s, `document.getElementById("cmp-editor").innerHTML`); !strings.Contains(h, "<strong>strong</strong>") || strings.Contains(h, "style=") || strings.Contains(h, "tracker") || strings.Contains(h, "script") || strings.Contains(h, "onclick") {
		t.Errorf("pasted HTML in the editor: %q", h)
	}
	// An image pasted: shown at once, uploaded into the draft.
	s.do(chromedp.Evaluate[chromedp.Void](`(() => { const ed = document.getElementById("cmp-editor"); const r = document.createRange(); r.selectNodeContents(ed); r.collapse(false); const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r); })()`))
	s.do(chromedp.Evaluate[chromedp.Void](pasteImageJS))
	s.waitFor(`(() => { const i = document.querySelector("#cmp-editor img[data-cid]"); return !!i && i.naturalWidth === 160 })()`, "the pasted image in the editor")
	s.waitFor(`document.getElementById("cmp-progress").hidden && Number(document.querySelector("input[name=draft_uid]").value) > 0 && !document.getElementById("cmp-status").classList.contains("bad") && document.getElementById("cmp-status").textContent !== ""`, "the image uploaded into the draft")
	s.noHorizontalScroll("rich compose")
	s.shot("compose")

	// The draft reopens in rich text, the image shown from the draft.
	s.waitFor(`(() => { const st = document.getElementById("cmp-status").textContent; return /[0-9]:[0-9]/.test(st) })()`, "the draft saved")
	s.do(chromedp.Sleep(3500e6)) // the last keystrokes' autosave
	s.waitFor(`document.getElementById("cmp-progress").hidden && !document.getElementById("cmp-status").textContent.includes("…")`, "the autosave done")
	draft := eval[string](s, `document.querySelector("input[name=draft_uid]").value`)
	s.do(chromedp.Navigate(s.base + "/compose?draft=" + draft))
	s.waitFor(`!document.getElementById("cmp-editor").hidden && !!document.querySelector("#cmp-editor b") && (i => !!i && i.naturalWidth === 160)(document.querySelector("#cmp-editor img[data-cid]"))`, "the draft reopened in rich text with its image")
	if h := eval[string](s, `document.getElementById("cmp-editor").innerHTML`); !strings.Contains(h, "<li>"+tr("pears", "みかん")+"</li>") || !strings.Contains(h, `href="https://example.test/docs"`) {
		t.Errorf("reopened draft lost its list or link: %q", h)
	}
	s.shot("draft-reopened")

	s.do(chromedp.Click(chromedp.CSS(`#cmp-send`)))
	s.waitFor(`location.pathname === "/mail"`, "the inbox after sending")

	// Over IMAP, as bob's mail program reads it.
	list := s.imapList("bob@localhost", "INBOX")
	if len(list) != 1 {
		t.Fatalf("bob has %d messages", len(list))
	}
	raw := s.imapRaw("bob@localhost", "INBOX", list[0].uid)
	type part struct{ path, id, body string }
	var parts []part
	ent, err := message.Read(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message: %v", err)
	}
	var walk func(e *message.Entity, path string)
	walk = func(e *message.Entity, path string) {
		mt, _, _ := e.Header.ContentType()
		path = strings.TrimPrefix(path+">"+mt, ">")
		if mr := e.MultipartReader(); mr != nil {
			for p, err := mr.NextPart(); err == nil; p, err = mr.NextPart() {
				walk(p, path)
			}
			return
		}
		b, _ := io.ReadAll(e.Body)
		parts = append(parts, part{path, strings.Trim(e.Header.Get("Content-Id"), "<>"), string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))})
	}
	walk(ent, "")
	if len(parts) != 3 || parts[0].path != "multipart/alternative>text/plain" ||
		parts[1].path != "multipart/alternative>multipart/related>text/html" ||
		parts[2].path != "multipart/alternative>multipart/related>image/png" {
		t.Fatalf("structure: %+v", parts)
	}
	plain := parts[0].body
	for _, want := range []string{tr("Important news.", "重要なお知らせ。"), "Pasted strong", "- " + tr("apples", "りんご"), "- " + tr("pears", "みかん"), words + " <https://example.test/docs>", "[" + tr("Pasted image", "貼り付けた画像") + ".png]"} {
		if !strings.Contains(plain, want) {
			t.Errorf("text/plain lacks %q:\n%s", want, plain)
		}
	}
	if ja && !strings.HasPrefix(plain, "ようこそ") || ja && !strings.Contains(plain, "ようこそ。") {
		t.Errorf("text/plain does not start with the IME's text: %q", plain)
	}
	html := parts[1].body
	if !strings.Contains(html, "<b>"+tr("Important", "重要")+"</b>") || !strings.Contains(html, `src="cid:`+parts[2].id+`"`) || parts[2].id == "" {
		t.Errorf("HTML %q does not show the bold and the image %q", html, parts[2].id)
	}

	// In the webmail: alice (also a recipient) sees the bold and the image inline.
	s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
	s.waitFor(`!!document.querySelector(".rowlink")`, "the inbox")
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rowlink").click()`))
	s.waitFor(`(() => { const f = document.querySelector("iframe.htmlbody"); const d = f && f.contentDocument; if (!d) return false;
	  const b = d.querySelector("b"), i = d.querySelector("img"); return !!b && b.textContent === `+jsString(tr("Important", "重要"))+` && !!i && i.naturalWidth === 160 })()`, "the message with its bold and its image")
	s.noHorizontalScroll("rich message")
	s.shot("read")
	if phone {
		return
	}

	// A reply in rich text (the setting): the cursor above the quote, which is a
	// blockquote, the signature below it; an image dropped in goes inline too.
	s.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('a[data-key="r"]').click()`))
	s.waitFor(`!document.getElementById("cmp-editor").hidden && document.activeElement === document.getElementById("cmp-editor")`, "the reply in the rich editor")
	if h := eval[string](s, `document.getElementById("cmp-editor").innerHTML`); !strings.Contains(h, "<blockquote><div>Important news.</div><div>- apples</div>") || !strings.Contains(h, "<div>Alice</div><div>Sales</div>") {
		t.Errorf("rich reply: quote or signature missing: %q", h)
	}
	s.do(chromedp.SendKeys(chromedp.CSS(`#cmp-editor`), "Thanks, see the chart:"))
	// Dropped at the end of the line just typed.
	drop := strings.Replace(pasteImageJS, `new ClipboardEvent("paste", { clipboardData: dt,`,
		`new DragEvent("drop", { dataTransfer: dt, clientX: ed.firstElementChild.getBoundingClientRect().right - 1, clientY: ed.firstElementChild.getBoundingClientRect().top + 5,`, 1)
	s.do(chromedp.Evaluate[chromedp.Void](strings.Replace(drop, `"image.png"`, `"chart.png"`, 1)))
	s.waitFor(`(() => { const i = document.querySelector("#cmp-editor img[data-cid]"); return !!i && i.naturalWidth === 160 })()`, "the dropped image in the editor")
	s.waitFor(`document.getElementById("cmp-progress").hidden && /[0-9]:[0-9]/.test(document.getElementById("cmp-status").textContent)`, "the dropped image uploaded")
	s.shot("reply")
	s.do(chromedp.Click(chromedp.CSS(`#cmp-send`)))
	s.waitFor(`location.pathname === "/mail"`, "the inbox after the reply")
	var reply string
	for _, m := range s.imapList("alice@localhost", "INBOX") {
		if strings.HasPrefix(m.subject, "Re:") {
			reply = s.imapRaw("alice@localhost", "INBOX", m.uid)
		}
	}
	reply = strings.ReplaceAll(decodeQP(reply), "\r\n", "\n")
	if !strings.Contains(reply, "multipart/related") || !strings.Contains(reply, `filename="chart.png"`) ||
		!strings.Contains(reply, `<div>Thanks, see the chart:<img src="cid:`) || !strings.Contains(reply, "<blockquote><div>Important news.</div>") ||
		!strings.Contains(reply, "Thanks, see the chart:[chart.png]\n") || !strings.Contains(reply, "> Important news.\n> - apples") {
		t.Errorf("the rich reply lacks its quote or its dropped image:\n%.3000s", reply)
	}
}
