// Package outbound is how the webmail connects to hosts that mail or a browser
// named: the image proxy's remote images and the push services of Web Push
// subscriptions. Those URLs come from outsiders, so every connection is refused
// unless it goes to a public address: no private, loopback, link-local, multicast or
// otherwise special-purpose address (IANA special-purpose registries, RFC 6890),
// checked on every address DNS returns for the name and again on the address each
// connection is actually made to (a net.Dialer Control function), so neither a
// redirect nor a DNS answer that changes between lookup and connect (DNS rebinding)
// reaches an inside host. Tests name the loopback servers that stand in for the
// outside world in Allow, address and port exactly.
//
// It owns the address policy and the dialer. It must never dial through an
// environment proxy (the check must see the real peer) or import the mail server.
package outbound
