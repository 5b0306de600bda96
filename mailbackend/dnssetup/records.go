package dnssetup

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/internal/mtasts"
	"github.com/yubinmail/yubin/mailbackend/checks"
)

// Setup is what the records are made from.
type Setup struct {
	Domain   string
	Hostname string        // the MX host and the name the server says in EHLO
	Keys     []*checks.Key // every DKIM key of the domain: all stay published until deleted
	// Smarthost is [delivery] smarthost ("host:port"), whose address SPF must allow
	// when all outbound mail leaves through it.
	Smarthost string
	// Addrs are the server's public addresses (the hostname's A/AAAA as DNS has
	// them now); none means the A/AAAA and PTR records are printed as hints.
	Addrs []netip.Addr
	// Ports of the client listeners; 0 means the service is off and its SRV record
	// says so (RFC 6186 section 4: target ".").
	Submission, Submissions, IMAP, IMAPS, POP3, POP3S int
}

// Record is one resource record to publish.
type Record struct {
	Name, Type, Value string // Value: the RDATA in zone-file syntax
	Why               string // printed as a comment above it
	// Hint: the value is an example the admin fills in, so it is printed as a
	// comment and `dns check` only asks that some record of the type exists.
	Hint bool
	// Later: a record to publish only once something outside yubin is ready (MTA-STS
	// needs verifiable certificates): printed as a comment, and `dns check` reports
	// it without counting it missing.
	Later bool
}

// TTL of every printed record: an hour, short enough to fix mistakes on the day
// of setup.
const TTL = 3600

// String is the record in zone-file syntax (a comment line for a hint).
func (r Record) String() string {
	s := fmt.Sprintf("%s %d IN %s %s", r.Name, TTL, r.Type, r.Value)
	if r.Hint || r.Later {
		return "; " + s
	}
	return s
}

// QuoteTXT puts text into one or more quoted strings of at most 255 octets (RFC
// 1035 section 3.3.14), as a zone file needs for a 2048-bit RSA key.
func QuoteTXT(text string) string {
	var parts []string
	for len(text) > 255 {
		parts = append(parts, strconv.Quote(text[:255]))
		text = text[255:]
	}
	parts = append(parts, strconv.Quote(text))
	return strings.Join(parts, " ")
}

