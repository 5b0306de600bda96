package smtpd

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yubinmail/yubin/internal/benchdir"
	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// checkedEnv is testEnv with the sender checks on for loopback clients too, DKIM
// keys for example.test, and a loopback DNS where 127.0.0.1 is mx.sender.test and
// sender.test publishes SPF "mx -all" and DMARC p=reject.
type checkedEnv struct {
	*testEnv
	dns  *dnstest.Server
	keys *checks.Keys
	// metrics is the registry of the server's metrics.
	metrics *prometheus.Registry
}

func newCheckedEnv(t testing.TB) *checkedEnv {
	t.Helper()
	return newCheckedEnvIn(t, t.TempDir())
}

// newCheckedEnvIn is newCheckedEnv with its spool in dir (benchmarks: benchDir).
func newCheckedEnvIn(t testing.TB, dir string) *checkedEnv {
	t.Helper()
	d := dnstest.Start(t)
	d.Add(t,
		"1.0.0.127.in-addr.arpa. 300 IN PTR mx.sender.test.",
		"mx.sender.test. 300 IN A 127.0.0.1",
		"sender.test. 300 IN MX 10 mx.sender.test.",
	)
	d.TXT(t, "sender.test", "v=spf1 mx -all")
	d.TXT(t, "_dmarc.sender.test", "v=DMARC1; p=reject")
	keys := checks.OpenKeys(dir)
	if err := keys.Ensure(testDomain); err != nil {
		t.Fatal(err)
	}
	res, err := dnsresolve.New(d.Addr)
	if err != nil {
		t.Fatal(err)
	}
	res = res.WithCache(1000) // as mailbackend.Start does
	reg := metrics.NewRegistry()
	e := newTestEnvIn(t, dir, func(c *Config) {
		c.Checks = checks.New(testHost, res, checks.DefaultPolicy(), func(dom string) bool { return dom == testDomain }, keys)
		c.DKIM = keys
		c.Metrics = metrics.New(reg)
	}, 0)
	e.srv.checkLoopback.Store(true)
	return &checkedEnv{testEnv: e, dns: d, keys: keys, metrics: reg}
}

// mailbox returns the raw messages in one of addr's mailboxes, oldest first.
func (e *testEnv) mailbox(addr, name string) []string {
	e.t.Helper()
	ctx := context.Background()
	mb, err := e.st.Mailbox(ctx, e.accounts[addr].ID, name)
	if err != nil {
		e.t.Fatalf("%s of %s: %v", name, addr, err)
	}
	msgs, err := e.st.Messages(ctx, mb.ID, store.AllUIDs, store.FetchOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		rc, err := e.st.ReadBlob(m.BlobID)
		if err != nil {
			e.t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, string(b))
	}
	return out
}

// mxSend sends msg over the MX port like another server would and returns the
// reply to the end of DATA.
func (e *checkedEnv) mxSend(from, msg string) (int, string) {
	e.t.Helper()
	d := dialRaw(e.t, e.mx)
	d.cmd("EHLO mx.sender.test", 250)
	d.cmd("MAIL FROM:<"+from+">", 250)
	d.cmd("RCPT TO:<bob@example.test>", 250)
	d.cmd("DATA", 354)
	d.send(msg + ".\r\n")
	return d.reply()
}

const spoofed = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: urgent: wire the money\r\n" +
	"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <spoof@attacker.test>\r\n\r\nPlease pay the attached invoice today.\r\n"

// The repro: anyone could write as alice to bob through port 25.
func TestMXSpoofedOwnDomainRefused(t *testing.T) {
	e := newCheckedEnv(t)
	code, text := e.mxSend("x@attacker.test", spoofed)
	if code != 550 || !strings.Contains(text, "5.7.1") {
		t.Fatalf("spoofed From: got %q, want 550 5.7.1", text)
	}
	if n := len(e.inbox("bob@example.test")); n != 0 {
		t.Fatalf("bob has %d messages, want none", n)
	}

	// The same From, sent by alice through submission, is delivered and signed.
	c, err := smtp.Dial(e.sub)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, spoofed); err != nil {
		t.Fatalf("submission: %v", err)
	}
	got := e.inbox("bob@example.test")
	if len(got) != 1 || strings.Count(got[0], "DKIM-Signature:") != 2 || !strings.Contains(got[0], "d=example.test") {
		t.Fatalf("want one message with two example.test signatures, got %q", got)
	}

	// Our signed message, coming back to port 25 (a list or a forwarder
	// relaying it), passes: our signature is ours.
	_, signed, _ := strings.Cut(got[0], "DKIM-Signature:")
	code, text = e.mxSend("x@attacker.test", "DKIM-Signature:"+signed)
	if code != 250 {
		t.Fatalf("message signed by us refused on port 25: %q", text)
	}
}

