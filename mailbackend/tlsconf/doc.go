// Package tlsconf builds the server TLS configuration every listener shares: the
// configured certificate and key, or, when none is configured, a self-signed
// certificate for the hostname generated once into data_dir and reused. The
// Certificate it hands the listeners is read again from disk on Reload (SIGHUP) and
// swapped atomically: new handshakes present the new one, and a pair that fails to
// load leaves the one in use in place.
//
// It must never weaken TLS below 1.2 or accept a key file readable by others without
// saying so.
package tlsconf
