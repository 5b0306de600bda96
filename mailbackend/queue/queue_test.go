package queue

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// dsn is a parsed RFC 3464 report.
type dsn struct {
	Header     mail.Header
	Human      string
	PerMessage textproto.MIMEHeader
	PerRcpt    []textproto.MIMEHeader
	Returned   string // the text/rfc822-headers part
}

// parseDSN checks the multipart/report structure and returns its parts.
func parseDSN(t *testing.T, raw string) dsn {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("DSN is not a message: %v\n%s", err, raw)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN Content-Type = %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	d := dsn{Header: msg.Header}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("DSN part: %v", err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		switch ct {
		case "text/plain":
			d.Human = string(body)
		case "message/delivery-status":
			tr := textproto.NewReader(bufio.NewReader(strings.NewReader(string(body) + "\r\n")))
			for {
				h, err := tr.ReadMIMEHeader()
				if len(h) > 0 {
					if d.PerMessage == nil {
						d.PerMessage = h
					} else {
						d.PerRcpt = append(d.PerRcpt, h)
					}
				}
				if err != nil {
					break
				}
			}
		case "text/rfc822-headers":
			d.Returned = string(body)
		}
	}
	want := []string{"text/plain", "message/delivery-status", "text/rfc822-headers"}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("DSN parts = %v, want %v", types, want)
	}
	return d
}

func (d dsn) rcpt(t *testing.T, addr string) textproto.MIMEHeader {
	t.Helper()
	for _, h := range d.PerRcpt {
		if strings.EqualFold(h.Get("Final-Recipient"), "rfc822; "+addr) {
			return h
		}
	}
	t.Fatalf("DSN has no Final-Recipient %s: %v", addr, d.PerRcpt)
	return nil
}

func TestRelayToMXGroupsByDomain(t *testing.T) {
	e := newEnv(t, nil)
	e.dns.setMX("other.test", 10, "mx.other.test")
	e.dns.setA("mx.other.test", "127.0.0.1")

	e.enqueue("alice@example.test", "bob@remote.test", "carol@REMOTE.test", "dave@other.test")
	items := e.items()
	if len(items) != 2 {
		t.Fatalf("queued %d items, want one per domain (2): %+v", len(items), items)
	}
	e.q.RunOnce(testCtx(t))

	got := e.mta.messages()
	if len(got) != 2 {
		t.Fatalf("remote got %d transactions, want 2: %+v", len(got), got)
	}
	var sawPair bool
	for _, m := range got {
		if m.From != "alice@example.test" || m.Data != testMsg || !m.TLS || m.Helo != "mail.example.test" {
			t.Errorf("transaction = from %q tls %v helo %q data %q", m.From, m.TLS, m.Helo, m.Data)
		}
		if len(m.To) == 2 {
			sawPair = m.To[0] == "bob@remote.test" && m.To[1] == "carol@REMOTE.test"
		}
	}
	if !sawPair {
		t.Errorf("remote.test recipients not delivered together: %+v", got)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left after delivery", n)
	}
	if n := len(e.inbox()); n != 0 {
		t.Errorf("sender got %d notices for a delivered message", n)
	}
}

func TestTLSVerifiedWhenTrusted(t *testing.T) {
	mta := mustMTA(t, "mx.remote.test")
	e := newEnv(t, func(c *Config) { c.Port = mta.port; c.RootCAs = mta.rootsOf(t) })
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if got := mta.messages(); len(got) != 1 || !got[0].TLS {
		t.Fatalf("remote got %+v", got)
	}
	if !strings.Contains(e.logs.String(), "tls=verified") {
		t.Errorf("trusted certificate not reported verified; log:\n%s", e.logs)
	}
}