func TestMXAuthenticationResults(t *testing.T) {
	e := newCheckedEnv(t)
	msg := "Authentication-Results: mail.example.test; dkim=pass header.d=example.test\r\n" +
		"Authentication-Results: mx.sender.test; spf=pass\r\n" +
		"From: Carol <carol@sender.test>\r\nTo: bob@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"
	if code, text := e.mxSend("carol@sender.test", msg); code != 250 {
		t.Fatalf("got %q, want 250", text)
	}
	got := e.inbox("bob@example.test")
	if len(got) != 1 {
		t.Fatalf("want one message, got %d", len(got))
	}
	head, _, _ := strings.Cut(got[0], "\r\n\r\n")
	if n := strings.Count(head, "Authentication-Results: mail.example.test"); n != 1 {
		t.Fatalf("want exactly our one Authentication-Results, got %d in\n%s", n, head)
	}
	if strings.Contains(head, "dkim=pass header.d=example.test") {
		t.Fatalf("forged result claiming our authserv-id kept:\n%s", head)
	}
	if !strings.Contains(head, "Authentication-Results: mx.sender.test; spf=pass") {
		t.Fatalf("another server's result was removed:\n%s", head)
	}
	for _, want := range []string{"iprev=pass", "spf=pass", "dmarc=pass", "dkim=none"} {
		if !strings.Contains(head, want) {
			t.Errorf("Authentication-Results lacks %s:\n%s", want, head)
		}
	}
}

func TestMXPolicyOutcomes(t *testing.T) {
	e := newCheckedEnv(t)
	// DMARC p=reject: sender.test's From sent from attacker.test's envelope.
	code, text := e.mxSend("x@attacker.test", "From: carol@sender.test\r\nSubject: a\r\n\r\nx\r\n")
	if code != 550 || !strings.Contains(text, "5.7.1") || !strings.Contains(text, "DMARC") {
		t.Fatalf("DMARC p=reject fail: got %q, want 550 5.7.1", text)
	}
	// SPF fail without DMARC: Junk.
	e.dns.Add(t, "other.test. 300 IN MX 10 mx.other.test.")
	e.dns.TXT(t, "other.test", "v=spf1 ip4:192.0.2.1 -all")
	if code, text := e.mxSend("dave@other.test", "From: dave@other.test\r\nSubject: junk\r\n\r\nx\r\n"); code != 250 {
		t.Fatalf("SPF fail: got %q, want 250 (into Junk)", text)
	}
	if n := len(e.inbox("bob@example.test")); n != 0 {
		t.Fatalf("SPF fail landed in INBOX")
	}
	junk := e.mailbox("bob@example.test", "Junk")
	if len(junk) != 1 || !strings.Contains(junk[0], "spf=fail") {
		t.Fatalf("Junk: %q, want the SPF-failed message with spf=fail", junk)
	}
	mb, err := e.st.Mailbox(context.Background(), e.accounts["bob@example.test"].ID, "Junk")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := e.st.Messages(context.Background(), mb.ID, store.AllUIDs, store.FetchOptions{})
	if err != nil || len(msgs) != 1 || !slices.Contains(msgs[0].Flags, "$Junk") {
		t.Fatalf("Junk message flags: %+v (%v), want $Junk", msgs, err)
	}
	// A lookup that fails for now: 451 4.4.3, never a pass (and never cached).
	e.dns.Add(t, "flaky.test. 300 IN MX 10 mx.sender.test.")
	e.dns.TXT(t, "flaky.test", "v=spf1 mx -all")
	e.dns.ServFail("_dmarc.flaky.test")
	for range 2 {
		code, text = e.mxSend("erin@flaky.test", "From: erin@flaky.test\r\nSubject: b\r\n\r\nx\r\n")
		if code != 451 || !strings.Contains(text, "4.4.3") {
			t.Fatalf("DNS SERVFAIL: got %q, want 451 4.4.3", text)
		}
	}
	// Each verdict counted once per message; only the Junk one was received.
	want := `# HELP yubin_sender_checks_total Verdicts of the inbound sender checks on port 25 (accept, junk, reject, tempfail).
# TYPE yubin_sender_checks_total counter
yubin_sender_checks_total{verdict="junk"} 1
yubin_sender_checks_total{verdict="reject"} 1
yubin_sender_checks_total{verdict="tempfail"} 2
# HELP yubin_messages_total Messages received over SMTP, and recipients delivered, bounced or deferred by the outbound queue.
# TYPE yubin_messages_total counter
yubin_messages_total{outcome="bounced"} 0
yubin_messages_total{outcome="deferred"} 0
yubin_messages_total{outcome="delivered"} 0
yubin_messages_total{outcome="received"} 1
`
	if err := testutil.GatherAndCompare(e.metrics, strings.NewReader(want), "yubin_sender_checks_total", "yubin_messages_total"); err != nil {
		t.Error(err)
	}
}

