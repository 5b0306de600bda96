package smtpd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// replyError is an error that carries the SMTP reply it must be answered with: the
// basic code, the RFC 3463 enhanced code and the text the peer sees. Cause, when
// set, is the internal error behind it; it is logged, never sent.
type replyError struct {
	Code     int
	Enhanced smtp.EnhancedCode
	Message  string
	Cause    error
}

func (e *replyError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %d.%d.%d %s: %v", e.Code, e.Enhanced[0], e.Enhanced[1], e.Enhanced[2], e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %d.%d.%d %s", e.Code, e.Enhanced[0], e.Enhanced[1], e.Enhanced[2], e.Message)
}

func (e *replyError) Unwrap() error { return e.Cause }

// Temporary reports whether the client should retry later (4xx).
func (e *replyError) Temporary() bool { return e.Code/100 == 4 }

func newReply(code int, a, b, c int, msg string) *replyError {
	return &replyError{Code: code, Enhanced: smtp.EnhancedCode{a, b, c}, Message: msg}
}

// sieveRejected is the refusal of a message the recipient's Sieve script rejected
// (RFC 5429 section 2.1.1: 550 5.7.1 with the script's reason, on one line).
func sieveRejected(reason string) *replyError {
	reason = strings.Join(strings.Fields(reason), " ")
	printable := strings.IndexFunc(reason, func(r rune) bool { return r < ' ' || r > '~' }) < 0
	// Reply text is ASCII (RFC 5321 section 4.2) and the client shows it whole.
	if reason == "" || len(reason) > 200 || !printable {
		reason = "Message rejected by the recipient's filter"
	}
	return newReply(550, 5, 7, 1, reason)
}

// The replies yubin gives, each with the rule it enforces.
var (
	// RFC 5321 section 3.6.2, RFC 3463 5.7.1: no relaying for unauthenticated clients.
	errRelayDenied = newReply(554, 5, 7, 1, "Relay access denied")
	// Never accept-then-bounce: an unknown local user is refused at RCPT time.
	errNoSuchUser = newReply(550, 5, 1, 1, "No such user here")
	// After maxRefusedRcpts refusals (session.go): the connection is closed.
	errTooManyRefused = newReply(421, 4, 7, 0, "Too many invalid recipients, closing connection")
	// Our own domains are only sent from by authenticated users (RFC 6409).
	errOwnDomainSender = newReply(550, 5, 7, 1, "Sender address in a local domain: authenticate on the submission port (587 or 465)")
	// RFC 4954 section 6: 530 5.7.0 Authentication required.
	errAuthRequired = newReply(530, 5, 7, 0, "Authentication required")
	// RFC 6409 section 6.1: the envelope sender must belong to the authenticated user.
	errSenderNotOwned = newReply(553, 5, 7, 1, "Sender address not owned by the authenticated user")
	// The message's From header names someone the user may not send as (or cannot
	// be read): what recipients see as the author is what authentication vouches for.
	errHeaderFromNotOwned = newReply(553, 5, 7, 1, "From header address not owned by the authenticated user")
	// The same for the other fields mail programs show as the author (RFC 5322
	// sections 3.6.2 and 3.6.6): Sender, Resent-From, Resent-Sender.
	errHeaderSenderNotOwned       = newReply(553, 5, 7, 1, "Sender header address not owned by the authenticated user")
	errHeaderResentFromNotOwned   = newReply(553, 5, 7, 1, "Resent-From header address not owned by the authenticated user")
	errHeaderResentSenderNotOwned = newReply(553, 5, 7, 1, "Resent-Sender header address not owned by the authenticated user")
	// A display name that is itself another address ("bob@example.test" <alice@…>):
	// many mail programs show only the name, so it forges the author as well.
	errDisplayNameAddress = newReply(553, 5, 7, 1, "Display name looks like an address not owned by the authenticated user")
	errNullSender         = newReply(553, 5, 7, 1, "Null sender not allowed on submission")
	errBadAddress         = newReply(553, 5, 1, 3, "Bad address syntax")
	errBadSender          = newReply(553, 5, 1, 7, "Bad sender address syntax")
	errBadDomain          = newReply(553, 5, 1, 2, "Bad destination domain")
	// RFC 5321 section 2.3.8: lines end with CRLF; anything else is how smuggling
	// starts (SEC Consult, 2023), so the whole message is refused.
	errBareNewline = newReply(550, 5, 6, 0, "Message contains a bare CR or LF; lines must end with CRLF (RFC 5321 section 2.3.8)")
	// RFC 4954 section 6: 538 5.7.11 Encryption required for requested authentication mechanism.
	errEncryptionRequired = newReply(538, 5, 7, 11, "Encryption required for requested authentication mechanism: use STARTTLS")
	// RFC 4954 section 6: 535 5.7.8 Authentication credentials invalid.
	errAuthFailed = newReply(535, 5, 7, 8, "Authentication credentials invalid")
	// RFC 4954 section 6: 454 4.7.0 Temporary authentication failure.
	errAuthThrottled = newReply(454, 4, 7, 0, "Too many failed logins, try again later")
	errAuthBusy      = newReply(454, 4, 7, 0, "Server busy, try again in a moment")
	// The account directory (LDAP) did not answer: the password was not checked.
	errAuthUnavailable = newReply(454, 4, 7, 0, "Temporary authentication failure, try again later")
	errAuthzMismatch   = newReply(535, 5, 7, 8, "Authorization identity must match the authentication identity")
	errAuthMalformed   = newReply(501, 5, 5, 2, "Malformed authentication response")
	errAuthNotHere     = newReply(502, 5, 7, 0, "Authentication not offered on this port; use submission (587 or 465)")
	errAuthMechanism   = newReply(504, 5, 7, 4, "Unsupported authentication mechanism")
	// RFC 1870 section 6.3 / RFC 3463 5.3.4: message too big for the advertised SIZE.
	errTooBig = newReply(552, 5, 3, 4, "Message exceeds the maximum size")
	// RFC 5321 section 4.5.3.1.6: text lines are at most 1000 octets; go-smtp allows
	// twice that and then stops reading. Permanent, or the client retries forever.
	errLineTooLong = newReply(554, 5, 6, 0, "Line too long (RFC 5321 section 4.5.3.1.6)")
	// RFC 3463 4.2.2: a recipient's mailbox is over its storage quota (quota.go).
	// Temporary: the sender retries while the user makes room.
	errOverQuota = newReply(452, 4, 2, 2, "Mailbox full: the recipient is over quota, try again later")
	// [limits] inbound_per_ip_per_hour (inboundrate.go): temporary, so the sender
	// keeps the message and retries (RFC 5321 section 4.2.5); never a silent drop.
	errInboundRate = newReply(451, 4, 7, 0, "Too many messages from your address this hour, try again later")
	// RFC 3463 4.4.3: a DNS lookup for the sender checks (checks package) failed for
	// now; never taken as a pass, the client retries.
	errChecksTemporary = newReply(451, 4, 4, 3, "Temporary DNS failure while verifying the sender, try again later")
	// RFC 3463 4.4.3: the account directory (LDAP) could not be asked whether a
	// recipient exists; never taken as "unknown", the sender retries.
	errDirectoryUnavailable = newReply(451, 4, 4, 3, "Directory lookup failed, try again later")
	// Not a refusal: the same account submitted a message with this Message-ID to
	// these recipients within store.SubmissionWindow, and it went out then
	// (resubmit.go). 250, so the client stops resending; nothing is sent again.
	replyAlreadyAccepted = newReply(250, 2, 0, 0, fmt.Sprintf("Already accepted, not sent again: you submitted this Message-ID to the same recipients within the last %d hours",
		int(store.SubmissionWindow.Hours())))
	// RFC 3463 4.3.0: a temporary failure on our side; the client keeps the message.
	errTemporary = newReply(451, 4, 3, 0, "Temporary local problem, try again later")
)

