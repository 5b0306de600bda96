// Package loginguard owns the one failed-login policy of yubin, used by the mail
// server's protocols (mailbackend/auth) and by the webmail's sign-in form alike:
// punish the source of failures, not the account they are aimed at.
//
//   - A source (an IP address, an IPv6 /64, or a browser the webmail recognises)
//     guessing one account is refused for that account after PerSourceAccount
//     failures within Window.
//   - A source spraying guesses over many accounts is refused after PerSource
//     failures within Window, except for accounts it has signed in to before. The
//     failures of an account that then signs in from the source are forgiven (its
//     owner's typos), so one office behind one NAT is never locked out by typing.
//   - An account guessed from many sources is slowed down, never locked: once it has
//     AccountSlowAfter failures from sources it does not know, such sources may try
//     only once per a growing interval. A source that has signed in to the account
//     before (Known) is never slowed or refused by this rule, so the victim of an
//     attack from elsewhere still signs in.
//
// Every attempt reserves its failure before the password is checked (Reserve counts
// it, and Ticket.Succeeded takes it back), so parallel attempts cannot all pass a
// check that only a recorded failure would have closed.
//
// It must never do I/O, log, or see a password: callers log (the fail2ban line) and
// check credentials. Its memory is bounded whatever the number of sources.
package loginguard