// A peer that advertises STARTTLS and then fails the handshake is what an attacker
// on the path can produce at will, so the message must not go out in plaintext: the
// attempt is a temporary failure, and the queue delivers over TLS once the
// handshake works again. (RFC 3207 section 4.1 allows plaintext only to a server
// that never offered STARTTLS.)
func TestSTARTTLSFailureIsRetriedNotDowngraded(t *testing.T) {
	mta := mustMTA(t, "broken")
	e := newEnv(t, func(c *Config) { c.Port = mta.port })
	e.enqueue("alice@example.test", "bob@remote.test")
	ctx := testCtx(t)
	e.q.RunOnce(ctx)
	if got := mta.messages(); len(got) != 0 {
		t.Fatalf("remote got %+v after a failed handshake, want nothing (no plaintext fallback)", got)
	}
	items := e.items()
	if len(items) != 1 || items[0].Attempts != 1 || !strings.Contains(items[0].LastError, "TLS handshake") {
		t.Fatalf("after the failed handshake the queue holds %+v, want the item deferred with a TLS error", items)
	}
	if n := len(e.inbox()); n != 0 {
		t.Errorf("sender got %d notices for a temporary failure", n)
	}

	e.clock.Advance(time.Minute + time.Second)
	e.q.RunOnce(ctx) // still broken: still nothing in the clear
	if got := mta.messages(); len(got) != 0 {
		t.Fatalf("second attempt downgraded: remote got %+v", got)
	}

	mta.repairTLS(t)
	e.clock.Advance(5*time.Minute + time.Second)
	e.q.RunOnce(ctx)
	if got := mta.messages(); len(got) != 1 || !got[0].TLS || got[0].Data != testMsg {
		t.Fatalf("after the peer's TLS works again remote got %+v, want one delivery over TLS", got)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left after the delivery", n)
	}
}

// A peer that never advertises STARTTLS still gets the mail in plaintext
// (opportunistic TLS, RFC 3207 section 4.1).
func TestNoSTARTTLSOfferedDeliversInPlaintext(t *testing.T) {
	mta := mustMTA(t, "")
	e := newEnv(t, func(c *Config) { c.Port = mta.port })
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if got := mta.messages(); len(got) != 1 || got[0].TLS || got[0].Data != testMsg {
		t.Fatalf("remote got %+v, want one plaintext delivery", got)
	}
}

func TestMXPreferenceOrderSkipsDeadHost(t *testing.T) {
	// Two MTAs on the same port at 127.0.0.1 and 127.0.0.2; 127.0.0.3 has nobody.
	var primary, secondary *testMTA
	for i := 0; i < 20 && secondary == nil; i++ {
		p := mustMTA(t, "")
		s, err := startMTA(t, "127.0.0.2", p.port, "")
		if err == nil {
			primary, secondary = p, s
		}
	}
	if secondary == nil {
		t.Fatal("could not listen on 127.0.0.2 with a shared port")
	}
	e := newEnv(t, func(c *Config) { c.Port = primary.port })
	e.dns.setMX("pref.test", 30, "mx30.pref.test")
	e.dns.setMX("pref.test", 5, "mx5.pref.test")
	e.dns.setMX("pref.test", 10, "mx10.pref.test")
	e.dns.setA("mx5.pref.test", "127.0.0.3")  // down
	e.dns.setA("mx10.pref.test", "127.0.0.2") // the best live one
	e.dns.setA("mx30.pref.test", "127.0.0.1") // must not be used
	e.enqueue("alice@example.test", "x@pref.test")
	e.q.RunOnce(testCtx(t))

	if n := len(secondary.messages()); n != 1 {
		t.Errorf("preference-10 host got %d messages, want 1", n)
	}
	if n := len(primary.messages()); n != 0 {
		t.Errorf("preference-30 host got %d messages, want 0", n)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left", n)
	}
}

func TestNoMXFallsBackToA(t *testing.T) {
	e := newEnv(t, nil)
	e.dns.setA("plain.test", "127.0.0.1") // no MX at all: implicit MX (RFC 5321 5.1)
	e.enqueue("alice@example.test", "x@plain.test")
	e.q.RunOnce(testCtx(t))
	got := e.mta.messages()
	if len(got) != 1 || got[0].To[0] != "x@plain.test" {
		t.Fatalf("remote got %+v", got)
	}
}

