package handlers

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/richtext"
)

// The compose form's rich text (issue 15 item 5, web/richtext): the editor's HTML
// arrives in "html" with rich=1, is sanitized to the allow-list here, and becomes
// the text/html alternative; the text/plain one is derived from it, never taken
// from the browser. Images pasted into the editor are uploaded like attachments
// with the Content-ID the editor gave them (file_cid) and sent as inline parts.

// richFromForm reads the rich-text fields of a compose POST into d and form; it
// returns the sanitized content, "" when the form is in plain text.
func richFromForm(r *http.Request, d *compose.Draft, form *templates.ComposeData) string {
	if r.PostFormValue("rich") != "1" {
		return ""
	}
	form.Rich = true
	content := richtext.Sanitize(r.PostFormValue("html"))
	d.Body = richtext.Text(content)
	form.Body = d.Body
	d.HTML = richtext.Document(content)
	form.RichHTML = content
	return content
}

// inlineUpload says whether the i-th uploaded file is an image pasted into the rich
// editor (then cid is its Content-ID), else an attachment.
func inlineUpload(r *http.Request, i int, contentType string) (cid string, ok bool) {
	if r.PostFormValue("rich") != "1" {
		return "", false
	}
	cids := r.PostForm["file_cid"]
	if i >= len(cids) || !richtext.ValidCID(cids[i]) || !safeImageType(contentType) {
		return "", false
	}
	return cids[i], true
}

// partSource is a message whose cid: parts a draft may carry over.
type partSource struct {
	mailbox string
	uid     uint32
}

// inlineParts completes d.Inline with the parts d.HTML shows by cid: and that were
// not uploaded with this request: from the forwarded original (or the reopened
// forward's draft), then from the draft being edited. Uploaded images the HTML no
// longer shows are dropped. It returns the bytes the inline parts take, which count
// against the attachment limit like attachments.
func inlineParts(ctx context.Context, cl *mailclient.Client, d *compose.Draft, sources ...partSource) int64 {
	wanted := richtext.CIDs(d.HTML)
	have := map[string]compose.File{}
	for _, f := range d.Inline {
		have[f.ContentID] = f
	}
	d.Inline = nil
	var missing []string
	for _, cid := range wanted {
		if f, ok := have[cid]; ok {
			d.Inline = append(d.Inline, f)
		} else {
			missing = append(missing, cid)
		}
	}
	for _, src := range sources {
		if len(missing) == 0 {
			break
		}
		if src.uid == 0 {
			continue
		}
		m, err := cl.FetchMessage(ctx, src.mailbox, src.uid, false)
		if err != nil {
			continue
		}
		msg, err := mailview.Open(m.Raw)
		if err != nil {
			continue
		}
		var still []string
		for _, cid := range missing {
			data, ct, err := msg.PartByContentID(cid)
			if err != nil {
				still = append(still, cid)
				continue
			}
			d.Inline = append(d.Inline, compose.File{Name: inlineName(msg, cid), ContentType: ct, Data: data, ContentID: cid})
		}
		missing = still
	}
	var n int64
	for _, f := range d.Inline {
		n += int64(len(f.Data))
	}
	return n
}

// inlineName is the file name of the part with Content-ID cid, "" when it has none.
func inlineName(msg *mailview.Message, cid string) string {
	for _, a := range msg.View().Attachments {
		if strings.EqualFold(a.ContentID, cid) {
			return a.Filename
		}
	}
	return ""
}

// editorHTML is sanitized rich text as the editor shows it: inline images as data:
// URLs of the parts (the app's CSP allows data: images, not cid:).
func editorHTML(content string, parts func(cid string) ([]byte, string, bool)) string {
	return richtext.ForEditor(content, func(cid string) string {
		data, ct, ok := parts(cid)
		if !ok || !safeImageType(ct) {
			return ""
		}
		return "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(data)
	})
}

// inlineLookup finds a part among d.Inline.
func inlineLookup(inline []compose.File) func(string) ([]byte, string, bool) {
	return func(cid string) ([]byte, string, bool) {
		for _, f := range inline {
			if f.ContentID == cid {
				return f.Data, f.ContentType, true
			}
		}
		return nil, "", false
	}
}

// keepCID is the mailview CIDURL of HTML that is sent on (a forward, a draft): a
// cid: reference the message can answer stays a cid: reference, for the part to
// go with it; others are dropped.
func keepCID(msg *mailview.Message) func(string) string {
	return func(cid string) string {
		if _, _, err := msg.PartByContentID(cid); err != nil || strings.ContainsAny(cid, "<>\"'() \t\r\n\\") || len(cid) > 200 {
			return ""
		}
		return "cid:" + cid
	}
}

// reopenRich opens a draft written in rich text in the rich editor: its content,
// and for a forward the text from the forward heading on (whose HTML the send
// takes from the draft's forwarded block again). A draft the webmail did not
// write in rich text stays as fillFromOriginal left it.
func reopenRich(d *templates.ComposeData, l templates.Lang, raw []byte, text string) {
	msg, err := mailview.Open(raw)
	if err != nil || !msg.View().HasHTML {
		return
	}
	doc, _, err := msg.Document(mailview.HTMLOptions{CIDURL: keepCID(msg)})
	if err != nil {
		return
	}
	content, ok := richtext.FromDocument(doc)
	if !ok {
		return
	}
	if strings.Contains(doc, `class="yubin-forward"`) {
		for _, h := range forwardHeadings(l) {
			if i := strings.Index(text, h); h != "" && i >= 0 {
				content += richtext.FromText(text[i:])
				break
			}
		}
	} else {
		d.FwdMailbox, d.FwdUID, d.FwdDraft = "", 0, false
	}
	d.Rich = true
	d.RichHTML = editorHTML(content, func(cid string) ([]byte, string, bool) {
		data, ct, err := msg.PartByContentID(cid)
		return data, ct, err == nil
	})
}

// inlineBytes is the size of a saved draft's inline parts.
func inlineBytes(v *mailview.View) int64 {
	var n int64
	for _, a := range v.Attachments {
		if a.Inline {
			n += a.Size
		}
	}
	return n
}
