package mailview

import (
	"bytes"
	"net/mail"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// Unverified returns the From domain when the receiving server's verdict says the
// message could not be shown to come from it, and "" otherwise. The verdict is
// the first Authentication-Results field (RFC 8601) with authservID, the server's
// hostname: yubin removes any such field a sender forged, so only its own carries
// that id. A message without one (sent from here, or through another server) gets
// no verdict: nothing is claimed either way.
//
// Verified means DMARC passed, or, where the domain publishes no DMARC policy, a
// DKIM signature or SPF of that domain (or its organizational domain) passed.
func (m *Message) Unverified(authservID string) string {
	if authservID == "" {
		return ""
	}
	hdr, err := mail.ReadMessage(bytes.NewReader(m.raw))
	if err != nil {
		return ""
	}
	from := m.addressField("From")
	if len(from) == 0 {
		return ""
	}
	_, fromDomain, ok := strings.Cut(from[0].Email, "@")
	if !ok || fromDomain == "" {
		return ""
	}
	fromDomain = strings.ToLower(fromDomain)
	for _, field := range hdr.Header["Authentication-Results"] {
		id, results, err := authres.Parse(field)
		if err != nil || !strings.EqualFold(strings.TrimSpace(id), authservID) {
			continue
		}
		if verified(results, fromDomain) {
			return ""
		}
		return fromDomain
	}
	return ""
}

func verified(results []authres.Result, fromDomain string) bool {
	dmarc := authres.ResultValue("")
	aligned := false
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			dmarc = r.Value
		case *authres.DKIMResult:
			aligned = aligned || r.Value == authres.ResultPass && sameOrg(r.Domain, fromDomain)
		case *authres.SPFResult:
			_, d, _ := strings.Cut(r.From, "@")
			aligned = aligned || r.Value == authres.ResultPass && sameOrg(d, fromDomain)
		}
	}
	switch dmarc {
	case authres.ResultPass:
		return true
	case authres.ResultNone, "":
		return aligned
	}
	return false
}

func sameOrg(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	org := func(d string) string {
		d = strings.ToLower(strings.TrimSuffix(d, "."))
		if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
			return o
		}
		return d
	}
	return org(a) == org(b)
}
