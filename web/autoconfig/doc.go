// Package autoconfig answers the questions mail programs ask to set themselves up
// from an address alone: Thunderbird's autoconfig file (config-v1.1.xml, fetched from
// autoconfig.DOMAIN or DOMAIN/.well-known), Outlook's autodiscover (the POX request
// of the 2006 schema and the JSON v2 endpoint that points at it), and an Apple
// configuration profile (.mobileconfig) for a signed-in user.
//
// It owns those documents, built with encoding/xml and encoding/json from Settings
// (the server's public name and the ports of its listeners), the HTTP handlers that
// serve them, and the bounds on what a request may make it read.
//
// It must never import mailbackend: the webmail gets the settings and the
// local-domain test from cmd/yubin through web.Config. It must never answer for a
// domain that is not local (a stranger's domain gets 404), nor reveal whether an
// address has an account: the answer depends on the domain only.
package autoconfig
