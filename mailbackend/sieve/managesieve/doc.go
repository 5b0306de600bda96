// Package managesieve is yubin's ManageSieve server (RFC 5804): mail programs
// (Thunderbird's sieve add-on, sieve-connect, the webmail) list, upload, check,
// activate and delete a user's Sieve scripts over it. Scripts live in the store;
// mailbackend/sieve checks them, and PUTSCRIPT and CHECKSCRIPT answer a broken
// script with the line and column of its first error.
//
// Files: server.go (listener, connection limits, the command loop, STARTTLS,
// AUTHENTICATE PLAIN), reader.go (the client's strings: quoted and literals),
// commands.go (the script commands).
//
// It owns the protocol only. It must never accept a password on a plaintext
// connection from outside loopback (STARTTLS first, RFC 5804 section 2.1), never
// store a script that does not parse, never read more than one script's worth of
// literal, and never answer with an internal error text.
package managesieve