func TestRetryAfterTempfail(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.rcptReply = func(n int, to string) error {
		if n == 1 {
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
		}
		return nil
	}
	e.enqueue("alice@example.test", "bob@remote.test")
	ctx := testCtx(t)
	e.q.RunOnce(ctx)

	items := e.items()
	if len(items) != 1 {
		t.Fatalf("%d items after a 4xx, want 1", len(items))
	}
	it := items[0]
	if it.Attempts != 1 || !strings.Contains(it.LastError, "451") {
		t.Errorf("after 4xx: attempts %d, last error %q", it.Attempts, it.LastError)
	}
	if want := e.clock.Now().Add(time.Minute); !it.NextAttempt.Equal(want) && it.NextAttempt.Sub(want).Abs() > time.Second {
		t.Errorf("next attempt %v, want %v (1 minute)", it.NextAttempt, want)
	}

	e.q.RunOnce(ctx) // not due yet: nothing happens
	if n := e.mta.rcptCount(); n != 1 {
		t.Errorf("retried before due: %d RCPTs", n)
	}
	e.clock.Advance(time.Minute + time.Second)
	e.q.RunOnce(ctx)
	if got := e.mta.messages(); len(got) != 1 || got[0].Data != testMsg {
		t.Fatalf("after retry remote got %+v", got)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left after successful retry", n)
	}
	if n := len(e.inbox()); n != 0 {
		t.Errorf("sender got %d notices", n)
	}
}

func TestRetrySchedule(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
		time.Hour, 2 * time.Hour, 2 * time.Hour}
	for i, w := range want {
		if got := retryDelay(i + 1); got != w {
			t.Errorf("delay after attempt %d = %v, want %v", i+1, got, w)
		}
	}
}

func TestDelayNoticeOnceAfterFourHours(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.rcptReply = func(int, string) error {
		return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "mailbox full")
	}
	e.enqueue("alice@example.test", "bob@remote.test")
	ctx := testCtx(t)
	e.q.RunOnce(ctx)
	e.clock.Advance(2 * time.Hour)
	e.q.RunOnce(ctx)
	if n := len(e.inbox()); n != 0 {
		t.Fatalf("delay notice after 2h (%d messages)", n)
	}
	e.clock.Advance(2*time.Hour + time.Minute)
	e.q.RunOnce(ctx)
	inbox := e.inbox()
	if len(inbox) != 1 {
		t.Fatalf("after 4h sender has %d messages, want 1 delay notice", len(inbox))
	}
	d := parseDSN(t, inbox[0])
	r := d.rcpt(t, "bob@remote.test")
	if r.Get("Action") != "delayed" || r.Get("Status") != "4.2.2" || r.Get("Will-Retry-Until") == "" {
		t.Errorf("delay notice recipient fields: %v", r)
	}
	if !strings.Contains(d.Returned, "Subject: hello over there") {
		t.Errorf("original headers missing: %q", d.Returned)
	}
	if items := e.items(); len(items) != 1 || !items[0].DelayNotified {
		t.Fatalf("item after notice: %+v", items)
	}
	e.clock.Advance(3 * time.Hour)
	e.q.RunOnce(ctx)
	if n := len(e.inbox()); n != 1 {
		t.Errorf("sender has %d messages after another retry, want still 1", n)
	}
}

