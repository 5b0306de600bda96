package checks

import (
	"context"
	"errors"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// dmarcResult is the DMARC evaluation of the From domain (RFC 7489 section 6.6).
type dmarcResult struct {
	value       authres.ResultValue
	reason      string
	domain      string // the From domain
	policy      string // the policy that applies: "none", "quarantine", "reject" ("" when no record)
	alignedDKIM bool   // a DKIM pass aligned with From (also true without a DMARC record)
}

// OrgDomain is the organizational domain of d (RFC 7489 section 3.2): the public
// suffix plus one label.
func OrgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

func aligned(a, b string, strict bool) bool {
	if strict {
		return strings.EqualFold(a, b)
	}
	return OrgDomain(a) == OrgDomain(b)
}

// dmarc evaluates the From domain's record (rec, or the error looking it up)
// against the SPF and DKIM results.
func (v *Verifier) dmarc(from fromInfo, rec foundRecord, err error, spfRes spfResult, dkims []dkimResult) dmarcResult {
	if len(from.domains) != 1 {
		return dmarcResult{value: authres.ResultNone, reason: "no single From domain"}
	}
	dom := from.domains[0]
	r := dmarcResult{domain: dom}
	strictDKIM, strictSPF := false, false
	if err == nil {
		strictDKIM = rec.DKIMAlignment == dmarc.AlignmentStrict
		strictSPF = rec.SPFAlignment == dmarc.AlignmentStrict
	}
	for _, d := range dkims {
		if d.value == authres.ResultPass && aligned(d.domain, dom, strictDKIM) {
			r.alignedDKIM = true
		}
	}
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		r.value = authres.ResultNone
		return r
	case err != nil && (dmarc.IsTempFail(err) || dnsresolve.IsTemporary(err)):
		r.value, r.reason = authres.ResultTempError, "DMARC record lookup failed"
		return r
	case err != nil:
		r.value, r.reason = authres.ResultPermError, "unreadable DMARC record"
		return r
	}
	r.policy = string(rec.Policy)
	if rec.SubdomainPolicy != "" && rec.domain != dom {
		r.policy = string(rec.SubdomainPolicy)
	}
	spfAligned := spfRes.value == authres.ResultPass && aligned(spfRes.domain, dom, strictSPF)
	if r.alignedDKIM || spfAligned {
		r.value = authres.ResultPass
	} else {
		r.value, r.reason = authres.ResultFail, "neither SPF nor DKIM aligned with From"
	}
	return r
}

// foundRecord is a DMARC record with the domain it was found at.
type foundRecord struct {
	*dmarc.Record
	domain string
}

// lookupDMARC finds the record at the From domain or, failing that, at its
// organizational domain (RFC 7489 section 6.6.3).
func (v *Verifier) lookupDMARC(ctx context.Context, dom string) (foundRecord, error) {
	opts := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) {
		return v.res.LookupTXT(ctx, name)
	}}
	rec, err := dmarc.LookupWithOptions(dom, opts)
	if err == nil {
		return foundRecord{rec, dom}, nil
	}
	org := OrgDomain(dom)
	if !errors.Is(err, dmarc.ErrNoPolicy) || org == dom {
		return foundRecord{}, err
	}
	rec, err = dmarc.LookupWithOptions(org, opts)
	if err != nil {
		return foundRecord{}, err
	}
	return foundRecord{rec, org}, nil
}
