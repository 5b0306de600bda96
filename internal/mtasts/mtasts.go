// Package mtasts owns the text of our own MTA-STS policy (RFC 8461 section 3.2) and
// its id, shared by the webmail listener that serves it and `yubin dns records`
// that publishes its TXT record, so both always agree.
//
// It must never do I/O: it only formats.
package mtasts

import (
	"crypto/sha256"
	"encoding/hex"
)

// Path is where the policy is served on the mta-sts.DOMAIN host (section 3.3).
const Path = "/.well-known/mta-sts.txt"

// Policy is the policy for a domain whose only MX is mxHost: enforced, cached by
// senders for a week.
func Policy(mxHost string) string {
	return "version: STSv1\r\nmode: enforce\r\nmx: " + mxHost + "\r\nmax_age: 604800\r\n"
}

// ID names a policy text in the TXT record (section 3.1: 1 to 32 alphanumerics);
// it changes whenever the policy does, which tells senders to fetch it again.
func ID(policy string) string {
	sum := sha256.Sum256([]byte(policy))
	return hex.EncodeToString(sum[:8])
}
