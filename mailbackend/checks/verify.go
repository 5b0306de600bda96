package checks

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/internal/mailformat"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// Policy is the [checks] section of yubin.toml.
type Policy struct {
	DMARCReject bool     // DMARC p=reject failures refused with 550
	SPFFail     string   // "junk" | "reject" | "accept": SPF fail without aligned DKIM
	IPRevFail   string   // "count" | "junk" | "reject": no PTR or failed FCrDNS
	DNSBL       []string // zones to query; empty = none
}

// DefaultPolicy is what a small office wants: refuse what the sender's domain asks
// us to refuse, file the doubtful in Junk.
func DefaultPolicy() Policy {
	return Policy{DMARCReject: true, SPFFail: "junk", IPRevFail: "count"}
}

// Action is what to do with a message.
type Action int

const (
	Accept   Action = iota
	Junk            // deliver into the recipients' Junk mailbox
	Reject          // 550 5.7.1
	TempFail        // 451 4.4.3: a lookup failed for now; the sender retries
)

func (a Action) String() string {
	return [...]string{"accept", "junk", "reject", "tempfail"}[a]
}

// Verdict is the outcome for one message.
type Verdict struct {
	Action Action
	Reason string // short, for the reply text and the log
	// Header is the Authentication-Results field to prepend, CRLF-terminated.
	Header []byte
}

// Input is one message as it arrived on port 25.
type Input struct {
	IP       netip.Addr
	HELO     string
	MailFrom string // envelope sender; "" is the null sender
	Message  []byte
	// IPRev is the connection's iprev result when already known (it does not
	// change between the messages of one connection); nil = look it up.
	IPRev *IPRevResult
}

// lookupTimeout bounds all lookups for one message together.
const lookupTimeout = 20 * time.Second

// Verifier checks inbound mail.
type Verifier struct {
	authservID string
	res        *dnsresolve.Resolver
	policy     atomic.Pointer[Policy] // swapped by SetPolicy on a reload
	ours       func(domain string) bool
	keys       *Keys
}

// New returns a verifier that writes authservID (our hostname) into
// Authentication-Results, asks res, applies p, and knows our own domains (ours) and
// their DKIM keys (keys, nil if none), so our own signatures verify before their
// DNS records are published.
func New(authservID string, res *dnsresolve.Resolver, p Policy, ours func(string) bool, keys *Keys) *Verifier {
	v := &Verifier{authservID: authservID, res: res, ours: ours, keys: keys}
	v.SetPolicy(p)
	return v
}

// SetPolicy replaces the policy for the messages checked from now on (a reload of
// the [checks] section): it applies to the messages checked after it returns.
func (v *Verifier) SetPolicy(p Policy) {
	if p.SPFFail == "" {
		p.SPFFail = "junk"
	}
	if p.IPRevFail == "" {
		p.IPRevFail = "count"
	}
	v.policy.Store(&p)
}

// Check verifies in and decides.
func (v *Verifier) Check(ctx context.Context, in Input) Verdict {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()

	// The lookups do not depend on each other: run them at once, so a message
	// waits for the slowest chain (SPF's), not for the sum.
	var (
		wg       sync.WaitGroup
		listed   bool
		zone     string
		ipr      = in.IPRev
		spfRes   spfResult
		dkims    []dkimResult
		rec      foundRecord
		recErr   error
		from     = fromDomains(in.Message)
		oneFrom  = len(from.domains) == 1
		needIPRv = ipr == nil
	)
	wg.Go(func() { listed, zone = v.dnsblListed(ctx, in.IP) })
	if needIPRv {
		wg.Go(func() { r := v.IPRev(ctx, in.IP); ipr = &r })
	}
	wg.Go(func() { spfRes = v.spf(ctx, in.IP, in.HELO, in.MailFrom) })
	wg.Go(func() { dkims = v.dkim(ctx, in.Message) })
	if oneFrom {
		wg.Go(func() { rec, recErr = v.lookupDMARC(ctx, from.domains[0]) })
	}
	wg.Wait()
	if listed {
		return Verdict{Action: Reject, Reason: "client address listed by " + zone}
	}
	dm := v.dmarc(from, rec, recErr, spfRes, dkims)

	verdict := v.decide(ipr, spfRes, dkims, from, dm)
	verdict.Header = v.header(in.IP, ipr, spfRes, dkims, dm)
	return verdict
}

