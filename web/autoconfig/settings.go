package autoconfig

import (
	"crypto/tls"
	"net"
	"strings"

	"github.com/yubinmail/yubin/internal/mailaddr"
)

// Settings is what a mail program needs to know about this server. cmd/yubin fills
// it from the configuration; the zero value answers nothing (no domain is local).
type Settings struct {
	// Hostname is the server's public name: the one its certificate is for and
	// mail programs connect to.
	Hostname string
	// Ports of the listeners as clients reach them; 0 means the listener is off
	// and is not offered.
	IMAPS, IMAP, POP3S, POP3, Submissions, Submission int
	// CardDAVPort is the HTTPS port where CardDAV (RFC 6352) is served under
	// CardDAVPath (e.g. "/dav/"; a principal is CardDAVPath+address+"/"); 0 or an
	// empty path: not offered (it takes passwords over HTTPS only).
	CardDAVPort int
	CardDAVPath string
	// IsLocalDomain reports whether the server keeps mail for a domain (given in
	// the form it was asked for: U-label or A-label, lower case). Nil: none.
	IsLocalDomain func(domain string) bool
	// SigningCertificate returns the server's certificate for Hostname (with its
	// key and chain), to sign the Apple profile with; nil: profiles are unsigned.
	SigningCertificate func() (*tls.Certificate, error)
}

// Socket types: Thunderbird's names for how a connection is secured.
const (
	implicitTLS = "SSL"      // TLS from the first byte (RFC 8314 section 3)
	startTLS    = "STARTTLS" // plain connection upgraded (RFC 3207, RFC 2595)
)

// service is one listener a mail program may use.
type service struct {
	Protocol string // "imap", "pop3", "smtp"
	Port     int
	Socket   string // implicitTLS or startTLS
}

// incoming lists the mailbox services in order of preference: IMAP before POP3 (it
// keeps mail on the server, where the webmail sees it too), and for each implicit
// TLS before STARTTLS, as RFC 8314 section 3 recommends.
func (s Settings) incoming() []service {
	var out []service
	add := func(proto string, port int, socket string) {
		if port > 0 {
			out = append(out, service{proto, port, socket})
		}
	}
	add("imap", s.IMAPS, implicitTLS)
	add("imap", s.IMAP, startTLS)
	add("pop3", s.POP3S, implicitTLS)
	add("pop3", s.POP3, startTLS)
	return out
}

// outgoing lists the submission services, implicit TLS first (RFC 8314 section 3.3).
func (s Settings) outgoing() []service {
	var out []service
	if s.Submissions > 0 {
		out = append(out, service{"smtp", s.Submissions, implicitTLS})
	}
	if s.Submission > 0 {
		out = append(out, service{"smtp", s.Submission, startTLS})
	}
	return out
}

// first is the preferred service of protocol proto in list, ok false when none is on.
func first(list []service, proto string) (service, bool) {
	for _, sv := range list {
		if sv.Protocol == proto {
			return sv, true
		}
	}
	return service{}, false
}

// localDomain folds name and reports it when the server keeps mail for it. Names
// that are not domain names (a Host header is whatever the client wrote) are not.
func (s Settings) localDomain(name string) (mailaddr.Domain, bool) {
	if s.IsLocalDomain == nil {
		return "", false
	}
	d, err := mailaddr.ParseDomain(strings.ToLower(strings.TrimSuffix(name, ".")))
	if err != nil {
		return "", false
	}
	for _, form := range d.Forms() {
		if s.IsLocalDomain(form) {
			return d, true
		}
	}
	return "", false
}

// localAddress parses addr and reports it when its domain is local.
func (s Settings) localAddress(addr string) (mailaddr.Address, bool) {
	a, err := mailaddr.ParseAddress(strings.TrimSpace(addr))
	if err != nil {
		return mailaddr.Address{}, false
	}
	if _, ok := s.localDomain(string(a.Domain)); !ok {
		return mailaddr.Address{}, false
	}
	return a, true
}

// requestHost is the host of a request's Host header without the port.
func requestHost(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// Service is one listener as people are shown it (the webmail's setup page).
type Service struct {
	Protocol    string // "IMAP", "POP3", "SMTP"
	Port        int
	ImplicitTLS bool // TLS from the first byte; else STARTTLS
}

// Services lists the listeners that are on: mailbox services first, then submission,
// each in order of preference.
func (s Settings) Services() []Service {
	var out []Service
	for _, sv := range append(s.incoming(), s.outgoing()...) {
		out = append(out, Service{Protocol: strings.ToUpper(sv.Protocol), Port: sv.Port, ImplicitTLS: sv.Socket == implicitTLS})
	}
	return out
}
