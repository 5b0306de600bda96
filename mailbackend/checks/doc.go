// Package checks owns the verification of mail arriving from other servers on port
// 25 and the DKIM signing of mail we send.
//
// Inbound, for each message it finds: iprev (RFC 8601 section 3: the client's PTR,
// forward-confirmed), SPF (RFC 7208, blitiri.com.ar/go/spf with its lookup limits),
// every DKIM signature (RFC 6376, RFC 8463 ed25519, github.com/emersion/go-msgauth),
// DMARC (RFC 7489: the From domain's policy, found at the organizational domain via
// golang.org/x/net/publicsuffix, with relaxed or strict alignment) and the optional
// DNSBL zones. It records them in one Authentication-Results field (RFC 8601) under
// our hostname and turns them into one Verdict: accept, Junk, reject (550 5.7.1) or
// try later (451 4.4.3), per the [checks] policy. Every lookup goes through
// mailbackend/dnsresolve under one deadline.
//
// Outbound, keys.go keeps each local domain's ed25519 and RSA-2048 keys under
// data_dir/dkim (0700 directories, 0600 files) and sign.go adds both signatures.
//
// It must never turn a temporary DNS failure into a pass, never let a message
// claim one of our domains in From without our signature, and never make a
// lookup without a deadline.
package checks
