// Package web is the webmail's HTTP server: the chi router, the middleware every
// request passes (security headers and CSP, cross-origin protection and per-session
// CSRF tokens, sessions and idle expiry, gzip, panic recovery, request bodies bounded),
// and static assets, and — only when Config.TrustProxy is set — the client address
// and scheme from a loopback reverse proxy's X-Forwarded-For/-Proto. Screens live in
// handlers; mail access in web/mailclient.
//
// It must never import mailbackend: the webmail reaches mail only over IMAP and SMTP
// submission, so it runs against any server (yubin webmail) as well as the bundled one.
package web
