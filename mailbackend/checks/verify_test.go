package checks

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestAlignedSenderPasses(t *testing.T) {
	for _, sel := range []string{"ed", "rs"} { // RFC 8463 ed25519 and RFC 6376 RSA
		t.Run(sel, func(t *testing.T) {
			e := newEnv(t)
			v := e.check("carol@sender.test", e.sign(message("carol@sender.test"), "sender.test", sel))
			if v.Action != Accept {
				t.Fatalf("verdict %v (%s), want accept; header %s", v.Action, v.Reason, v.Header)
			}
			for method, want := range map[string]string{"iprev": "pass", "spf": "pass", "dkim": "pass", "dmarc": "pass"} {
				if got := result(t, v.Header, method); got != want {
					t.Errorf("%s=%q, want %q in %s", method, got, want, v.Header)
				}
			}
			if !strings.Contains(string(v.Header), "header.d=sender.test") {
				t.Errorf("header does not name the signing domain: %s", v.Header)
			}
		})
	}
}

func TestDKIMFailsWhenBodyChanged(t *testing.T) {
	for _, sel := range []string{"ed", "rs"} {
		t.Run(sel, func(t *testing.T) {
			e := newEnv(t)
			msg := e.sign(message("carol@sender.test"), "sender.test", sel)
			msg = bytes.Replace(msg, []byte("Hello Bob."), []byte("Pay Mallory."), 1)
			v := e.check("carol@sender.test", msg)
			if got := result(t, v.Header, "dkim"); got != "fail" {
				t.Fatalf("dkim=%q, want fail: %s", got, v.Header)
			}
			// SPF still passes aligned, so DMARC passes and the message is delivered.
			if v.Action != Accept || result(t, v.Header, "dmarc") != "pass" {
				t.Fatalf("verdict %v, header %s; want accept with dmarc=pass", v.Action, v.Header)
			}
		})
	}
}

func TestSPFResults(t *testing.T) {
	cases := []struct {
		name, record string
		servfail     bool
		want         string
		action       Action
	}{
		{"pass", "v=spf1 mx -all", false, "pass", Accept},
		{"fail", "v=spf1 ip4:192.0.2.1 -all", false, "fail", Junk},
		{"softfail", "v=spf1 ip4:192.0.2.1 ~all", false, "softfail", Accept},
		{"neutral", "v=spf1 ?all", false, "neutral", Accept},
		{"none", "", false, "none", Accept},
		{"permerror", "v=spf1 ip4:192.0.2.1 foo:bar -all", false, "permerror", Accept},
		{"temperror", "", true, "temperror", TempFail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			// A domain without DMARC, so SPF's own policy decides.
			e.dns.Add(t, "other.test. 300 IN MX 10 mx.sender.test.")
			if c.record != "" {
				e.dns.TXT(t, "other.test", c.record)
			}
			if c.servfail {
				e.dns.ServFail("other.test")
			}
			v := e.check("dave@other.test", message("dave@other.test"))
			if got := result(t, v.Header, "spf"); v.Action != TempFail && got != c.want {
				t.Fatalf("spf=%q, want %q: %s", got, c.want, v.Header)
			}
			if v.Action != c.action {
				t.Fatalf("verdict %v (%s), want %v", v.Action, v.Reason, c.action)
			}
		})
	}
}

func TestSPFFailPolicy(t *testing.T) {
	for _, c := range []struct {
		policy string
		want   Action
	}{{"junk", Junk}, {"reject", Reject}, {"accept", Accept}} {
		t.Run(c.policy, func(t *testing.T) {
			e := newEnv(t)
			e.pol.SPFFail = c.policy
			e.dns.Add(t, "other.test. 300 IN MX 10 mx.sender.test.")
			e.dns.TXT(t, "other.test", "v=spf1 ip4:192.0.2.1 -all")
			if v := e.check("dave@other.test", message("dave@other.test")); v.Action != c.want {
				t.Fatalf("verdict %v (%s), want %v", v.Action, v.Reason, c.want)
			}
		})
	}
	// An aligned DKIM pass outweighs an SPF fail (a forwarder broke SPF).
	e := newEnv(t)
	e.pol.SPFFail = "reject"
	e.dns.Remove("sender.test", dns.TypeTXT)
	e.dns.TXT(t, "sender.test", "v=spf1 ip4:192.0.2.1 -all")
	if v := e.check("carol@sender.test", e.sign(message("carol@sender.test"), "sender.test", "ed")); v.Action != Accept {
		t.Fatalf("SPF fail with aligned DKIM: verdict %v (%s), want accept", v.Action, v.Reason)
	}
}