// Records lists what s.Domain must publish.
func Records(s Setup) []Record {
	d := dns.Fqdn(strings.ToLower(s.Domain))
	host := dns.Fqdn(strings.ToLower(s.Hostname))
	postmaster := "mailto:postmaster@" + strings.TrimSuffix(d, ".")
	var rs []Record
	add := func(r Record) { rs = append(rs, r) }

	add(Record{Name: d, Type: "MX", Value: "10 " + host, Why: "mail for " + s.Domain + " goes to this server"})
	if len(s.Addrs) == 0 {
		add(Record{Name: host, Type: "A", Value: "192.0.2.1", Hint: true, Why: "the server's public IPv4 address (and AAAA for IPv6): put yours"})
	}
	for _, a := range s.Addrs {
		t := "A"
		if a.Is6() && !a.Is4In6() {
			t = "AAAA"
		}
		add(Record{Name: host, Type: t, Value: a.Unmap().String(), Why: "the server's address"})
	}

	spf := "v=spf1 mx -all"
	if s.Smarthost != "" {
		h, _, err := net.SplitHostPort(s.Smarthost)
		if err != nil {
			h = s.Smarthost
		}
		spf = "v=spf1 mx a:" + h + " -all"
	}
	add(Record{Name: d, Type: "TXT", Value: QuoteTXT(spf), Why: "SPF (RFC 7208): only this server may send as " + s.Domain})
	add(Record{Name: host, Type: "TXT", Value: QuoteTXT("v=spf1 a -all"), Why: "SPF for the server's own name, checked for bounces (null sender)"})
	for _, k := range s.Keys {
		add(Record{Name: k.Selector + "._domainkey." + d, Type: "TXT", Value: QuoteTXT(k.TXT()),
			Why: "DKIM (RFC 6376" + map[string]string{"ed25519": ", RFC 8463"}[k.Algorithm()] + ") " + k.Algorithm() + " key"})
	}
	add(Record{Name: "_dmarc." + d, Type: "TXT", Value: QuoteTXT("v=DMARC1; p=reject; rua=" + postmaster),
		Why: "DMARC (RFC 7489): refuse mail that claims " + s.Domain + " without SPF or DKIM; reports to postmaster"})

	// The webmail listener serves the policy (internal/mtasts) on any host name;
	// it is only safe to announce once senders can verify our MX certificate.
	policy := mtasts.Policy(strings.TrimSuffix(host, "."))
	add(Record{Name: "_mta-sts." + d, Type: "TXT", Value: QuoteTXT("v=STSv1; id=" + mtasts.ID(policy)), Later: true,
		Why: "MTA-STS (RFC 8461): publish once " + strings.TrimSuffix(host, ".") + " has a certificate that verifies and https://mta-sts." +
			strings.TrimSuffix(d, ".") + mtasts.Path + " reaches the webmail listener (through your HTTPS front)"})
	add(Record{Name: "mta-sts." + d, Type: "CNAME", Value: host, Later: true,
		Why: "the MTA-STS policy host, for the same day (needs a certificate for this name too)"})
	add(Record{Name: "_smtp._tls." + d, Type: "TXT", Value: QuoteTXT("v=TLSRPTv1; rua=" + postmaster),
		Why: "TLS-RPT (RFC 8460): senders report TLS failures to postmaster"})

	srv := func(service string, port int, why string) {
		target := host
		if port == 0 {
			target, why = ".", why+" (off on this server)"
		}
		add(Record{Name: "_" + service + "._tcp." + d, Type: "SRV", Value: fmt.Sprintf("0 1 %d %s", port, target), Why: why})
	}
	// RFC 6186 names the STARTTLS services, RFC 8314 section 5.1 adds the
	// implicit-TLS ones, which mail programs should prefer.
	srv("submissions", s.Submissions, "mail programs find submission over TLS (RFC 8314)")
	srv("submission", s.Submission, "mail programs find submission with STARTTLS (RFC 6186)")
	srv("imaps", s.IMAPS, "mail programs find IMAP over TLS (RFC 8314)")
	srv("imap", s.IMAP, "mail programs find IMAP with STARTTLS (RFC 6186)")
	srv("pop3s", s.POP3S, "mail programs find POP3 over TLS (RFC 8314)")
	srv("pop3", s.POP3, "mail programs find POP3 with STLS (RFC 6186)")
	add(Record{Name: "autoconfig." + d, Type: "CNAME", Value: host, Why: "Thunderbird's autoconfig name"})
	add(Record{Name: "autodiscover." + d, Type: "CNAME", Value: host, Why: "Outlook's autodiscover name"})
	// Outlook's last resort before asking the user ([MS-OXDISCO] section 3.1.5.2):
	// an SRV naming the HTTPS host that answers POST /autodiscover/autodiscover.xml.
	add(Record{Name: "_autodiscover._tcp." + d, Type: "SRV", Value: "0 0 443 " + host,
		Why: "Outlook finds autodiscover on the HTTPS front (port 443) that passes /autodiscover/ to the webmail listener"})

	if len(s.Addrs) == 0 {
		add(Record{Name: "1.2.0.192.in-addr.arpa.", Type: "PTR", Value: host, Hint: true,
			Why: "reverse DNS: ask your provider to set the PTR of the server's address to " + strings.TrimSuffix(host, ".")})
	}
	for _, a := range s.Addrs {
		rev, _ := dns.ReverseAddr(a.Unmap().String())
		add(Record{Name: rev, Type: "PTR", Value: host,
			Why: "reverse DNS: set by whoever owns the address (your provider), not in your zone"})
	}
	return rs
}

// Zone prints rs in zone-file syntax, each record under its comment.
func Zone(domain string, rs []Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "; DNS records for %s, in zone-file syntax.\n", domain)
	for _, r := range rs {
		fmt.Fprintf(&b, "\n; %s\n%s\n", r.Why, r)
	}
	return b.String()
}
