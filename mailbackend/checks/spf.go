package checks

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"

	"github.com/yubinmail/yubin/internal/mailaddr"
)

// spfResult is the SPF check of the envelope sender (or, for the null sender, of
// the HELO name: RFC 7208 section 2.4).
type spfResult struct {
	value  authres.ResultValue
	reason string
	domain string // the domain checked, for DMARC alignment
	from   string // smtp.mailfrom
	helo   string // smtp.helo
}

func (v *Verifier) spf(ctx context.Context, ip netip.Addr, helo, mailFrom string) spfResult {
	sender := mailFrom
	r := spfResult{from: mailFrom, helo: helo}
	if sender == "" {
		// RFC 7208 section 2.4: the null sender is checked as postmaster@HELO.
		sender = "postmaster@" + helo
		r.from = ""
	}
	_, domain, _ := mailaddr.SplitAddress(sender)
	r.domain = strings.TrimSuffix(domain, ".")
	if r.domain == "" || strings.HasPrefix(r.domain, "[") {
		r.value, r.reason = authres.ResultNone, "no domain to check"
		return r
	}
	res, err := spf.CheckHostWithSender(ip.Unmap().AsSlice(), helo, sender,
		spf.WithResolver(v.res), spf.WithContext(ctx))
	switch res {
	case spf.Pass:
		r.value = authres.ResultPass
	case spf.Fail:
		r.value = authres.ResultFail
	case spf.SoftFail:
		r.value = authres.ResultSoftFail
	case spf.Neutral:
		r.value = authres.ResultNeutral
	case spf.TempError:
		r.value = authres.ResultTempError
	case spf.PermError:
		r.value = authres.ResultPermError
	default:
		r.value = authres.ResultNone
	}
	if err != nil && !errors.Is(err, spf.ErrMatchedAll) && r.value != authres.ResultPass {
		r.reason = err.Error()
	}
	return r
}
