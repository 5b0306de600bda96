package smtpd

import (
	"context"
	"net/netip"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/checks"
)

// verifySender runs the sender checks on a message arriving on the MX port and
// returns the message with any Authentication-Results claiming our hostname
// removed, the Authentication-Results field to prepend, and whether the message
// goes to Junk. A refusal or temporary failure is returned as the reply error.
//
// Loopback clients are local software on this host (as Postfix's default
// mynetworks trusts them): they skip the DNS checks, but forged results are still
// stripped and a From in our domains still needs our signature.
func (s *session) verifySender(ctx context.Context, msg []byte) ([]byte, []byte, bool, error) {
	v := s.srv.cfg.Checks
	if v == nil {
		return msg, nil, false, nil
	}
	msg = checks.StripOwnResults(msg, s.srv.cfg.Hostname)
	if auth.IsLoopback(s.remote) && !s.srv.checkLoopback.Load() {
		// Still nobody writes as one of our users without our signature: that
		// rule needs no DNS, and local software has submission for such mail.
		if d, forged := v.ForgedOwnFrom(ctx, msg); forged {
			s.srv.cfg.Metrics.SenderCheck(checks.Reject.String())
			s.log.Warn("smtp message refused: From in our domain not signed by us", "from", s.from, "domain", d)
			return msg, nil, false, policyRefused("From " + d + " is ours and not signed by us")
		}
		return msg, nil, false, nil
	}
	ip, err := netip.ParseAddr(s.ip)
	if err != nil {
		return msg, nil, false, temporary("client address %q: %w", s.ip, err)
	}
	in := checks.Input{IP: ip, HELO: s.smtp.Hostname(), MailFrom: s.from, Message: msg}
	if s.conn != nil {
		s.conn.mu.Lock()
		in.IPRev = s.conn.iprev
		s.conn.mu.Unlock()
		if in.IPRev == nil {
			r := v.IPRev(ctx, ip)
			in.IPRev = &r
			s.conn.update(func(ci *connInfo) { ci.iprev = &r })
		}
	}
	verdict := v.Check(ctx, in)
	s.srv.cfg.Metrics.SenderCheck(verdict.Action.String())
	switch verdict.Action {
	case checks.Reject:
		s.log.Warn("smtp message refused by sender checks", "from", s.from, "reason", verdict.Reason)
		return msg, nil, false, policyRefused(verdict.Reason)
	case checks.TempFail:
		s.log.Warn("smtp message deferred by sender checks", "from", s.from, "reason", verdict.Reason)
		return msg, nil, false, errChecksTemporary
	case checks.Junk:
		s.log.Info("smtp message filed as junk", "from", s.from, "reason", verdict.Reason)
		return msg, verdict.Header, true, nil
	}
	return msg, verdict.Header, false, nil
}

// sign returns the DKIM-Signature fields for a submitted message whose From is in
// one of our domains, or nil. A signing failure is logged and the message goes out
// unsigned rather than not at all.
func (s *session) sign(msg []byte) []byte {
	if s.srv.cfg.DKIM == nil {
		return nil
	}
	return s.signAs(checks.SignerDomain(msg, s.srv.store.IsLocalDomain), msg)
}

// signAs returns the DKIM-Signature fields of msg for domain, or nil when there is
// no domain or no signer. A signing failure is logged and the message goes out
// unsigned rather than not at all.
func (s *session) signAs(domain string, msg []byte) []byte {
	if s.srv.cfg.DKIM == nil || domain == "" {
		return nil
	}
	sig, err := s.srv.cfg.DKIM.Sign(domain, msg)
	if err != nil {
		s.log.Error("smtp dkim signing failed", "domain", domain, "err", err)
		return nil
	}
	return sig
}