// pythonWithDKIM finds a Python that has Debian's python3-dkim (dkimpy).
func pythonWithDKIM(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if p, err := exec.LookPath(py); err == nil && exec.Command(p, "-c", "import dkim, nacl").Run() == nil {
			return p
		}
	}
	testtool.Missing(t, "python3 with the dkim and nacl modules (Debian's python3-dkim)")
	return ""
}

// dkimpyVerify is an independent verifier: dkimpy checks signature idx of msg with
// the public keys given by name, answering its DNS queries itself.
const dkimpyVerify = `
import sys, json, dkim
msg = sys.stdin.buffer.read()
records = json.loads(sys.argv[1])
def dnsfunc(name, timeout=5):
    key = name.decode() if isinstance(name, bytes) else name
    return records.get(key.rstrip('.').lower(), '').encode()
try:
    ok = dkim.DKIM(msg).verify(idx=int(sys.argv[2]), dnsfunc=dnsfunc)
except dkim.ValidationError as e:
    ok = False
    print(e)
print('PASS' if ok else 'FAIL')
`

func TestSubmittedMailVerifiesInDkimpy(t *testing.T) {
	py := pythonWithDKIM(t)
	e := newCheckedEnv(t)
	c, err := smtp.Dial(e.sub)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	// Japanese text, a folded Subject and trailing blank lines: what canonicalization
	// must get right. No Message-ID or Date: they are added, and must be signed too.
	msg := "From: =?UTF-8?B?5bGx55Sw?= <alice@example.test>\r\nTo: bob@example.test\r\n" +
		"Subject: quarterly\r\n  report\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n四半期の報告です。  \r\n\r\n\r\n"
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg); err != nil {
		t.Fatal(err)
	}
	got := e.inbox("bob@example.test")
	if len(got) != 1 {
		t.Fatalf("want one message, got %d", len(got))
	}
	keys, err := e.keys.Current(testDomain)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %v %d", err, len(keys))
	}
	records := map[string]string{}
	for _, k := range keys {
		records[strings.ToLower(k.Selector+"._domainkey."+testDomain)] = k.TXT()
	}
	js, _ := json.Marshal(records)
	// The store's copy starts with Return-Path and Received, which are not signed;
	// dkimpy indexes DKIM-Signature fields in header order.
	for idx, algo := range []string{"ed25519", "rsa"} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, py, "-c", dkimpyVerify, string(js), string(rune('0'+idx)))
		cmd.Stdin = strings.NewReader(got[0])
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil || strings.TrimSpace(string(out)) != "PASS" {
			t.Fatalf("dkimpy on the %s signature: %v\n%s\nmessage:\n%s", algo, err, out, got[0])
		}
		if !strings.Contains(got[0], "a="+map[string]string{"ed25519": "ed25519-sha256", "rsa": "rsa-sha256"}[algo]) {
			t.Fatalf("no %s signature in\n%s", algo, got[0])
		}
	}
	// And a tampered copy fails in dkimpy: the check can fail.
	tampered := strings.Replace(got[0], "四半期", "半期", 1)
	cmd := exec.Command(py, "-c", dkimpyVerify, string(js), "0")
	cmd.Stdin = strings.NewReader(tampered)
	if out, _ := cmd.CombinedOutput(); !strings.HasSuffix(strings.TrimSpace(string(out)), "FAIL") {
		t.Fatalf("dkimpy accepted a tampered message: %s", out)
	}
}