func TestDMARCPolicies(t *testing.T) {
	cases := []struct {
		name, record string
		dmarcReject  bool
		want         Action
	}{
		{"reject", "v=DMARC1; p=reject", true, Reject},
		{"reject not enforced", "v=DMARC1; p=reject", false, Junk},
		{"quarantine", "v=DMARC1; p=quarantine", true, Junk},
		{"none", "v=DMARC1; p=none", true, Accept},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.pol.DMARCReject = c.dmarcReject
			e.dns.Remove("_dmarc.sender.test", dns.TypeTXT)
			e.dns.TXT(t, "_dmarc.sender.test", c.record)
			// From sender.test, but sent from elsewhere and unsigned: nothing aligns.
			v := e.check("x@attacker.test", message("carol@sender.test"))
			if got := result(t, v.Header, "dmarc"); got != "fail" {
				t.Fatalf("dmarc=%q, want fail: %s", got, v.Header)
			}
			if v.Action != c.want {
				t.Fatalf("verdict %v (%s), want %v", v.Action, v.Reason, c.want)
			}
		})
	}
}

func TestDMARCAlignment(t *testing.T) {
	cases := []struct {
		name, record, signer string
		want                 string
	}{
		{"relaxed subdomain signer", "v=DMARC1; p=reject", "mail.sender.test", "pass"},
		{"strict subdomain signer", "v=DMARC1; p=reject; adkim=s", "mail.sender.test", "fail"},
		{"strict exact signer", "v=DMARC1; p=reject; adkim=s", "sender.test", "pass"},
		{"unrelated signer", "v=DMARC1; p=reject", "other.test", "fail"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.dns.Remove("_dmarc.sender.test", dns.TypeTXT)
			e.dns.TXT(t, "_dmarc.sender.test", c.record)
			if c.signer != "sender.test" {
				e.dns.TXT(t, "ed._domainkey."+c.signer, "v=DKIM1; k=ed25519; p="+pubB64(e))
			}
			// Envelope from elsewhere so only DKIM can align.
			v := e.check("bounce@elsewhere.test", e.sign(message("carol@sender.test"), c.signer, "ed"))
			if got := result(t, v.Header, "dkim"); got != "pass" {
				t.Fatalf("dkim=%q, want pass: %s", got, v.Header)
			}
			if got := result(t, v.Header, "dmarc"); got != c.want {
				t.Fatalf("dmarc=%q, want %q: %s", got, c.want, v.Header)
			}
		})
	}
	// SPF alignment: strict wants the envelope domain equal to From's.
	for _, c := range []struct {
		record, want string
	}{{"v=DMARC1; p=reject", "pass"}, {"v=DMARC1; p=reject; aspf=s", "fail"}} {
		e := newEnv(t)
		e.dns.Remove("_dmarc.sender.test", dns.TypeTXT)
		e.dns.TXT(t, "_dmarc.sender.test", c.record)
		e.dns.Add(t, "bounces.sender.test. 300 IN MX 10 mx.sender.test.")
		e.dns.TXT(t, "bounces.sender.test", "v=spf1 mx -all")
		v := e.check("b@bounces.sender.test", message("carol@sender.test"))
		if got := result(t, v.Header, "dmarc"); got != c.want {
			t.Fatalf("%s: dmarc=%q, want %q: %s", c.record, got, c.want, v.Header)
		}
	}
}