// ForgedOwnFrom reports a From address in one of our domains that no signature
// by one of our own keys covers, and names the domain. It makes no DNS lookup
// (our keys are local), so it also runs for the clients the full checks trust.
func (v *Verifier) ForgedOwnFrom(ctx context.Context, msg []byte) (string, bool) {
	if v.ours == nil {
		return "", false
	}
	from := fromDomains(msg)
	var results []dkimResult
	verified := false
	for _, d := range from.domains {
		if !v.ours(d) {
			continue
		}
		if !verified {
			results, verified = v.dkimWith(ctx, msg, false), true
		}
		signed := false
		for _, r := range results {
			signed = signed || r.value == authres.ResultPass && aligned(r.domain, d, false)
		}
		if !signed {
			return d, true
		}
	}
	return "", false
}

// decide applies the policy, most serious first.
func (v *Verifier) decide(ipr *IPRevResult, spfRes spfResult, dkims []dkimResult, from fromInfo, dm dmarcResult) Verdict {
	anyTemp := spfRes.value == authres.ResultTempError || dm.value == authres.ResultTempError
	for _, d := range dkims {
		if d.value == authres.ResultTempError {
			anyTemp = true
		}
	}
	alignedDKIM := dm.alignedDKIM
	if len(from.domains) > 1 {
		// RFC 7489 section 6.6.1: several author domains cannot be evaluated; a
		// receiver may reject, and nobody sends such mail in good faith.
		return Verdict{Action: Reject, Reason: "several From domains"}
	}
	// Nobody outside may write as one of our users: our domains are only ever
	// signed by us, so a From in them without our aligned signature is forged.
	if len(from.domains) == 1 && v.ours != nil && v.ours(from.domains[0]) && !alignedDKIM {
		if anyTemp && dm.value != authres.ResultFail {
			return Verdict{Action: TempFail, Reason: "temporary DNS failure"}
		}
		return Verdict{Action: Reject, Reason: "From " + from.domains[0] + " is ours and not signed by us"}
	}
	if anyTemp && !alignedDKIM {
		return Verdict{Action: TempFail, Reason: "temporary DNS failure"}
	}
	if dm.value == authres.ResultFail {
		switch {
		case dm.policy == "reject" && v.policy.Load().DMARCReject:
			return Verdict{Action: Reject, Reason: "DMARC policy of " + dm.domain + " rejects it"}
		case dm.policy == "reject" || dm.policy == "quarantine":
			return Verdict{Action: Junk, Reason: "DMARC policy of " + dm.domain + " quarantines it"}
		}
	}
	failures := 0
	if spfRes.value == authres.ResultFail && !alignedDKIM {
		switch v.policy.Load().SPFFail {
		case "reject":
			return Verdict{Action: Reject, Reason: "SPF fail for " + spfRes.domain}
		case "junk":
			return Verdict{Action: Junk, Reason: "SPF fail for " + spfRes.domain}
		}
		failures++
	}
	if spfRes.value == authres.ResultSoftFail && !alignedDKIM {
		failures++
	}
	if dm.value == authres.ResultFail {
		failures++ // p=none
	}
	for _, d := range dkims {
		if d.value == authres.ResultFail || d.value == authres.ResultPermError {
			failures++
			break
		}
	}
	if ipr.Value != authres.ResultPass {
		switch v.policy.Load().IPRevFail {
		case "reject":
			return Verdict{Action: Reject, Reason: "client address has no forward-confirmed reverse DNS"}
		case "junk":
			return Verdict{Action: Junk, Reason: "client address has no forward-confirmed reverse DNS"}
		}
		if failures > 0 {
			return Verdict{Action: Junk, Reason: "no forward-confirmed reverse DNS and another failure"}
		}
	}
	return Verdict{Action: Accept}
}