// BenchmarkMXReceiveChecked is BenchmarkMXReceive with every sender check on:
// iprev, SPF, DKIM (an RSA-2048 signature over each 4 KiB message) and DMARC,
// each answered by the loopback DNS server, and the Authentication-Results field
// written. Set it next to BenchmarkMXReceive for the cost of the checks.
//
//	go test ./mailbackend/smtpd/ -run '^$' -bench 'MXReceive' -benchtime 3000x -count 5
func BenchmarkMXReceiveChecked(b *testing.B) {
	e := newCheckedEnvIn(b, benchdir.New(b))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	e.dns.TXT(b, "bench._domainkey.sender.test", "v=DKIM1; k=rsa; p="+base64.StdEncoding.EncodeToString(pub))
	var signed bytes.Buffer
	err = dkim.Sign(&signed, bytes.NewReader(benchMessage("carol@sender.test")), &dkim.SignOptions{
		Domain: "sender.test", Selector: "bench", Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"},
	})
	if err != nil {
		b.Fatal(err)
	}
	benchMX(b, e.testEnv, "carol@sender.test", signed.Bytes())
	// Every message passed every check (a failure would have been refused or
	// filed in Junk, and the benchmark would measure something else).
	if got := e.inbox("user0@example.test"); len(got) == 0 || !strings.Contains(got[0], "dmarc=pass") || !strings.Contains(got[0], "dkim=pass") {
		b.Fatalf("benchmark mail did not pass the checks: %.600q", got)
	}
}

// Loopback clients skip the DNS checks (local software), but the spoofing repro
// is refused from them too: that rule needs no DNS.
func TestMXLoopbackTrustedButNoOwnDomainForgery(t *testing.T) {
	e := newCheckedEnv(t)
	e.srv.checkLoopback.Store(false)
	if code, text := e.mxSend("x@attacker.test", spoofed); code != 550 || !strings.Contains(text, "5.7.1") {
		t.Fatalf("spoofed From from loopback: got %q, want 550 5.7.1", text)
	}
	// Mail from another domain passes unchecked (no DNS asked, no verdict added).
	before := e.dns.Queries()
	if code, text := e.mxSend("carol@sender.test", "From: carol@sender.test\r\nSubject: local\r\n\r\nx\r\n"); code != 250 {
		t.Fatalf("loopback mail from another domain: %q", text)
	}
	if n := e.dns.Queries() - before; n != 0 {
		t.Errorf("%d DNS queries for a trusted loopback client", n)
	}
	got := e.inbox("bob@example.test")
	if len(got) != 1 || strings.Contains(got[0], "Authentication-Results") {
		t.Fatalf("bob's INBOX: %q", got)
	}
}

// A submitted message cannot carry a verdict in our name to its recipients.
func TestSubmissionStripsOurAuthenticationResults(t *testing.T) {
	e := newCheckedEnv(t)
	c, err := smtp.Dial(e.sub)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice@example.test", "alice-secret")); err != nil {
		t.Fatal(err)
	}
	msg := "Authentication-Results: mail.example.test; dmarc=pass header.from=bank.test\r\n" +
		"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: x\r\n\r\nx\r\n"
	if err := sendWith(t, c, "alice@example.test", []string{"bob@example.test"}, msg); err != nil {
		t.Fatal(err)
	}
	got := e.inbox("bob@example.test")
	if len(got) != 1 || strings.Contains(got[0], "Authentication-Results: mail.example.test") {
		t.Fatalf("bob got %q", got)
	}
}