func TestDMARCOrganizationalDomain(t *testing.T) {
	e := newEnv(t)
	e.dns.Remove("_dmarc.sender.test", dns.TypeTXT)
	// Only the organizational domain publishes; sp= governs its subdomains.
	e.dns.TXT(t, "_dmarc.sender.test", "v=DMARC1; p=none; sp=reject")
	v := e.check("x@attacker.test", message("carol@news.sender.test"))
	if v.Action != Reject || result(t, v.Header, "dmarc") != "fail" {
		t.Fatalf("verdict %v (%s) %s; want reject by sp=reject of the organizational domain", v.Action, v.Reason, v.Header)
	}
}

func TestDMARCLookupFailureIsTemporary(t *testing.T) {
	e := newEnv(t)
	e.dns.ServFail("_dmarc.sender.test")
	v := e.check("carol@sender.test", message("carol@sender.test"))
	if v.Action != TempFail {
		t.Fatalf("verdict %v (%s), want tempfail", v.Action, v.Reason)
	}
}

func TestDKIMKeyLookupFailureIsTemporary(t *testing.T) {
	e := newEnv(t)
	e.dns.ServFail("ed._domainkey.sender.test")
	// Envelope from elsewhere: without the DKIM result DMARC cannot be decided.
	v := e.check("b@elsewhere.test", e.sign(message("carol@sender.test"), "sender.test", "ed"))
	if v.Action != TempFail {
		t.Fatalf("verdict %v (%s), want tempfail; %s", v.Action, v.Reason, v.Header)
	}
}

func TestIPRev(t *testing.T) {
	e := newEnv(t)
	if r := e.verifier().IPRev(t.Context(), clientIP); r.Value != "pass" || r.Name != "mx.sender.test" {
		t.Fatalf("iprev %+v, want pass for mx.sender.test", r)
	}
	// The PTR name resolves elsewhere: not forward-confirmed.
	e.dns.Remove("mx.sender.test", dns.TypeA)
	e.dns.Add(t, "mx.sender.test. 300 IN A 192.0.2.7")
	if r := e.verifier().IPRev(t.Context(), clientIP); r.Value != "fail" {
		t.Fatalf("iprev %+v, want fail", r)
	}
	e.dns.Remove("1.0.0.127.in-addr.arpa", dns.TypePTR)
	if r := e.verifier().IPRev(t.Context(), clientIP); r.Value != "fail" {
		t.Fatalf("iprev without PTR %+v, want fail", r)
	}
}

func TestIPRevPolicy(t *testing.T) {
	noPTR := func(e *env) { e.dns.Remove("1.0.0.127.in-addr.arpa", dns.TypePTR) }
	// Counted only: alone it changes nothing.
	e := newEnv(t)
	noPTR(e)
	v := e.check("carol@sender.test", message("carol@sender.test"))
	if v.Action != Accept || result(t, v.Header, "iprev") != "fail" {
		t.Fatalf("verdict %v %s; want accept with iprev=fail", v.Action, v.Header)
	}
	// Together with an SPF softfail: Junk.
	e = newEnv(t)
	noPTR(e)
	e.dns.Add(t, "other.test. 300 IN MX 10 mx.sender.test.")
	e.dns.TXT(t, "other.test", "v=spf1 ip4:192.0.2.1 ~all")
	if v := e.check("dave@other.test", message("dave@other.test")); v.Action != Junk {
		t.Fatalf("iprev fail + softfail: verdict %v (%s), want junk", v.Action, v.Reason)
	}
	for _, c := range []struct {
		policy string
		want   Action
	}{{"junk", Junk}, {"reject", Reject}} {
		e := newEnv(t)
		noPTR(e)
		e.pol.IPRevFail = c.policy
		if v := e.check("carol@sender.test", message("carol@sender.test")); v.Action != c.want {
			t.Fatalf("iprev_fail=%s: verdict %v, want %v", c.policy, v.Action, c.want)
		}
	}
}

