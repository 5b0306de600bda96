// Package static embeds the webmail's CSS, JavaScript and icons (embed.FS) and serves
// them with content-hash URLs, so browsers may cache them for a year: a changed file
// gets a new URL.
//
// JavaScript here only enhances pages that work without it; it must never be needed to
// read or send mail, and it must run under the app's CSP (no eval, no inline code).
package static
