package web

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/yubinmail/yubin/web/session"
)

// A compose form whose upload is over the limit must not cost the user the text
// (issue 15: a 60 MB attachment used to end on a 413 page, the draft gone). The
// browser sends the text fields before the file input, so they are in the first
// bytes of the body: bodyLimit keeps a copy of at most salvageBytes of them, and
// when the limit is hit, salvageCompose reads the fields back from that copy and
// shows the form again with them and the reason. Only the compose POSTs are
// salvaged; the copy is bounded, so a large request costs no more memory than
// salvageBytes.
const salvageBytes = 1 << 20

var salvagePaths = map[string]bool{"/send": true, "/draft": true, "/compose/save": true}

// prefixCopy passes a body through, keeping a copy of its first max bytes.
type prefixCopy struct {
	r   io.ReadCloser
	buf bytes.Buffer
	max int
}

func (p *prefixCopy) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if room := p.max - p.buf.Len(); room > 0 && n > 0 {
		p.buf.Write(b[:min(n, room)])
	}
	return n, err
}

func (p *prefixCopy) Close() error { return p.r.Close() }

// salvageCompose answers an over-size compose POST from the fields found in
// prefix: the form again (or, for the autosave, a JSON error), with the text as
// posted. The CSRF token is checked as for any POST. It reports false when it
// could not answer (no session, no fields, a bad token): the caller then shows the
// plain 413 page.
func (s *Server) salvageCompose(w http.ResponseWriter, r *http.Request, prefix []byte) bool {
	sess := session.FromContext(r.Context())
	if sess == nil || !salvagePaths[r.URL.Path] {
		return false
	}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return false
	}
	vals := url.Values{}
	mr := multipart.NewReader(bytes.NewReader(prefix), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if part.FileName() != "" || part.FormName() == "" {
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, salvageBytes))
		if err != nil {
			break // the copy ended inside this field: it is incomplete, leave it out
		}
		vals.Add(part.FormName(), string(v))
	}
	if !sess.CheckCSRF(vals.Get("csrf")) {
		return false
	}
	r.Form, r.PostForm, r.MultipartForm = vals, vals, nil
	r.Body = http.NoBody
	if strings.HasSuffix(r.URL.Path, "/save") {
		s.h.AutosaveTooLarge(w, r)
	} else {
		s.h.ComposeTooLarge(w, r)
	}
	return true
}