// reply maps any error a session produces to the one SMTP reply the peer gets. It is
// the only place where internal errors become protocol text: store and auth errors
// get their meaning, everything unknown becomes a temporary failure (the client
// retries, nothing is lost), and no internal error text ever reaches the peer.
func reply(err error) *smtp.SMTPError {
	var re *replyError
	var se *smtp.SMTPError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re):
		return &smtp.SMTPError{Code: re.Code, EnhancedCode: re.Enhanced, Message: re.Message}
	case errors.As(err, &se):
		// go-smtp's own replies (data too large, transfer aborted) pass unchanged.
		return se
	case errors.Is(err, smtp.ErrTooLongLine):
		return reply(errLineTooLong)
	case errors.Is(err, auth.ErrThrottled):
		return reply(errAuthThrottled)
	case errors.Is(err, auth.ErrBusy):
		return reply(errAuthBusy)
	case errors.Is(err, auth.ErrUnavailable):
		return reply(errAuthUnavailable)
	case errors.Is(err, auth.ErrInvalidCredentials):
		return reply(errAuthFailed)
	case errors.Is(err, store.ErrUnknownRecipient):
		return reply(errNoSuchUser)
	case errors.Is(err, store.ErrOverQuota):
		// The store's own check, when a concurrent delivery took the room the
		// pre-checks saw: the same reply, the same all-or-nothing outcome.
		return reply(errOverQuota)
	case errors.Is(err, store.ErrNotLocal):
		return reply(errRelayDenied)
	case errors.Is(err, smtp.ErrDataReset):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 0}, Message: "Message transfer aborted"}
	default:
		// Store or queue failures, cancelled contexts (shutdown, a stuck disk):
		// temporary, so the client keeps the message and tries again.
		return reply(errTemporary)
	}
}

// policyRefused is the 550 5.7.1 for a message the sender checks refuse (DMARC
// p=reject, a forged From in our domains, SPF or iprev policy, a DNSBL listing);
// the reason names the rule, never an internal error.
func policyRefused(reason string) error {
	return newReply(550, 5, 7, 1, "Message refused by sender verification: "+reason)
}

// temporary wraps an internal failure as a 451 4.3.0 reply, keeping the cause for the log.
func temporary(format string, args ...any) error {
	return &replyError{Code: errTemporary.Code, Enhanced: errTemporary.Enhanced, Message: errTemporary.Message, Cause: fmt.Errorf(format, args...)}
}
