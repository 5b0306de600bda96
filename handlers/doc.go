// Package handlers has one file per screen or action group of the webmail: login,
// mailbox list, search, actions and their undo (organize.go), message view (with the
// sandboxed HTML frame and attachment downloads), compose/send/drafts, folder
// management, and the live-update stream (events.go: server-sent events, one per tab,
// at most MaxStreamsPerSession per sign-in and MaxStreamsPerUser per account, each on
// its own short-lived IMAP IDLE connection; every folder's counts read once per
// account for all its tabs, foldercounts.go). words.go is the one place where a
// refusal by the mail server becomes a sentence for the user.
//
// Handlers are thin: they parse the request, call web/mailclient (IMAP and SMTP only)
// or web/compose, and render one templ component. They keep no state: the sessions,
// the IMAP pool, the live streams and the login guard are built by package web and
// handed over in one Deps. They never import mailbackend, never build HTML by
// hand, never serve mail content from the app's origin without a sandbox CSP, and never
// redirect to anything but a local path.
package handlers
