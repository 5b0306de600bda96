// Package admin owns the administrator's pages: local domains, users (add, reset
// the password, quota, disable), aliases, the outbound queue (list, retry, delete,
// a message's headers), each domain's DNS status as `yubin dns check` sees it, and
// the recent delivery failures; and, for whoever diagnoses the running server, the
// Go runtime's profiles (profiles.go). It is part of the mail server, not the
// webmail: it calls the store and the queue directly, and it is served on the
// metrics listener ([listen] metrics, loopback by default) under /admin/ and
// /debug/pprof/.
//
// Who may use it: whoever can open a connection from the server itself (an admin
// on the machine, or through an SSH tunnel). Every request must come from a
// loopback address and name a loopback host (so a web page cannot reach it through
// DNS rebinding), whatever address the listener is bound to; there is no password
// of its own. Every POST carries a CSRF token (double-submitted: a cookie and a
// form field) and passes Go's cross-origin protection (Sec-Fetch-Site / Origin);
// every page has a strict CSP without any script.
//
// It must never import the webmail (web/, handlers/, templates/); it shares the
// webmail's stylesheet through static/, its look and nothing else.
package admin
