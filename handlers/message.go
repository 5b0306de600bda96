package handlers

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/mailview"
	"github.com/yubinmail/yubin/web/searchquery"
)

// HTMLSandbox is what the HTML body may do, for both the iframe's sandbox attribute
// and the CSP sandbox directive: open its links (target=_blank, added by the
// sanitizer) in a new, unsandboxed tab, and keep our origin so that the app's own
// script in the parent page can measure the document and grow the frame to its
// height (no scroll inside a scroll). Same origin is safe only because nothing runs
// in the frame: never allow-scripts (which with allow-same-origin could lift the
// sandbox), and the CSP says script-src 'none' besides; never allow-top-navigation,
// allow-forms or allow-modals either.
const HTMLSandbox = "allow-same-origin allow-popups allow-popups-to-escape-sandbox"

// HTMLBodyCSP is the policy of the sandboxed HTML body (RFC-less but essential): no
// script, no plugin, no network except what is listed; "sandbox" gives the document an
// opaque origin even if it is opened outside the iframe.
const HTMLBodyCSP = "sandbox " + HTMLSandbox + "; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

// htmlBodyCSPImages is the same after the user asked for remote images: they come
// through the image proxy on our own origin ('self'), never from the sender's host.
const htmlBodyCSPImages = "sandbox " + HTMLSandbox + "; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; font-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

// AttachmentCSP keeps a downloaded file inert even if a browser renders it.
const AttachmentCSP = "sandbox; default-src 'none'"

