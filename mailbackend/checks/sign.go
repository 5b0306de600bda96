package checks

import (
	"crypto"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// signedFields are the fields RFC 6376 section 5.4.1 recommends signing.
var signedFields = []string{
	"From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date", "Resent-From",
	"Resent-To", "Resent-Cc", "In-Reply-To", "References", "List-Id", "List-Help",
	"List-Unsubscribe", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
	"Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
}

// overSigned are listed once more than they occur (RFC 6376 section 8.15), so
// nobody can add a second From, To or Subject that readers would show instead.
var overSigned = map[string]bool{"from": true, "to": true, "subject": true}

// headerKeys lists the fields of msg to sign, each as often as it occurs, plus
// the oversigned ones.
func headerKeys(msg []byte) []string {
	count := map[string]int{}
	mailformat.EachHeaderField(msg, func(name, _ string) { count[strings.ToLower(name)]++ })
	var keys []string
	for _, f := range signedFields {
		n := count[strings.ToLower(f)]
		if overSigned[strings.ToLower(f)] {
			n++
		}
		for range n {
			keys = append(keys, f)
		}
	}
	return keys
}

// Sign returns the DKIM-Signature fields (one per current key of domain, ed25519
// first, relaxed/relaxed) to prepend to msg. A domain without keys gets them now
// (`yubin domain add` makes them beforehand; domains listed only in the config
// get them at their first message).
func (ks *Keys) Sign(domain string, msg []byte) ([]byte, error) {
	if err := ks.Ensure(domain); err != nil {
		return nil, err
	}
	keys, err := ks.Current(domain)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	hk := headerKeys(msg)
	var out []byte
	for _, k := range keys {
		s, err := dkim.NewSigner(&dkim.SignOptions{
			Domain:                 k.Domain,
			Selector:               k.Selector,
			Signer:                 k.Signer,
			Hash:                   crypto.SHA256,
			HeaderCanonicalization: dkim.CanonicalizationRelaxed,
			BodyCanonicalization:   dkim.CanonicalizationRelaxed,
			HeaderKeys:             hk,
		})
		if err != nil {
			return nil, fmt.Errorf("dkim sign: %w", err)
		}
		if _, err := s.Write(msg); err != nil {
			s.Close()
			return nil, fmt.Errorf("dkim sign: %w", err)
		}
		if err := s.Close(); err != nil {
			return nil, fmt.Errorf("dkim sign: %w", err)
		}
		out = append(out, s.Signature()...)
	}
	return out, nil
}

// SignerDomain is the local domain that signs msg: the From address's domain, or
// the nearest parent of it that is ours (MAILER-DAEMON@mail.example.com is signed
// by example.com, which DMARC's relaxed alignment accepts); "" when none is.
func SignerDomain(msg []byte, ours func(string) bool) string {
	fi := fromDomains(msg)
	if len(fi.domains) != 1 {
		return ""
	}
	d := fi.domains[0]
	for d != "" {
		if ours(d) {
			return d
		}
		_, rest, ok := strings.Cut(d, ".")
		if !ok {
			return ""
		}
		d = rest
	}
	return ""
}
