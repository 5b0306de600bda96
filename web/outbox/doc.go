// Package outbox sends the messages that wait for their time: the undo-send delay
// (0–30 s after Send) and "send later" dates. It is the webmail's only work that
// runs without a browser request, and it stays a protocol client like the rest:
// the message waits in the user's Drafts folder (IMAP), its row in the webmail's
// own settings.db (web/settings, outbox.go), and it goes out over SMTP submission
// with the user's credentials, which this package keeps sealed (web/credseal:
// AES-256-GCM under a key file in the data directory, the account as associated
// data) only while the account has rows waiting.
//
// Exactly once, across restarts. A row moves queued → sending → submitted → gone:
//
//  1. A due queued row is claimed by a compare-and-set to sending, committed
//     before anything is sent: an undo (queued → deleted) and the claim cannot
//     both win.
//  2. The message is fetched from Drafts by UID, its Message-ID checked against
//     the row's, Bcc dropped and Date set (compose.ForSending), and submitted.
//  3. On 250 the row becomes submitted at once (one local commit), then the copy
//     is filed in Sent, the original of a reply gets \Answered, the draft is
//     expunged and the row deleted.
//
// A restart finds rows where the last run stopped. A submitted row only needs
// step 3 (its Sent copy is looked up by Message-ID before one is filed). A row
// found sending may or may not have gone out: it is looked up in Sent by
// Message-ID, and resubmitted only when it is not there. The one window this
// cannot close by itself is a stop between the server's 250 and the commit of
// step 3's first write; SMTP offers nothing to ask a server whether it already
// has a message. The bundled server closes it: its submission ports answer a
// message the same account already submitted (same Message-ID, same recipients,
// within 24 hours) with 250 and send nothing more (mailbackend/smtpd,
// resubmit.go), so the resubmission only finishes the row. Against a server
// without such a memory the window stays.
//
// It must never send a row that is not sending in the database, never hold a
// password unsealed beyond one submission, and never import the mail server.
package outbox
