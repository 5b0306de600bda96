package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
)

// zoneRecords parses every record line of `yubin dns records` output (comments
// and blank lines skipped); a line that is not a valid record fails the test.
func zoneRecords(t *testing.T, out string) []dns.RR {
	t.Helper()
	var rrs []dns.RR
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil || rr == nil {
			t.Fatalf("not a zone-file record: %q: %v", line, err)
		}
		rrs = append(rrs, rr)
	}
	return rrs
}

func TestDNSRecordsAndCheck(t *testing.T) {
	d := dnstest.Start(t)
	cfg := testConfig(t, "[delivery]\nresolver = \""+d.Addr+"\"\n")
	d.Add(t, "mail.example.test. 300 IN A 127.0.0.1")

	out := mustRun(t, "", "dns", "records", "example.test", "--config", cfg)
	rrs := zoneRecords(t, out)
	byType := map[string]int{}
	for _, rr := range rrs {
		byType[dns.TypeToString[rr.Header().Rrtype]]++
	}
	// MX, A, SPF for the domain and the host, two DKIM keys, DMARC, TLS-RPT; six
	// SRV for the mail services and Outlook's autodiscover SRV; the autoconfig and
	// autodiscover names; the PTR. (The MTA-STS records
	// are printed as comments until the policy is served.)
	want := map[string]int{"MX": 1, "A": 1, "TXT": 6, "SRV": 7, "CNAME": 2, "PTR": 1}
	for typ, n := range want {
		if byType[typ] != n {
			t.Errorf("%d %s records, want %d:\n%s", byType[typ], typ, n, out)
		}
	}
	for _, s := range []string{"v=spf1 mx -all", "k=ed25519", "k=rsa", "v=DMARC1; p=reject; rua=mailto:postmaster@example.test",
		"1.0.0.127.in-addr.arpa.", "_submissions._tcp.example.test.",
		"autoconfig.example.test. 3600 IN CNAME mail.example.test.", "_autodiscover._tcp.example.test. 3600 IN SRV 0 0 443 mail.example.test.", "; _mta-sts.example.test. 3600 IN TXT \"v=STSv1; id=", "v=TLSRPTv1"} {
		if !strings.Contains(out, s) {
			t.Errorf("records lack %q:\n%s", s, out)
		}
	}

	// Publish everything but DMARC, and an SPF record that says something else.
	for _, rr := range rrs {
		name := rr.Header().Name
		if name == "mail.example.test." && rr.Header().Rrtype == dns.TypeA {
			continue // already there
		}
		if strings.HasPrefix(name, "_dmarc.") {
			continue
		}
		if _, ok := rr.(*dns.TXT); ok && name == "example.test." {
			d.Add(t, `example.test. 300 IN TXT "v=spf1 a:old.example.test ~all"`)
			continue
		}
		d.Add(t, rr.String())
	}
	out, errs, code := yubin(t, "", "dns", "check", "example.test", "--config", cfg)
	if code == 0 {
		t.Fatalf("dns check passed with a record missing and one wrong:\n%s", out)
	}
	if !strings.Contains(errs, "2 of") {
		t.Errorf("stderr %q, want it to count 2 records needing attention", errs)
	}
	for _, s := range []string{
		"MISSING    _dmarc.example.test. TXT",
		`fix: add  _dmarc.example.test. 3600 IN TXT "v=DMARC1; p=reject; rua=mailto:postmaster@example.test"`,
		"DIFFERENT  example.test. TXT",
		"has: v=spf1 a:old.example.test ~all",
		`fix: make it  example.test. 3600 IN TXT "v=spf1 mx -all"`,
		"OK         example.test. MX",
		"OK         1.0.0.127.in-addr.arpa. PTR",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("dns check output lacks %q:\n%s", s, out)
		}
	}
	// Fixed as told: everything checks out.
	d.Remove("example.test", dns.TypeTXT)
	d.Add(t, `example.test. 300 IN TXT "v=spf1 mx -all"`, `example.test. 300 IN TXT "google-site-verification=abc"`,
		`_dmarc.example.test. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:postmaster@example.test"`)
	out = mustRun(t, "", "dns", "check", "example.test", "--config", cfg)
	if !strings.Contains(out, "records of example.test are published") {
		t.Fatalf("after the fixes: %s", out)
	}
}

func TestDKIMRotate(t *testing.T) {
	d := dnstest.Start(t)
	cfg := testConfig(t, "[delivery]\nresolver = \""+d.Addr+"\"\n")
	mustRun(t, "", "domain", "add", "other.test", "--config", cfg)
	dir := filepath.Join(filepath.Dir(cfg), "data", "dkim", "other.test")
	keys, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
	if len(keys) != 2 {
		t.Fatalf("domain add made %d DKIM keys, want 2 (ed25519 and RSA)", len(keys))
	}
	for _, k := range keys {
		fi, err := os.Stat(k)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key %s: mode %v, want 0600", k, fi.Mode())
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("key directory mode %v, want 0700", fi.Mode())
	}
	out := mustRun(t, "", "dkim", "rotate", "other.test", "--config", cfg)
	if n := len(zoneRecords(t, out)); n != 2 {
		t.Fatalf("rotate printed %d records, want the 2 new keys:\n%s", n, out)
	}
	// Old and new keys are all published until the admin removes the old ones.
	recs := mustRun(t, "", "dns", "records", "other.test", "--config", cfg)
	if n := strings.Count(recs, "._domainkey.other.test."); n != 4 {
		t.Fatalf("%d DKIM records after rotation, want 4:\n%s", n, recs)
	}
	if _, errs, code := yubin(t, "", "dkim", "rotate", "nowhere.test", "--config", cfg); code == 0 || !strings.Contains(errs, "not a local domain") {
		t.Fatalf("rotate of a foreign domain: exit %d, %q", code, errs)
	}
}

// e2eVerifyDKIM checks that msg carries want DKIM signatures of example.test and that
// go-msgauth, as a receiving server would, verifies every one of them against the
// keys in cfg's data_dir (what the published TXT records hold).
func e2eVerifyDKIM(t *testing.T, cfg, msg string, want int) {
	t.Helper()
	keys, err := checks.OpenKeys(filepath.Join(filepath.Dir(cfg), "data")).All("example.test")
	if err != nil || len(keys) == 0 {
		t.Fatalf("no DKIM keys for example.test: %v", err)
	}
	records := map[string]string{}
	for _, k := range keys {
		records[strings.ToLower(k.Selector)+"._domainkey.example.test"] = k.TXT()
	}
	verifs, err := dkim.VerifyWithOptions(strings.NewReader(msg), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if r, ok := records[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
				return []string{r}, nil
			}
			return nil, &net.DNSError{Err: "no such key", Name: name, IsNotFound: true}
		},
	})
	if err != nil {
		t.Fatalf("DKIM verify: %v", err)
	}
	if len(verifs) != want {
		t.Fatalf("%d DKIM signatures, want %d:\n%s", len(verifs), want, msg)
	}
	for _, v := range verifs {
		if v.Err != nil || v.Domain != "example.test" {
			t.Fatalf("signature of %s: %v\n%s", v.Domain, v.Err, msg)
		}
	}
}
