// Package session keeps webmail sessions on the server, in files under the data
// directory, so they survive a restart (gorilla/sessions FilesystemStore).
//
// The browser holds two HttpOnly, SameSite=Lax cookies (Secure over HTTPS): the signed
// session ID, and a random per-session key. The IMAP password is stored only encrypted
// with that key (AES-256-GCM), so neither the files on disk nor the cookies alone reveal
// it; a session loads only with the key cookie that opens its password. The package
// also owns idle expiry, the absolute lifetime (MaxLifetime), the per-session CSRF
// token, the sign-in form's pre-session token (a cookie it is checked against), and
// the signed device cookie that tells the login policy a browser signed in to an
// account before. Over HTTPS every cookie is Secure and named with the __Host- prefix.
//
// It must never log or store a password in plaintext, and never trust a session whose
// idle time has run out.
package session