func msgQuery(mailbox string, uid uint32, extra ...string) string {
	q := url.Values{"f": {mailbox}, "uid": {strconv.FormatUint(uint64(uid), 10)}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q.Encode()
}

// Message shows one message and marks it \Seen: as its own page, beside the list
// in a wide window with the pane layout (panesFor), or with pane=1 as the fragment
// the reading pane shows (static/panes.js). A message that is gone
// (deleted in another tab, or "back" after deleting it) leads back to its list
// with a word about it, never to a bare error page.
func (h *Handlers) Message(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	mailbox := mailboxParam(r)
	uid := parseUID(r.URL.Query().Get("uid"))
	pane := r.URL.Query().Get("pane") == "1"
	if uid == 0 {
		h.gone(w, r)
		return
	}
	if !pane && panesFor(r) && backPlace(r).Mailbox == mailbox {
		// A wide window with the pane layout: the list, with this message beside it.
		h.mailboxPage(w, r, backPlace(r), http.StatusOK, "", uid)
		return
	}
	sh, folders, err := h.shell(r.Context(), r, cl, "", mailbox)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.messageData(r, cl, sh, folders, mailbox, uid, pane)
	if errors.Is(err, mailclient.ErrNotFound) {
		h.gone(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if d == nil {
		return // the browser went away during the fetch and parse: render nothing for nobody
	}
	if pane {
		w.Header().Set("Cache-Control", "private, no-store")
		h.render(w, r, http.StatusOK, templates.MessageArticle(*d))
		return
	}
	d.Title = d.Subject
	d.BodyClass = "reading"
	h.render(w, r, http.StatusOK, templates.Message(*d))
}

// gone answers a request for a message that is not there (404): the list it was
// opened from, with a word saying so (the reading pane gets the words alone).
func (h *Handlers) gone(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("pane") == "1" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<p class="paneempty" role="alert">%s</p>`, html.EscapeString(Lang(r).T("err.gone")))
		return
	}
	h.mailboxPage(w, r, backPlace(r), http.StatusNotFound, "err.gone", 0)
}

// messageData reads and decodes one message for the message page or the reading
// pane; nil (and no error) when the browser went away meanwhile.
func (h *Handlers) messageData(r *http.Request, cl *mailclient.Client, sh templates.Shell, folders []mailclient.Folder, mailbox string, uid uint32, inPane bool) (*templates.MessageData, error) {
	ctx := r.Context()
	m, err := cl.FetchMessage(ctx, mailbox, uid, true)
	if err != nil {
		return nil, err
	}
	msg, err := mailview.Open(m.Raw) // the one parse of this request
	if err != nil {
		return nil, err
	}
	v := msg.View()
	if ctx.Err() != nil {
		return nil, nil
	}
	if v.Date.IsZero() {
		v.Date = m.InternalDate // no Date header: when it arrived
	}
	back := backPlace(r)
	d := templates.MessageData{
		Shell: sh, Mailbox: mailbox, UID: uid, Subject: v.Subject, InPane: inPane,
		From: addressList(v.From), To: addressList(v.To), Cc: addressList(v.Cc), Date: sh.Lang.LongDate(v.Date.In(userZone(r))),
		HasHTML: v.HasHTML, Flagged: m.HasFlag(`\Flagged`), BackURL: back.URL(), ListPage: back.Page,
		ReplyURL:      "/compose?" + msgQuery(mailbox, uid, "mode", "reply"),
		ReplyAllURL:   "/compose?" + msgQuery(mailbox, uid, "mode", "replyall"),
		ForwardURL:    "/compose?" + msgQuery(mailbox, uid, "mode", "forward"),
		ForwardAttURL: "/compose?" + msgQuery(mailbox, uid, "mode", "forwardatt"),
		PlainURL:      "/msg?" + msgQuery(mailbox, uid, "view", "text"),
		HTMLViewURL:   "/msg?" + msgQuery(mailbox, uid),
		// The server's verdict, read from its Authentication-Results field.
		Unverified: msg.Unverified(h.Hostname),
	}
	for _, f := range folders {
		if f.Name == mailbox {
			d.IsTrash = f.SpecialUse == mailclient.UseTrash
			if f.SpecialUse == mailclient.UseDrafts {
				d.EditDraftURL = "/compose?draft=" + strconv.FormatUint(uint64(uid), 10)
			}
		}
	}
	d.MoveTargets = moveTargets(sh.Folders, mailbox)
	// Opened from a search: back goes to the same results page, and the matches are
	// marked in the subject and the text.
	var needles []string
	if back.Query != "" {
		d.BackLabel = sh.Lang.T("search.back")
		d.ListQuery, d.ListAll, d.ListMailbox = back.Query, back.All, back.Mailbox
		needles = searchquery.Parse(back.Query).Needles(searchquery.Subject, searchquery.From, searchquery.Filename)
		d.SubjectMarks = marks(v.Subject, needles)
		if err := searchNavigation(r, cl, &d, back, folders); err != nil {
			return nil, err
		}
	} else if err := h.navigation(r, cl, &d, back); err != nil {
		return nil, err
	}
	if err := h.conversation(r, cl, &d); err != nil {
		return nil, err
	}
	for _, a := range v.Attachments {
		if a.Inline {
			continue
		}
		att := templates.Attachment{
			Name: a.Filename, Size: templates.Size(a.Size), Path: a.Path, Type: a.ContentType,
			URL: "/msg/part?" + msgQuery(mailbox, uid, "part", a.Path),
		}
		if kind := previewKind(a.ContentType); kind != "" {
			att.PreviewPageURL = "/msg?" + msgQuery(mailbox, uid, "preview", a.Path) + "#preview"
			if r.URL.Query().Get("preview") == a.Path {
				att.Previewing = true
				d.Preview = templates.Preview{Name: a.Filename, Kind: kind,
					URL:      "/msg/preview?" + msgQuery(mailbox, uid, "part", a.Path),
					CloseURL: "/msg?" + msgQuery(mailbox, uid)}
			}
		}
		d.Attachments = append(d.Attachments, att)
	}
	d.ShowHTML = v.HasHTML && r.URL.Query().Get("view") != "text"
	if d.ShowHTML {
		h.decideImages(r, &d, msg, v)
	} else {
		for _, s := range mailview.Linkify(v.Text) {
			if s.URL != "" || len(needles) == 0 {
				d.Text = append(d.Text, templates.Segment{Text: s.Text, URL: s.URL})
				continue
			}
			for _, sp := range searchquery.Highlight(s.Text, needles) {
				d.Text = append(d.Text, templates.Segment{Text: sp.Text, Mark: sp.Mark})
			}
		}
	}
	return &d, nil
}

// MessageHTML serves the sanitized HTML body as its own document under a sandbox CSP.
// Inline cid: images become data: URLs, because the sandboxed document has an opaque
// origin: its own requests to this site would carry no session cookie.
func (h *Handlers) MessageHTML(w http.ResponseWriter, r *http.Request) {
	cl, sess, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	mailbox := mailboxParam(r)
	uid := parseUID(r.URL.Query().Get("uid"))
	m, err := cl.FetchMessage(r.Context(), mailbox, uid, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.Context().Err() != nil {
		return // the browser went away during the fetch: sanitize nothing for nobody
	}
	images := r.URL.Query().Get("images") == "1"
	msg, err := mailview.Open(m.Raw) // parsed once; every cid: image is sliced from it
	if err != nil {
		h.fail(w, r, err)
		return
	}
	doc, _, err := msg.Document(mailview.HTMLOptions{
		AllowRemote: images,
		CIDURL: func(cid string) string {
			data, ct, err := msg.PartByContentID(cid)
			if err != nil || !safeImageType(ct) {
				return ""
			}
			return "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(data)
		},
		// Remote images only ever load through our proxy, signed for this account.
		RemoteURL: func(remote string) string { return h.Images.URL(sess.User, remote) },
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	if images {
		hd.Set("Content-Security-Policy", htmlBodyCSPImages)
	} else {
		hd.Set("Content-Security-Policy", HTMLBodyCSP)
	}
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(doc))
}

func safeImageType(ct string) bool {
	switch strings.ToLower(ct) {
	case "image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/bmp":
		return true
	}
	return false
}

// inertTypes may be labelled as they are; anything a browser could execute or render
// as a page is downloaded as application/octet-stream.
func downloadType(ct string) string {
	ct = strings.ToLower(ct)
	// Some vendor types are pages to a browser (Chromium renders
	// application/vnd.wap.xhtml+xml as XHTML; Firefox knew XUL): anything that
	// smells of markup or script is never labelled as itself.
	for _, bad := range []string{"html", "xml", "svg", "script", "xul"} {
		if strings.Contains(ct, bad) && !officeXML(ct) {
			return "application/octet-stream"
		}
	}
	switch {
	case safeImageType(ct), ct == "application/pdf", ct == "text/plain", ct == "text/csv",
		strings.HasPrefix(ct, "audio/"), strings.HasPrefix(ct, "video/"),
		ct == "application/zip", strings.HasPrefix(ct, "application/vnd."), ct == "application/msword":
		return ct
	}
	return "application/octet-stream"
}

// officeXML is an Office Open XML document type (docx, xlsx, pptx): "xml" in its name
// is the vendor's, not a markup type a browser renders.
func officeXML(ct string) bool {
	return strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.") && !strings.HasSuffix(ct, "+xml")
}

// MessagePart downloads one attachment: always as an attachment, never sniffed, and
// sandboxed should a browser display it anyway.
func (h *Handlers) MessagePart(w http.ResponseWriter, r *http.Request) {
	data, ct, name, ok := h.requestedPart(w, r)
	if !ok {
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", downloadType(ct))
	hd.Set("Content-Disposition", ContentDisposition(name))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", AttachmentCSP)
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// requestedPart is the part the request names (f, uid, part) with its declared type
// and file name ("attachment" when it has none); on a failure it has answered the
// request and ok is false.
func (h *Handlers) requestedPart(w http.ResponseWriter, r *http.Request) (data []byte, ct, name string, ok bool) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return nil, "", "", false
	}
	uid := parseUID(r.URL.Query().Get("uid"))
	m, err := cl.FetchMessage(r.Context(), mailboxParam(r), uid, false)
	if err != nil {
		h.fail(w, r, err)
		return nil, "", "", false
	}
	data, ct, name, err = mailview.Part(m.Raw, r.URL.Query().Get("part"))
	if err != nil {
		h.Error(w, r, http.StatusNotFound, "err.notfound")
		return nil, "", "", false
	}
	if name == "" {
		name = "attachment"
	}
	return data, ct, name, true
}

// ContentDisposition builds "attachment" with an ASCII fallback filename and the real
// one as filename*=UTF-8”… (RFC 6266 section 4.3, RFC 8187).
func ContentDisposition(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	ascii := strings.Map(func(r rune) rune {
		if r > 0x7e || r == '"' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	v := mime.FormatMediaType("attachment", map[string]string{"filename": ascii})
	if v == "" {
		v = "attachment"
	}
	return v + "; filename*=UTF-8''" + rfc8187Escape(name)
}

func rfc8187Escape(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}
