package smtpd

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/mailbackend/sieve"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// Sieve at delivery: each local recipient's active script decides where its
// copy goes (mailbox, flags, discard), and what else happens (redirect, an
// out-of-office reply, reject). Every copy a script asks for goes into the one
// store.Deliver call of the message, so 250 means every copy is stored where its
// script put it. A script that does not parse or fails while running keeps the
// message in INBOX (RFC 5228 section 2.10.6) and is logged; nothing is lost.
//
// Messages the sender checks filed as junk go to Junk without running scripts:
// filing rules and out-of-office replies are for mail we believe.
//
// redirect: the copy goes out through the queue with the account's address as
// envelope sender (RFC 5228 section 4.2 leaves the choice to us): SPF at the
// next hop then checks our domain, not the original sender's, and a bounce comes
// back to the user who set the rule. A null envelope sender stays null, so a
// redirected bounce cannot loop. The copy is DKIM-signed for the account's
// domain. Without a queue (no outbound configured) a redirect keeps the copy.
// Redirects and vacation replies to local addresses are stored directly
// (sendOut), without running the receiving account's script.
//
// reject/ereject: when every recipient of the message rejects it and there are
// no others, the whole DATA is refused with the script's reason (RFC 5429
// section 2.1: refusing in the SMTP dialogue is the preferred way). With other
// recipients in the same transaction the rejecting account keeps its copy
// instead, which loses nothing; a per-recipient bounce is not built.

// scriptCache holds parsed scripts by text, so a busy account's script is parsed
// once, not per message.
type scriptCache struct {
	mu sync.Mutex
	m  map[string]*sieve.Script
}

const maxCachedScripts = 1024

func (c *scriptCache) parse(text string) (*sieve.Script, error) {
	c.mu.Lock()
	sc, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return sc, nil
	}
	sc, err := sieve.Parse(text)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedScripts {
		c.m = map[string]*sieve.Script{}
	}
	c.m[text] = sc
	c.mu.Unlock()
	return sc, nil
}

// sieveFollowUp is what the scripts asked for beyond storing copies.
type sieveFollowUp struct {
	redirects []sieveRedirect
	vacations []sieveVacation
	rejected  int    // recipients whose script rejected the message
	reason    string // the last reject reason
}

type sieveRedirect struct {
	account, from, to string
}

type sieveVacation struct {
	accountID int64
	account   string
	v         *sieve.Vacation
	msg       *sieve.Message
}

// runScripts turns the local recipients into the copies their scripts ask for.
// full is the message as stored (Return-Path and trace fields included).
func (s *session) runScripts(ctx context.Context, full []byte, rcpts []store.Recipient) ([]store.Recipient, sieveFollowUp) {
	var fu sieveFollowUp
	var base *sieve.Message
	out := make([]store.Recipient, 0, len(rcpts))
	for _, rc := range rcpts {
		if rc.Mailbox == "Junk" {
			out = append(out, rc)
			continue
		}
		name, text, ok, err := s.srv.store.ActiveScript(ctx, rc.AccountID)
		if err != nil {
			s.log.Error("sieve: reading the active script failed, kept in INBOX", "account", s.localAddrs[rc.AccountID], "err", err)
		}
		if !ok || err != nil {
			out = append(out, rc)
			continue
		}
		addr := s.localAddrs[rc.AccountID]
		sc, err := s.srv.scripts.parse(text)
		if err != nil {
			s.log.Warn("sieve: script does not parse, kept in INBOX", "account", addr, "script", name, "err", err)
			out = append(out, rc)
			continue
		}
		if base == nil {
			base = sieve.NewMessage(full, s.from, addr)
		}
		msg := base.For(addr)
		res, err := sc.Run(msg)
		if err != nil {
			s.log.Warn("sieve: script failed, kept in INBOX", "account", addr, "script", name, "err", err)
			out = append(out, rc)
			continue
		}
		if res.Reject {
			fu.rejected++
			fu.reason = res.Reason
			if len(rcpts) > 1 || len(s.remoteRcpts) > 0 {
				s.log.Info("sieve: reject with other recipients in the transaction, kept in INBOX", "account", addr)
				out = append(out, rc)
			}
			continue
		}
		if res.Keep {
			out = append(out, store.Recipient{AccountID: rc.AccountID, Flags: imapFlags(res.KeepFlags)})
		}
		for _, f := range res.FileInto {
			if f.Create {
				// RFC 5490 section 3.2: make the mailbox first; if that fails
				// (a bad name, the mailbox cap) the store falls back to INBOX.
				if _, err := s.srv.store.CreateMailbox(ctx, rc.AccountID, f.Mailbox, ""); err != nil && !errors.Is(err, store.ErrExists) {
					s.log.Warn("sieve: fileinto :create failed, filed in INBOX", "account", addr, "mailbox", f.Mailbox, "err", err)
				}
			}
			out = append(out, store.Recipient{AccountID: rc.AccountID, Mailbox: f.Mailbox, Flags: imapFlags(f.Flags)})
		}
		loop := len(res.Redirect) > 0 && len(msg.Field("Received")) >= maxRedirectHops
		for _, to := range res.Redirect {
			if s.srv.queue == nil || loop {
				s.log.Warn("sieve: redirect not sent (no outbound queue, or a mail loop), kept in INBOX",
					"account", addr, "to", to, "loop", loop)
				if !res.Keep {
					out = append(out, store.Recipient{AccountID: rc.AccountID})
				}
				break
			}
			from := addr
			if s.from == "" {
				from = ""
			}
			fu.redirects = append(fu.redirects, sieveRedirect{account: addr, from: from, to: to})
		}
		if res.Vacation != nil && res.Vacation.From != "" && !ownAddress(res.Vacation.From, addr) {
			// A reply signed for our domain must not carry someone else's address:
			// :from may only name the account itself.
			s.log.Info("sieve: vacation :from is not the account's address, ignored", "account", addr, "from", res.Vacation.From)
			res.Vacation.From = ""
		}
		if res.Vacation != nil {
			if why := res.Vacation.Suppressed(msg, []string{addr}); why != "" {
				s.log.Info("sieve: no vacation reply", "account", addr, "sender", s.from, "reason", why)
			} else {
				fu.vacations = append(fu.vacations, sieveVacation{accountID: rc.AccountID, account: addr, v: res.Vacation, msg: msg})
			}
		}
		s.log.Info("sieve: script ran", "account", addr, "script", name, "keep", res.Keep,
			"fileinto", len(res.FileInto), "redirect", len(res.Redirect), "vacation", res.Vacation != nil)
	}
	return out, fu
}

