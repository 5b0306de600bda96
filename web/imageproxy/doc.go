// Package imageproxy fetches the remote images of a mail on the reader's behalf,
// so that a sender never learns the reader's IP address, browser, cookies or the
// page the image sits on, and re-serves them from the webmail's own origin.
//
// The sanitizer (web/mailview) rewrites every allowed http(s) image of a message
// — img src and CSS url() backgrounds — to URL(account, remote), which carries an
// HMAC of the account and the remote URL under a key kept in the webmail's data
// directory (LoadKey). The proxy serves only URLs it signed for the signed-in
// account, so it is not an open proxy: a URL is fetched only because it was in a
// message that account opened with images shown.
//
// Fetching is bounded and refuses the inside of the network: only http and https,
// and only public addresses, by web/outbound's policy (checked on the addresses DNS
// returns and again at connect, so neither a redirect nor DNS rebinding reaches an
// inside host). At most MaxRedirects
// redirects, MaxBytes of body, Timeout in all, and only raster image types, decided
// by sniffing the bytes, never by the remote Content-Type; the answer carries that
// sniffed type, nosniff and a sandbox CSP. No cookie, Referer or client header of
// the browser is forwarded.
//
// It owns the key file, the signing and the fetch. It must never fetch a URL it did
// not sign, forward anything of the browser's request, serve a type a browser could
// run (HTML, SVG, XML), or import the mail server.
package imageproxy
