package handlers

import (
	"context"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/richtext"
)

// wholeMessagePart is the Keep path of a forward as attachment: the original
// itself, attached as message/rfc822 (RFC 2046 section 5.2.1).
const wholeMessagePart = "message"

// forwardHeadings are the forward headings of every UI language: the text may
// have been started in the other one.
func forwardHeadings(l templates.Lang) []string {
	other := templates.Lang("ja")
	if l == "ja" {
		other = "en"
	}
	return []string{l.T("fwd.header"), other.T("fwd.header")}
}

// forwardHTML is the HTML alternative of a forward whose original had HTML
// (issue 15 item 5: forward keeps the HTML body, sanitized): the user's note and
// the heading from the text, then the original's body as the sanitizer leaves
// it. From a reopened draft (fromDraft) the original's body is the forwarded
// block of the draft's own HTML. "" when there is nothing to keep: no HTML, or the
// user removed the forward heading from the text.
//
// With rich text (rich, sanitized) the note is the rich text above the heading's
// line. The original's inline images stay cid: references, so that the parts go
// with the forward (issue 15: forward keeps the cid: images; inlineParts).
func forwardHTML(ctx context.Context, cl *mailclient.Client, l templates.Lang, mailbox string, uid uint32, fromDraft bool, body, rich string) string {
	var note, fields, heading string
	found := false
	for _, h := range forwardHeadings(l) {
		if note, fields, found = compose.SplitForward(body, h); found {
			heading = h
			break
		}
	}
	if !found {
		return ""
	}
	m, err := cl.FetchMessage(ctx, mailbox, uid, false)
	if err != nil {
		return ""
	}
	msg, err := mailview.Open(m.Raw)
	if err != nil || !msg.View().HasHTML {
		return ""
	}
	doc, _, err := msg.Document(mailview.HTMLOptions{CIDURL: keepCID(msg)})
	if err != nil {
		return ""
	}
	style, inner := splitDocument(doc)
	if fromDraft {
		start := strings.Index(inner, `class="yubin-forward"`)
		if start < 0 {
			return ""
		}
		inner = inner[start:]
		open, end := strings.Index(inner, "<blockquote>"), strings.LastIndex(inner, "</blockquote>")
		if open < 0 || end < open {
			return ""
		}
		inner = inner[open+len("<blockquote>") : end]
	}
	if rich != "" {
		richNote, ok := richtext.CutAt(rich, heading)
		if !ok {
			return ""
		}
		return compose.ForwardRichHTML(richtext.Wrap(richNote), fields, style, inner)
	}
	return compose.ForwardHTML(note, fields, style, inner)
}

// splitDocument takes a sanitized document (mailview.Message.Document) apart:
// the mail's own style rules (ours, the base sheet, left out: each forward would
// otherwise add it again) and the body's content.
func splitDocument(doc string) (style, body string) {
	if i, j := strings.Index(doc, "<style>"), strings.Index(doc, "</style>"); i >= 0 && j > i {
		style = doc[i+len("<style>") : j]
		for base := mailview.BaseStyle(); base != "" && strings.HasPrefix(style, base); {
			style = style[len(base):]
		}
	}
	if i := strings.Index(doc, "<body"); i >= 0 {
		if k := strings.Index(doc[i:], ">"); k >= 0 {
			body = doc[i+k+1:]
		}
	}
	body = strings.TrimSuffix(strings.TrimSuffix(body, "</html>"), "</body>")
	return style, body
}

// messageAttachment is the original attached whole, named after its subject.
func messageAttachment(raw []byte, subject string) compose.File {
	name := strings.TrimSpace(subject)
	if name == "" {
		name = "message"
	}
	return compose.File{Name: name + ".eml", ContentType: "message/rfc822", Data: raw}
}