// maxRedirectHops: a message that has passed this many servers (Received fields)
// is not redirected again, so two accounts redirecting to each other through
// other servers stop (RFC 5228 section 4.2 asks for loop protection; RFC 5321
// section 6.3 counts Received fields the same way).
const maxRedirectHops = 25

// ownAddress reports whether the address in from (possibly with a display
// name) is account.
func ownAddress(from, account string) bool {
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	}
	return strings.EqualFold(strings.TrimSpace(from), account)
}

// sendRedirects queues the redirected copies, each signed for the account's
// domain. relayed is the message without our Return-Path.
func (s *session) sendRedirects(ctx context.Context, fu sieveFollowUp, relayed []byte) error {
	for _, r := range fu.redirects {
		msg := relayed
		if sig := s.signFor(r.account, msg); sig != nil {
			msg = append(sig, msg...)
		}
		if err := s.sendOut(ctx, r.from, r.to, msg); err != nil {
			return err
		}
		s.log.Info("sieve: redirected", "account", r.account, "to", r.to)
	}
	return nil
}

// sendVacations queues the out-of-office replies that are due: once per sender
// per period, remembered in the store (RFC 5230 section 4.2). Failures are logged:
// the message itself is stored already.
func (s *session) sendVacations(ctx context.Context, fu sieveFollowUp) {
	if s.srv.queue == nil {
		return
	}
	for _, v := range fu.vacations {
		due, err := s.srv.store.VacationDue(ctx, v.accountID, v.v.Key(), s.from, v.v.Period())
		if err != nil {
			s.log.Error("sieve: vacation memory failed, no reply", "account", v.account, "err", err)
			continue
		}
		if !due {
			s.log.Info("sieve: vacation reply already sent in this period", "account", v.account, "sender", s.from)
			continue
		}
		reply := v.v.Reply(v.msg, s.srv.cfg.Hostname, time.Now())
		if sig := s.signFor(v.account, reply); sig != nil {
			reply = append(sig, reply...)
		}
		// RFC 5230 section 5.1 (after RFC 3834 section 3.3): replies go to the
		// envelope sender, from the null sender so that they cannot be answered
		// automatically in turn.
		if err := s.sendOut(ctx, "", s.from, reply); err != nil {
			s.log.Error("sieve: queueing the vacation reply failed", "account", v.account, "err", err)
			continue
		}
		s.log.Info("sieve: vacation reply queued", "account", v.account, "to", s.from)
	}
}

// sendOut sends what a script made (a redirected copy, a vacation reply) to one
// address: through the queue, or straight into the INBOX of the accounts a local
// address names. The local copy does not run their scripts again, so two
// accounts redirecting to each other cannot loop.
func (s *session) sendOut(ctx context.Context, from, to string, raw []byte) error {
	local, domain, ok := mailaddr.SplitAddress(to)
	if ok {
		if d, isLocal := s.localDomain(domain); isLocal {
			accts, err := s.srv.store.Resolve(ctx, local+"@"+d)
			if errors.Is(err, store.ErrUnknownRecipient) || errors.Is(err, store.ErrNotLocal) || (err == nil && len(accts) == 0) {
				s.log.Info("sieve: local address does not exist, nothing sent", "to", to)
				return nil
			}
			if err != nil {
				return err
			}
			rcpts := make([]store.Recipient, 0, len(accts))
			for _, a := range accts {
				rcpts = append(rcpts, store.Recipient{AccountID: a.ID})
			}
			_, err = s.srv.store.Deliver(ctx, append(returnPath(from), raw...), rcpts)
			return err
		}
	}
	return s.srv.queue.Enqueue(ctx, from, []string{to}, raw)
}

// signFor DKIM-signs msg for the domain of the local address account.
func (s *session) signFor(account string, msg []byte) []byte {
	_, domain, _ := mailaddr.SplitAddress(account)
	return s.signAs(domain, msg)
}

// imapFlags keeps the flags a script set that IMAP can show: system flags and
// keywords made of atom characters (RFC 9051 section 9, flag-keyword).
func imapFlags(flags []string) []string {
	var out []string
	for _, f := range flags {
		kw := strings.TrimPrefix(f, `\`)
		if kw == "" || len(f) > 64 || strings.ContainsAny(kw, "(){%*\"]\\") {
			continue
		}
		ok := true
		for _, c := range kw {
			ok = ok && c > ' ' && c < 0x7F
		}
		if ok {
			out = append(out, f)
		}
	}
	return out
}
