package autoconfig

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzAutodiscover feeds the public POX endpoint any body (built with
// fuzzbudget.Expand so long runs of one construct are reachable): the answer is
// 200 with a document that parses, 400, 404 or 413, never a panic or a 500, and
// within the per-input budget.
func FuzzAutodiscover(f *testing.F) {
	req := `<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>bob@example.test</EMailAddress><AcceptableResponseSchema>` + outlookResponseNS + `</AcceptableResponseSchema></Request></Autodiscover>`
	f.Add(req, "", uint16(0), "")
	f.Add(`<Autodiscover><Request><EMailAddress>`, "x", uint16(40000), `@example.test</EMailAddress></Request></Autodiscover>`)
	f.Add("", "<a>", uint16(20000), "")
	f.Add(`<Autodiscover><Request><EMailAddress>bob@stranger.test</EMailAddress></Request></Autodiscover>`, "", uint16(0), "")
	f.Add(`<!DOCTYPE x [<!ENTITY a "aaaa">]><Autodiscover><Request><EMailAddress>&a;@example.test</EMailAddress></Request></Autodiscover>`, "", uint16(0), "")
	s := Settings{Hostname: "mail.example.test", IMAPS: 993, Submissions: 465,
		IsLocalDomain: func(d string) bool { return d == "example.test" }}
	f.Fuzz(func(t *testing.T, head, unit string, count uint16, tail string) {
		body := fuzzbudget.Expand(head, unit, count, tail)
		var rec *httptest.ResponseRecorder
		fuzzbudget.Run(t, func() {
			rec = httptest.NewRecorder()
			s.Autodiscover(rec, httptest.NewRequest("POST", AutodiscoverPath, strings.NewReader(body)))
		})
		switch rec.Code {
		case http.StatusOK:
			var v struct {
				XMLName xml.Name `xml:"Autodiscover"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatalf("200 with an unparsable answer: %v\n%s", err, rec.Body)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
			if len(body) <= MaxAutodiscoverBytes && rec.Code == http.StatusRequestEntityTooLarge {
				t.Fatalf("413 for a body of %d bytes", len(body))
			}
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