func TestBounceOn5xx(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.rcptReply = func(_ int, to string) error {
		if to == "bob@remote.test" {
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
		}
		return nil
	}
	e.enqueue("alice@example.test", "bob@remote.test", "carol@remote.test")
	e.q.RunOnce(testCtx(t))

	if got := e.mta.messages(); len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "carol@remote.test" {
		t.Fatalf("remote got %+v, want carol only", got)
	}
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items left", n)
	}
	inbox := e.inbox()
	if len(inbox) != 1 {
		t.Fatalf("sender has %d messages, want 1 bounce", len(inbox))
	}
	if !strings.HasPrefix(inbox[0], "Return-Path: <>\r\n") {
		t.Errorf("bounce lacks the null Return-Path: %.60q", inbox[0])
	}
	d := parseDSN(t, inbox[0])
	if from := d.Header.Get("From"); !strings.Contains(from, "MAILER-DAEMON@mail.example.test") {
		t.Errorf("bounce From = %q", from)
	}
	if got := d.PerMessage.Get("Reporting-MTA"); got != "dns; mail.example.test" {
		t.Errorf("Reporting-MTA = %q", got)
	}
	if d.PerMessage.Get("Arrival-Date") == "" {
		t.Error("no Arrival-Date")
	}
	if len(d.PerRcpt) != 1 {
		t.Fatalf("bounce lists %d recipients, want only bob", len(d.PerRcpt))
	}
	r := d.rcpt(t, "bob@remote.test")
	for k, want := range map[string]string{
		"Action": "failed", "Status": "5.1.1", "Remote-MTA": "dns; mx.remote.test",
		"Diagnostic-Code": "smtp; 550 5.1.1 no such user",
	} {
		if got := r.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(d.Returned, "Message-ID: <m1@example.test>") || strings.Contains(d.Returned, "Hi Bob") {
		t.Errorf("returned headers = %q", d.Returned)
	}
	if !strings.Contains(d.Human, "bob@remote.test") {
		t.Errorf("human part does not name the recipient: %q", d.Human)
	}
}

func TestBounceOnDataReject(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.dataReply = func() error { return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "spam") }
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	inbox := e.inbox()
	if len(inbox) != 1 {
		t.Fatalf("sender has %d messages, want 1 bounce", len(inbox))
	}
	if s := parseDSN(t, inbox[0]).rcpt(t, "bob@remote.test").Get("Status"); s != "5.7.1" {
		t.Errorf("Status = %q", s)
	}
}

func TestExpiryBounce(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.rcptReply = func(int, string) error {
		return smtpErr(451, smtp.EnhancedCode{4, 4, 0}, "temporarily unavailable")
	}
	e.enqueue("alice@example.test", "bob@remote.test")
	ctx := testCtx(t)
	e.q.RunOnce(ctx)
	e.clock.Advance(DefaultRetryFor + time.Minute)
	e.q.RunOnce(ctx)

	if n := len(e.items()); n != 0 {
		t.Fatalf("%d items left after expiry", n)
	}
	inbox := e.inbox()
	if len(inbox) != 1 {
		t.Fatalf("sender has %d messages, want 1 failure DSN (and no delay notice)", len(inbox))
	}
	r := parseDSN(t, inbox[0]).rcpt(t, "bob@remote.test")
	if r.Get("Action") != "failed" || !strings.HasPrefix(r.Get("Status"), "4.") ||
		!strings.Contains(r.Get("Diagnostic-Code"), "expired") {
		t.Errorf("expiry DSN recipient fields: %v", r)
	}
}

func TestDNSOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name, domain string
		setup        func(*testDNS)
		bounce       string // expected Status, "" = stays queued
	}{
		{"null MX", "nullmx.test", func(d *testDNS) { d.setMX("nullmx.test", 0, ".") }, "5.1.10"},
		{"NXDOMAIN", "nx.test", func(d *testDNS) { d.setNX("nx.test") }, "5.1.2"},
		{"SERVFAIL", "broken.test", func(d *testDNS) { d.setServfail("broken.test") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tc.setup(e.dns)
			e.enqueue("alice@example.test", "x@"+tc.domain)
			e.q.RunOnce(testCtx(t))
			if n := e.mta.rcptCount(); n != 0 {
				t.Errorf("a server was contacted (%d RCPTs)", n)
			}
			items, inbox := e.items(), e.inbox()
			if tc.bounce == "" {
				if len(items) != 1 || len(inbox) != 0 {
					t.Fatalf("temporary DNS failure: %d items, %d bounces; want 1, 0", len(items), len(inbox))
				}
				return
			}
			if len(items) != 0 || len(inbox) != 1 {
				t.Fatalf("%d items, %d bounces; want 0, 1", len(items), len(inbox))
			}
			if s := parseDSN(t, inbox[0]).rcpt(t, "x@"+tc.domain).Get("Status"); s != tc.bounce {
				t.Errorf("Status = %q, want %q", s, tc.bounce)
			}
		})
	}
}

