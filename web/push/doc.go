// Package push tells a user's devices about new mail while no webmail tab is open:
// Web Push (RFC 8030) with encrypted payloads (RFC 8291, aes128gcm of RFC 8188) and
// VAPID (RFC 8292), through github.com/SherClockHolmes/webpush-go.
//
// The webmail stays an IMAP client: for each account with a subscription the
// Notifier keeps one connection of its own IDLE on INBOX (web/mailclient's
// Watcher), opened with the password of the user's latest visit (a subscription,
// or a tab's live-update stream), which it holds in memory only — never on disk —
// until the watch ends: the last device removed, the password refused, or the
// webmail stopped. After a restart push resumes at the user's next visit. When
// mail arrives and none of the account's tabs has a live stream open (a tab that
// is open shows the mail itself), every device gets "New mail from <sender>" and
// the subject, or only "New mail" when the user chose so (settings PushContent).
//
// The VAPID key pair is generated once into the webmail's data directory
// (vapid.json, 0600). Push services are reached only through web/outbound (public
// addresses only; a subscription endpoint is a URL a browser sent us), over HTTPS,
// with bounded time; a service answering 404 or 410 has dropped the subscription
// and it is forgotten (RFC 8030 section 7.3).
//
// It owns the key file, the watches and the sending. It must never write a
// password anywhere, send a message body, or import the mail server.
package push
