package checks

import (
	"bytes"
	"context"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// maxSignatures bounds the signatures we verify per message: each costs a lookup
// and a hash of the body.
const maxSignatures = 5

// dkimResult is one signature's outcome.
type dkimResult struct {
	value      authres.ResultValue
	reason     string
	domain     string // d=
	identifier string // i=
}

// dkim verifies every signature of msg (up to maxSignatures). Keys of our own
// domains come from Keys, others from DNS.
func (v *Verifier) dkim(ctx context.Context, msg []byte) []dkimResult {
	return v.dkimWith(ctx, msg, true)
}

// dkimWith is dkim; without useDNS only signatures by our own keys can pass.
func (v *Verifier) dkimWith(ctx context.Context, msg []byte, useDNS bool) []dkimResult {
	if !hasSignature(msg) {
		return nil
	}
	opts := &dkim.VerifyOptions{
		MaxVerifications: maxSignatures,
		LookupTXT: func(name string) ([]string, error) {
			// Keys of our own domains come from our key store, never from DNS:
			// our signatures verify before their records are published, and a
			// key under our name that we do not hold signs nothing as ours.
			sel, domain, ok := strings.Cut(strings.ToLower(strings.TrimSuffix(name, ".")), "._domainkey.")
			if ok && v.ours != nil && v.ours(domain) {
				if txt, found := v.keys.record(domain, sel); found {
					return []string{txt}, nil
				}
				return nil, &net.DNSError{Err: "not one of our keys", Name: name, IsNotFound: true}
			}
			if !useDNS {
				return nil, &net.DNSError{Err: "not looked up", Name: name, IsNotFound: true}
			}
			return v.res.LookupTXT(ctx, name)
		},
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(msg), opts)
	if err != nil && len(verifs) == 0 {
		return []dkimResult{{value: authres.ResultPermError, reason: "unreadable message header"}}
	}
	out := make([]dkimResult, 0, len(verifs))
	for _, vf := range verifs {
		r := dkimResult{value: authres.ResultPass, domain: strings.ToLower(vf.Domain), identifier: vf.Identifier}
		switch {
		case vf.Err == nil:
		case dkim.IsTempFail(vf.Err):
			r.value, r.reason = authres.ResultTempError, vf.Err.Error()
		case dkim.IsPermFail(vf.Err):
			r.value, r.reason = authres.ResultPermError, vf.Err.Error()
		default:
			r.value, r.reason = authres.ResultFail, vf.Err.Error()
		}
		out = append(out, r)
	}
	return out
}

// hasSignature is a quick scan for a DKIM-Signature field in the header.
func hasSignature(msg []byte) bool {
	end := bytes.Index(msg, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(msg)
	}
	h := msg[:end]
	for {
		i := bytes.IndexByte(h, ':')
		if i < 0 {
			return false
		}
		// Field names start a line.
		start := bytes.LastIndexByte(h[:i], '\n') + 1
		if strings.EqualFold(string(bytes.TrimSpace(h[start:i])), "dkim-signature") {
			return true
		}
		nl := bytes.IndexByte(h[i:], '\n')
		if nl < 0 {
			return false
		}
		h = h[i+nl+1:]
	}
}
