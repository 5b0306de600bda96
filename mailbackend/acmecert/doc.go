// Package acmecert owns the server's certificates from an ACME CA (RFC 8555, Let's
// Encrypt by default): it obtains one for each of the server's names in the
// background at start, keeps them in data_dir/acme (so a restart reuses them),
// renews each ahead of its expiry while the listeners run, and answers the CA's
// challenges — TLS-ALPN-01 (RFC 8737) in the HTTPS listener's handshakes, HTTP-01
// through the plain HTTP listener when that is on port 80. The ACME protocol itself
// is golang.org/x/crypto/acme/autocert's; this package adds what a mail server
// needs around it: a name for handshakes without SNI (most SMTP clients send none),
// and the self-signed (or configured) certificate whenever no ACME one is ready.
//
// It must never make a TLS handshake wait on the CA: a name whose certificate is
// not ready gets the fallback at once, and only the background loop talks to the
// CA. It must never ask the CA for a name outside the configured list.
package acmecert
