// Package push tells a user's devices about new mail while no webmail tab is open:
// Web Push (RFC 8030) with encrypted payloads (RFC 8291, aes128gcm of RFC 8188) and
// VAPID (RFC 8292), through github.com/SherClockHolmes/webpush-go.
//
// The webmail stays an IMAP client: for each account with a subscription the
// Notifier keeps one connection of its own IDLE on INBOX (web/mailclient's
// Watcher), opened with the password of the user's latest visit (a subscription,
// or a tab's live-update stream). When mail arrives and none of the account's
// tabs has a live stream open (a tab that is open shows the mail itself), every
// device gets "New mail from <sender>" and the subject, or only "New mail" when
// the user chose so (settings PushContent).
//
// Across restarts. The password is also kept in settings.db, sealed by
// web/credseal (AES-256-GCM under the key file the outbox uses, 0600, not in the
// database), so that Resume starts every watch again when the webmail starts and
// devices hear of mail that arrives before the user's next visit. Each watch also
// keeps where it has got to in INBOX (settings.PushMark: UIDVALIDITY and the next
// UID), and goes on from there after a restart or a lost connection: mail that
// arrived meanwhile and is still unread is pushed once the watch is back. The trade-off:
// a copy of the data directory with its key file opens the passwords of accounts
// with devices, as it opens those with sends waiting; keeping the password in
// memory only would be safer at rest, but push would then be silent after every
// restart until each user came back, which is exactly when a phone needs it. So
// the sealed password is kept only while the account has a device: removing the
// last one (or the push service dropping it) deletes it in the same transaction,
// and a password the server refuses (changed, account removed) is deleted and the
// watch ends until the user's next visit, which stores the new one.
//
// The VAPID key pair is generated once into the webmail's data directory
// (vapid.json, 0600). Push services are reached only through web/outbound (public
// addresses only; a subscription endpoint is a URL a browser sent us), over HTTPS,
// with bounded time; a service answering 404 or 410 has dropped the subscription
// and it is forgotten (RFC 8030 section 7.3).
//
// It owns the VAPID key file, the watches and the sending. It must never write a
// password unsealed, keep one for an account without devices, send a message
// body, or import the mail server.
package push