func TestOwnDomainNeedsOwnSignature(t *testing.T) {
	e := newEnv(t)
	spoof := []byte("From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: wire the money\r\n\r\nNow.\r\n")
	v := e.check("x@attacker.test", spoof)
	if v.Action != Reject {
		t.Fatalf("forged From in our domain: verdict %v (%s), want reject", v.Action, v.Reason)
	}
	// Signed by somebody else's key for our domain name: still refused.
	e.dns.TXT(t, "ed._domainkey.example.test", "v=DKIM1; k=ed25519; p="+pubB64(e))
	if v := e.check("x@attacker.test", e.sign(spoof, "example.test", "ed")); v.Action != Reject {
		t.Fatalf("signed with a key we do not hold: verdict %v, want reject", v.Action)
	}
	// Signed by us (our own keys, no DNS needed): accepted.
	sig, err := e.keys.Sign(ourDomain, spoof)
	if err != nil || sig == nil {
		t.Fatalf("sign: %v", err)
	}
	if v := e.check("alice@example.test", append(sig, spoof...)); v.Action != Accept {
		t.Fatalf("our own signature: verdict %v (%s), want accept; %s", v.Action, v.Reason, v.Header)
	}
}

func TestSeveralFromDomainsRefused(t *testing.T) {
	e := newEnv(t)
	msg := []byte("From: a@sender.test, b@other.test\r\nTo: bob@example.test\r\n\r\nx\r\n")
	if v := e.check("carol@sender.test", msg); v.Action != Reject {
		t.Fatalf("verdict %v, want reject", v.Action)
	}
}

func TestDNSBL(t *testing.T) {
	e := newEnv(t)
	e.pol.DNSBL = []string{"bl.test", "down.test"}
	e.dns.ServFail("1.0.0.127.down.test") // a broken list is skipped
	if v := e.check("carol@sender.test", message("carol@sender.test")); v.Action != Accept {
		t.Fatalf("unlisted: verdict %v (%s)", v.Action, v.Reason)
	}
	e.dns.Add(t, "1.0.0.127.bl.test. 300 IN A 127.0.0.2")
	if v := e.check("carol@sender.test", message("carol@sender.test")); v.Action != Reject || !strings.Contains(v.Reason, "bl.test") {
		t.Fatalf("listed: verdict %v (%s), want reject naming bl.test", v.Action, v.Reason)
	}
}

func TestStripOwnResults(t *testing.T) {
	msg := []byte("Authentication-Results: mail.example.test;\r\n\tdkim=pass header.d=example.test\r\n" +
		"Authentication-Results: MAIL.EXAMPLE.TEST; spf=pass\r\n" +
		"Authentication-Results: mx.sender.test; spf=pass\r\n" +
		"From: a@sender.test\r\n\r\nAuthentication-Results: mail.example.test; body text stays\r\n")
	got := string(StripOwnResults(msg, ourHost))
	want := "Authentication-Results: mx.sender.test; spf=pass\r\nFrom: a@sender.test\r\n\r\nAuthentication-Results: mail.example.test; body text stays\r\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func pubB64(e *env) string {
	_, p, _ := strings.Cut((&Key{Signer: e.ed}).TXT(), "p=")
	return p
}

// SetPolicy (a SIGHUP reload of [checks]) changes the verdict of the next message
// checked by the same Verifier, with its resolver and caches kept.
func TestSetPolicyAppliesToTheNextMessage(t *testing.T) {
	e := newEnv(t)
	e.dns.Remove("1.0.0.127.in-addr.arpa", dns.TypePTR)
	v := e.verifier()
	in := Input{IP: clientIP, HELO: "mx.sender.test", MailFrom: "carol@sender.test", Message: message("carol@sender.test")}
	if got := v.Check(context.Background(), in); got.Action != Accept {
		t.Fatalf("iprev_fail=count alone: verdict %v (%s), want accept", got.Action, got.Reason)
	}
	p := DefaultPolicy()
	p.IPRevFail = "reject"
	v.SetPolicy(p)
	if got := v.Check(context.Background(), in); got.Action != Reject {
		t.Fatalf("after SetPolicy(iprev_fail=reject): verdict %v (%s), want reject", got.Action, got.Reason)
	}
}