func TestNoBounceForNullSender(t *testing.T) {
	e := newEnv(t, nil)
	e.mta.rcptReply = func(int, string) error {
		return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
	}
	e.enqueue("", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if n := len(e.items()); n != 0 {
		t.Errorf("%d items queued after a failed bounce: a bounce of a bounce?", n)
	}
	if n := e.mta.rcptCount(); n != 1 {
		t.Errorf("remote saw %d RCPTs, want exactly the one failed attempt", n)
	}
	if n := len(e.inbox()); n != 0 {
		t.Errorf("%d notices", n)
	}
}

func TestBounceToRemoteSenderIsQueuedWithNullSender(t *testing.T) {
	e := newEnv(t, nil)
	e.dns.setMX("elsewhere.test", 10, "mx.remote.test")
	e.mta.rcptReply = func(_ int, to string) error {
		if to == "bob@remote.test" {
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
		}
		return nil
	}
	// A forwarded message: the envelope sender is someone elsewhere.
	e.enqueue("zed@elsewhere.test", "bob@remote.test")
	ctx := testCtx(t)
	e.q.RunOnce(ctx)
	items := e.items()
	if len(items) != 1 || items[0].From != "" || items[0].Recipients[0] != "zed@elsewhere.test" {
		t.Fatalf("queued bounce = %+v", items)
	}
	e.q.RunOnce(ctx)
	got := e.mta.messages()
	if len(got) != 1 || got[0].From != "" || got[0].To[0] != "zed@elsewhere.test" {
		t.Fatalf("remote got %+v, want the bounce from <>", got)
	}
	parseDSN(t, got[0].Data)
}

func TestInternationalizedAddress(t *testing.T) {
	e := newEnv(t, nil)
	// The MX of an IDN domain is looked up under its A-label (RFC 5890).
	e.dns.setMX("xn--r8jz45g.test", 10, "mx.remote.test")
	e.enqueue("alice@example.test", "ユーザー@例え.test")
	e.q.RunOnce(testCtx(t))
	got := e.mta.messages()
	if len(got) != 1 || got[0].To[0] != "ユーザー@例え.test" {
		t.Fatalf("remote got %+v", got)
	}
}

func TestTruncatedDNSAnswerRetriedOverTCP(t *testing.T) {
	e := newEnv(t, nil)
	if !e.dns.hasTCP {
		t.Skip("no TCP listener for the test DNS server")
	}
	e.dns.setMX("big.test", 10, "mx.remote.test")
	e.dns.mu.Lock()
	e.dns.truncate["big.test."] = true
	e.dns.mu.Unlock()
	e.enqueue("alice@example.test", "x@big.test")
	e.q.RunOnce(testCtx(t))
	if n := len(e.mta.messages()); n != 1 {
		t.Fatalf("remote got %d messages", n)
	}
}

// A bounce reaches a local sender whose mailbox is over its quota: the notice is
// small and has nowhere else to go, and without it the sender never learns that the
// mail did not arrive.
func TestBounceReachesSenderOverQuota(t *testing.T) {
	e := newEnv(t, nil)
	e.st.SetLimits(store.Limits{QuotaBytes: 10})
	e.mta.rcptReply = func(int, string) error {
		return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
	}
	e.enqueue("alice@example.test", "bob@remote.test")
	e.q.RunOnce(testCtx(t))
	if n := len(e.inbox()); n != 1 {
		t.Fatalf("sender over quota has %d messages, want the bounce", n)
	}
}