// header formats the Authentication-Results field (RFC 8601), folded one method a
// line so it stays readable and under 998 octets per line.
func (v *Verifier) header(ip netip.Addr, ipr *IPRevResult, spfRes spfResult, dkims []dkimResult, dm dmarcResult) []byte {
	var results []authres.Result
	results = append(results, &authres.IPRevResult{Value: ipr.Value, Reason: ipr.Reason, IP: ip.String()})
	results = append(results, &authres.SPFResult{Value: spfRes.value, Reason: spfRes.reason, From: spfRes.from, Helo: spfRes.helo})
	if len(dkims) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, d := range dkims {
		results = append(results, &authres.DKIMResult{Value: d.value, Reason: d.reason, Domain: d.domain, Identifier: d.identifier})
	}
	results = append(results, &authres.DMARCResult{Value: dm.value, Reason: dm.reason, From: dm.domain})
	f := authres.Format(sanitize(v.authservID), results)
	// authres puts every method after "; ": fold there.
	f = strings.ReplaceAll(f, "; ", ";\r\n\t")
	f = strings.ReplaceAll(f, " \r\n", "\r\n")
	return []byte("Authentication-Results: " + strings.TrimRight(f, " ") + "\r\n")
}

// sanitize keeps a value out of the header syntax: no controls, no CR/LF.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r == 0x7f || r == ';' {
			return -1
		}
		return r
	}, s)
}

// fromInfo is the author domains of a message (RFC 7489 section 3.1.1).
type fromInfo struct {
	domains []string // distinct, lower-case
}

// fromDomains reads every From field of msg's header. Display names are left
// undecoded: only the addresses matter.
func fromDomains(msg []byte) fromInfo {
	parser := mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	var fi fromInfo
	seen := map[string]bool{}
	mailformat.EachHeaderField(msg, func(name, value string) {
		if !strings.EqualFold(name, "from") {
			return
		}
		addrs, err := parser.ParseList(value)
		if err != nil {
			return
		}
		for _, a := range addrs {
			_, domain, ok := mailaddr.SplitAddress(a.Address)
			if !ok {
				continue
			}
			d := strings.TrimSuffix(domain, ".")
			if !seen[d] {
				seen[d] = true
				fi.domains = append(fi.domains, d)
			}
		}
	})
	return fi
}

// StripOwnResults removes every Authentication-Results field that claims our
// authserv-id (RFC 8601 section 5: a forged one would be believed by our own
// readers), and returns msg unchanged when there is none.
func StripOwnResults(msg []byte, authservID string) []byte {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(msg)
	} else {
		end += 2
	}
	if !bytes.Contains(bytes.ToLower(msg[:end]), []byte("authentication-results")) {
		return msg
	}
	out := make([]byte, 0, len(msg))
	i := 0
	for i < end {
		// One field: a line and its continuation lines.
		j := i
		for {
			k := bytes.Index(msg[j:end], []byte("\r\n"))
			if k < 0 {
				j = end
				break
			}
			j += k + 2
			if j >= end || (msg[j] != ' ' && msg[j] != '\t') {
				break
			}
		}
		field := msg[i:j]
		if !claimsUs(field, authservID) {
			out = append(out, field...)
		}
		i = j
	}
	return append(out, msg[end:]...)
}

// claimsUs reports whether field is an Authentication-Results field whose
// authserv-id is ours (compared case-insensitively, as a domain name).
func claimsUs(field []byte, authservID string) bool {
	name, value, ok := bytes.Cut(field, []byte(":"))
	if !ok || !strings.EqualFold(string(bytes.TrimSpace(name)), "authentication-results") {
		return false
	}
	v := strings.TrimSpace(strings.NewReplacer("\r\n", "", "\t", " ").Replace(string(value)))
	// The authserv-id is the first token, before an optional version and ';'.
	id, _, _ := strings.Cut(v, ";")
	if f := strings.Fields(id); len(f) > 0 {
		id = f[0]
	}
	// A comment or an unparsable value could hide our id: be strict and drop any
	// field that mentions it in its first element.
	return strings.EqualFold(strings.Trim(id, "()"), authservID) || strings.Contains(strings.ToLower(id), strings.ToLower(authservID))
}
