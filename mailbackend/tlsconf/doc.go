// Package tlsconf builds the server TLS configuration every listener shares: the
// configured certificate and key, or, when none is configured, a self-signed
// certificate for the hostname generated once into data_dir and reused.
//
// It must never weaken TLS below 1.2 or accept a key file readable by others without
// saying so.
package tlsconf
