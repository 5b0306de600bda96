package mailformat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzParse checks the promises the IMAP server relies on for any input: Parse does not
// panic, every offset lies inside the message and is ordered, children lie inside
// their parent, and the search text is valid UTF-8.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p *Parsed
		var err error
		fuzzbudget.Run(t, func() { p, err = Parse(raw) })
		if len(raw) == 0 {
			if err == nil {
				t.Fatal("no error for empty input")
			}
			return
		}
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		checkPart(t, p.Structure, 0, int64(len(raw)))
		// Everything must survive the store's JSON unchanged: valid UTF-8 only.
		checkUTF8(t, p.Envelope, p.Structure)
		for _, s := range []string{p.Text.Subject, p.Text.From, p.Text.To, p.Text.Cc, p.Text.Bcc, p.Text.Body} {
			if !utf8.ValidString(s) {
				t.Fatalf("search text not UTF-8: %q", s)
			}
		}
	})
}

func checkPart(t *testing.T, p *Part, lo, hi int64) {
	t.Helper()
	if p == nil {
		t.Fatal("nil part")
	}
	if !(lo <= p.HeaderStart && p.HeaderStart <= p.BodyStart && p.BodyStart <= p.End && p.End <= hi) {
		t.Fatalf("offsets %d/%d/%d outside [%d,%d] for %s", p.HeaderStart, p.BodyStart, p.End, lo, hi, p.MIMEType())
	}
	if p.Size != p.End-p.BodyStart {
		t.Fatalf("size %d != %d", p.Size, p.End-p.BodyStart)
	}
	if p.Type == "multipart" && len(p.Parts) == 0 {
		t.Fatal("multipart without children")
	}
	prev := p.BodyStart
	for _, c := range p.Parts {
		if c.HeaderStart < prev {
			t.Fatalf("child at %d overlaps previous end %d", c.HeaderStart, prev)
		}
		checkPart(t, c, p.BodyStart, p.End)
		prev = c.End
	}
	if p.Message != nil {
		if p.Envelope == nil {
			t.Fatal("message part without envelope")
		}
		checkPart(t, p.Message, p.BodyStart, p.End)
	}
}

var fuzzSeeds = []string{
	"Subject: hi\r\n\r\nbody\r\n",
	"Subject: hi\n\nbody",
	"Subject: x",
	"\r\n",
	crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\nContent-Type: message/rfc822\n\nSubject: in\nContent-Type: multipart/alternative; boundary=c\n\n--c\n\nx\n--c--\n--b--\n"),
	crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n--b--"),
	crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nb\n--d"),
	"From: =?utf-8?b?5pel?= <a@b>, g: c@d;, <@r:e@f>\r\nTo: ,,\"\r\nDate: Mon, 2 Jan 2006 15:04:05 +0900\r\n\r\n",
	crlf("Content-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: base64\n\nGyRCRnxLXDhsGyhC\n"),
	crlf("Content-Type: text/html; charset*0*=utf-8''%E3; charset*1=x; name*=bad'\n\n<p>x</p>"),
	"Content-Type: multipart/mixed; boundary=\"" + strings.Repeat("x", 70) + "\"\r\n\r\n--" + strings.Repeat("x", 70) + "\r\n\r\n",
}

func checkUTF8(t *testing.T, e *Envelope, p *Part) {
	t.Helper()
	strs := []string{p.Type, p.Subtype, p.ID, p.Description, p.Encoding, p.MD5, p.Disposition, p.Location}
	for _, ps := range [][]Param{p.Params, p.DispositionParams} {
		for _, x := range ps {
			strs = append(strs, x.Name, x.Value)
		}
	}
	strs = append(strs, p.Language...)
	if e != nil {
		strs = append(strs, e.RawDate, e.Subject, e.InReplyTo, e.MessageID)
		for _, l := range [][]Address{e.From, e.Sender, e.ReplyTo, e.To, e.Cc, e.Bcc} {
			for _, a := range l {
				strs = append(strs, a.Name, a.Mailbox, a.Host, a.Route)
			}
		}
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Fatalf("not UTF-8, JSON would change it: %q", s)
		}
	}
	for _, c := range p.Parts {
		checkUTF8(t, nil, c)
	}
	if p.Message != nil {
		checkUTF8(t, p.Envelope, p.Message)
	}
}
