package main

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"
)

// End-to-end tests of the product as a small office uses it: accounts made with the
// CLI, the real `yubin serve` binary, and mail clients other people wrote (swaks,
// Python's imaplib and poplib) talking to it over loopback.

const (
	alicePW = "alice-e2e-secret"
	bobPW   = "bob-e2e-secret"
)

// iso2022jpWord is an RFC 2047 encoded word in ISO-2022-JP, as Japanese mail clients
// have written subjects for decades.
func iso2022jpWord(t *testing.T, s string) string {
	t.Helper()
	b, err := japanese.ISO2022JP.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return "=?ISO-2022-JP?B?" + base64.StdEncoding.EncodeToString(b) + "?="
}

// TestE2EOfficeMail: accounts and an alias from the CLI; Japanese mail submitted with
// swaks over STARTTLS + AUTH; read with imaplib over IMAPS; a POP3 deletion seen by the
// open IMAP session; mail from outside to a plus address on the MX port.
func TestE2EOfficeMail(t *testing.T) {
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	e2eUser(t, cfg, "bob@example.test", bobPW)
	mustRun(t, "", "alias", "add", "info@example.test", "alice@example.test", "bob@example.test", "--config", cfg)
	srv := e2eStartServe(t, cfg)

	subjA := "会議の議事録について"
	bodyA := "山田さん、お疲れさまです。\n明日の会議は十時からです。"
	e2eSubmit(t, srv, "alice@example.test", alicePW, "alice@example.test",
		"--header", "Subject: "+mime.BEncoding.Encode("UTF-8", subjA),
		"--add-header", "MIME-Version: 1.0",
		"--add-header", "Content-Type: text/plain; charset=UTF-8",
		"--add-header", "Content-Transfer-Encoding: 8bit",
		"--body", bodyA)

	subjB := "【至急】見積書の件"
	bodyB := "見積書を添付いたします。ご確認ください。"
	isoBody, err := japanese.ISO2022JP.NewEncoder().String(bodyB)
	if err != nil {
		t.Fatal(err)
	}
	e2eSubmit(t, srv, "alice@example.test", alicePW, "info@example.test",
		"--header", "Subject: "+iso2022jpWord(t, subjB),
		"--add-header", "MIME-Version: 1.0",
		"--add-header", "Content-Type: text/plain; charset=ISO-2022-JP",
		"--add-header", "Content-Transfer-Encoding: 7bit",
		"--body", isoBody)

	// One imaplib session stays open across a POP3 session that deletes the oldest
	// message; its NOOP must then report the EXPUNGE (both read one spool).
	res := e2ePython(t, `
m = imaps('alice@example.test', ARGS['pw'])
typ, data = m.select('INBOX')
exists_before = int(check(typ, data, 'SELECT')[0])
typ, data = m.fetch('1:*', '(UID ENVELOPE BODY.PEEK[TEXT] BODYSTRUCTURE)')
msgs = parse_fetch(check(typ, data, 'FETCH'))
fetched = []
for x in msgs:
    bs = x['BODYSTRUCTURE']
    charset = None
    if isinstance(bs, list) and len(bs) > 2 and isinstance(bs[2], list):
        params = [v.decode() if v else '' for v in bs[2]]
        charset = dict(zip([k.lower() for k in params[0::2]], params[1::2])).get('charset')
    fetched.append({'uid': int(x['UID']), 'subject': decode_header(x['ENVELOPE'][1]),
                    'text': x['BODY[TEXT]'].decode(charset or 'utf-8', 'replace'), 'charset': charset})

h, p = hp(ARGS['pop3'])
pop = poplib.POP3(h, p, timeout=15)
pop.stls(context=tlsctx())
pop.user('alice@example.test')
pop.pass_(ARGS['pw'])
count, size = pop.stat()
listing = [l.decode() for l in pop.list()[1]]
pop.dele(1)
pop.quit()

expunged = []
deadline = time.time() + 10
while time.time() < deadline and not expunged:
    m.noop()
    expunged = [int(x) for x in m.response('EXPUNGE')[1] if x is not None]
    if not expunged:
        time.sleep(0.2)
typ, data = m.search(None, 'ALL')
after = check(typ, data, 'SEARCH')[0].split()
typ, data = m.fetch('1:*', '(UID ENVELOPE)')
left = [decode_header(x['ENVELOPE'][1]) for x in parse_fetch(check(typ, data, 'FETCH'))]
m.logout()
print(json.dumps({'exists_before': exists_before, 'fetched': fetched, 'pop_count': count,
                  'pop_list': listing, 'expunged': expunged, 'after': len(after), 'left': left}))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "pop3": srv.addr(t, "POP3 (STLS)"), "pw": alicePW})

	if n := res["exists_before"].(float64); n != 2 {
		t.Fatalf("alice's INBOX holds %v messages, want 2 (one direct, one through info@): %v", n, res)
	}
	fetched := res["fetched"].([]any)
	first, second := fetched[0].(map[string]any), fetched[1].(map[string]any)
	if first["subject"] != subjA || second["subject"] != subjB {
		t.Errorf("IMAP ENVELOPE subjects decode to %q and %q, want %q and %q", first["subject"], second["subject"], subjA, subjB)
	}
	for i, want := range []string{bodyA, bodyB} {
		m := fetched[i].(map[string]any)
		if got := strings.ReplaceAll(m["text"].(string), "\r\n", "\n"); !strings.Contains(got, want) {
			t.Errorf("message %d BODY[TEXT] in charset %v = %q, want it to contain %q", i+1, m["charset"], got, want)
		}
	}
	if second["charset"] == nil || !strings.EqualFold(second["charset"].(string), "ISO-2022-JP") {
		t.Errorf("BODYSTRUCTURE charset of the ISO-2022-JP message: %v", second["charset"])
	}
	if res["pop_count"].(float64) != 2 || len(res["pop_list"].([]any)) != 2 {
		t.Errorf("POP3 STAT/LIST: %v messages, list %v; want 2", res["pop_count"], res["pop_list"])
	}
	if exp := res["expunged"].([]any); len(exp) != 1 || exp[0].(float64) != 1 {
		t.Errorf("the open IMAP session saw EXPUNGE %v after POP3 DELE 1 + QUIT, want [1]", exp)
	}
	if res["after"].(float64) != 1 || fmt.Sprint(res["left"]) != fmt.Sprint([]any{subjB}) {
		t.Errorf("after the POP3 deletion IMAP shows %v message(s) %v, want only %q", res["after"], res["left"], subjB)
	}

	// Bob got the alias copy; he reads it over POP3S.
	res = e2ePython(t, `
h, p = hp(ARGS['pop3s'])
pop = poplib.POP3_SSL(h, p, context=tlsctx(), timeout=15)
pop.user('bob@example.test')
pop.pass_(ARGS['pw'])
count, _ = pop.stat()
raw = b'\r\n'.join(pop.retr(1)[1]) if count else b''
pop.quit()
msg = email.message_from_bytes(raw)
print(json.dumps({'count': count, 'subject': decode_header(msg['Subject']),
                  'body': (msg.get_payload(decode=True) or b'').decode(msg.get_content_charset() or 'ascii', 'replace'),
                  'to': msg['To']}))
`, map[string]any{"pop3s": srv.addr(t, "POP3S"), "pw": bobPW})
	if res["count"].(float64) != 1 || res["subject"] != subjB || !strings.Contains(res["body"].(string), bodyB) {
		t.Errorf("bob's POP3S maildrop: %v", res)
	}

	// Mail from the internet to a plus address, on the MX port with STARTTLS.
	out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--tls",
		"--from", "partner@outside.test", "--to", "alice+invoices@example.test",
		"--helo", "mx.outside.test", "--header", "Subject: invoice 2026-11", "--body", "Please find the invoice.")
	if code != 0 || !strings.Contains(out, "<-  250") {
		t.Fatalf("swaks to the MX port: exit %d\n%s", code, out)
	}
	res = e2ePython(t, `
m = imaps('alice@example.test', ARGS['pw'])
uv, msgs = inbox_state(m)
hdr = b''
for x in msgs:
    if x['subject'] == 'invoice 2026-11':
        typ, data = m.uid('FETCH', str(x['uid']), '(BODY.PEEK[HEADER])')
        hdr = parse_fetch(check(typ, data, 'FETCH'))[0]['BODY[HEADER]']
m.logout()
msg = email.message_from_bytes(hdr)
print(json.dumps({'subjects': [x['subject'] for x in msgs], 'return_path': msg['Return-Path'],
                  'to': msg['To'], 'received': msg.get_all('Received') or []}))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "pw": alicePW})
	if !strings.Contains(fmt.Sprint(res["subjects"]), "invoice 2026-11") {
		t.Fatalf("mail to alice+invoices@ is not in alice's INBOX: %v", res["subjects"])
	}
	if rp, _ := res["return_path"].(string); rp != "<partner@outside.test>" {
		t.Errorf("Return-Path of the MX delivery = %q, want <partner@outside.test>", rp)
	}
	if rcv := fmt.Sprint(res["received"]); !strings.Contains(rcv, "mail.example.test") {
		t.Errorf("no Received header naming our host: %s", rcv)
	}
	srv.stop(t)
}

var refusal5xx = regexp.MustCompile(`(?m)^\s*<[*~]\* 5\d\d `)

// relayConfig points the outbound queue at the loopback DNS server and the remote
// MTA's port.
func relayConfig(dnsAddr string, remotePort string) string {
	return fmt.Sprintf("[delivery]\nresolver = %q\nport = %s\n", dnsAddr, remotePort)
}

// TestE2ERelay: an authenticated user's mail to another domain leaves through the
// queue to that domain's MX; an unauthenticated relay attempt on the MX port is
// refused and nothing of it leaves.
func TestE2ERelay(t *testing.T) {
	dnsAddr := e2eStartDNS(t)
	remote := e2eStartRemote(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(remote.addr)
	cfg := testConfig(t, relayConfig(dnsAddr, port))
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)

	// An outsider tries to use us as a relay, plainly and through the % hack.
	for _, rcpt := range []string{"bob@remote.test", "bob%remote.test@example.test"} {
		out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--tls",
			"--from", "spammer@outside.test", "--to", rcpt, "--header", "Subject: relay me")
		// swaks marks an error reply "<** " in plaintext and "<~* " inside TLS.
		if code == 0 || !refusal5xx.MatchString(out) {
			t.Errorf("unauthenticated relay to %s on the MX port: exit %d, want a 5xx refusal\n%s", rcpt, code, out)
		}
	}
	// Nothing of it was queued, so nothing of it can ever reach the remote server.
	if out := e2eQueueList(t, cfg); !strings.Contains(out, "queue is empty") {
		t.Errorf("a refused relay attempt left something in the queue:\n%s", out)
	}

	subj := "見積もりのお願い"
	e2eSubmit(t, srv, "alice@example.test", alicePW, "bob@remote.test",
		"--header", "Subject: "+mime.BEncoding.Encode("UTF-8", subj), "--body", "relay body line")
	remote.waitFor(t, 1, 20*time.Second)
	e2eWaitQueueEmpty(t, cfg, 10*time.Second)
	if got := remote.received(); len(got) != 1 {
		t.Fatalf("remote MTA received %d messages, want 1: %+v", len(got), got)
	}
	m := remote.received()[0]
	if m.From != "alice@example.test" || fmt.Sprint(m.To) != "[bob@remote.test]" {
		t.Errorf("remote MTA got MAIL FROM %q RCPT %v", m.From, m.To)
	}
	if !strings.Contains(m.Data, mime.BEncoding.Encode("UTF-8", subj)) || !strings.Contains(m.Data, "relay body line") {
		t.Errorf("relayed message lost its subject or body:\n%s", m.Data)
	}
	if !strings.Contains(m.Data, "Received: ") || !strings.Contains(m.Data, "mail.example.test") {
		t.Errorf("relayed message has no Received header from us:\n%s", m.Data)
	}
	if strings.Contains(m.Data, "relay me") {
		t.Errorf("the refused relay attempt reached the remote server")
	}
	// It arrives signed with both of example.test's keys, and the remote side can
	// verify both from the records `yubin dns records` tells the admin to publish.
	e2eVerifyDKIM(t, cfg, m.Data, 2)
	srv.stop(t)
}

// TestE2ERestartKeepsMailAndUIDs: after a SIGTERM and a new start on the same
// data_dir, mail, flags, UIDs, UIDVALIDITY and POP3 UIDLs are what they were, and a
// new message gets a UID above every earlier one, including an expunged one.
func TestE2ERestartKeepsMailAndUIDs(t *testing.T) {
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)
	for i := 1; i <= 4; i++ {
		e2eSubmit(t, srv, "alice@example.test", alicePW, "alice@example.test",
			"--header", fmt.Sprintf("Subject: durable %d", i), "--body", fmt.Sprintf("body %d", i))
	}
	// Flag one message, and expunge the newest so the next UID must skip its UID.
	before := e2ePython(t, `
m = imaps('alice@example.test', ARGS['pw'])
uv, msgs = inbox_state(m)
check(*m.uid('STORE', str(msgs[1]['uid']), '+FLAGS', '(\\Flagged)'), 'STORE')
check(*m.uid('STORE', str(msgs[-1]['uid']), '+FLAGS', '(\\Deleted)'), 'STORE')
check(*m.expunge(), 'EXPUNGE')
expunged_uid = msgs[-1]['uid']
uv, msgs = inbox_state(m)
m.logout()
print(json.dumps({'uidvalidity': uv, 'msgs': msgs, 'expunged_uid': expunged_uid}))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "pw": alicePW})
	uidlScript := `
h, p = hp(ARGS['pop3s'])
pop = poplib.POP3_SSL(h, p, context=tlsctx(), timeout=15)
pop.user('alice@example.test')
pop.pass_(ARGS['pw'])
uidl = [l.decode() for l in pop.uidl()[1]]
pop.quit()
print(json.dumps({'uidl': uidl}))
`
	uidlBefore := e2ePython(t, uidlScript, map[string]any{"pop3s": srv.addr(t, "POP3S"), "pw": alicePW})
	if n := len(before["msgs"].([]any)); n != 3 {
		t.Fatalf("before the restart alice has %d messages, want 3: %v", n, before)
	}
	if len(uidlBefore["uidl"].([]any)) != 3 {
		t.Fatalf("POP3 UIDL before the restart: %v", uidlBefore)
	}
	srv.stop(t)

	srv = e2eStartServe(t, cfg)
	after := e2ePython(t, `
m = imaps('alice@example.test', ARGS['pw'])
uv, msgs = inbox_state(m)
m.logout()
print(json.dumps({'uidvalidity': uv, 'msgs': msgs}))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "pw": alicePW})
	if after["uidvalidity"] != before["uidvalidity"] {
		t.Errorf("UIDVALIDITY changed across the restart: %v → %v", before["uidvalidity"], after["uidvalidity"])
	}
	// \Recent is left out: the server keeps "already seen by a session" in memory, so
	// after a restart messages are \Recent once more (RFC 3501 section 2.3.2 says a
	// later session should not see it; reported). IMAP4rev2 dropped the flag, and no
	// user notices it; mail, UIDs and their own flags are what they notice.
	if withoutRecent(after["msgs"]) != withoutRecent(before["msgs"]) {
		t.Errorf("INBOX changed across the restart:\nbefore %v\nafter  %v", before["msgs"], after["msgs"])
	}
	uidlAfter := e2ePython(t, uidlScript, map[string]any{"pop3s": srv.addr(t, "POP3S"), "pw": alicePW})
	if fmt.Sprint(uidlAfter["uidl"]) != fmt.Sprint(uidlBefore["uidl"]) {
		t.Errorf("POP3 UIDL changed across the restart:\nbefore %v\nafter  %v", uidlBefore["uidl"], uidlAfter["uidl"])
	}

	e2eSubmit(t, srv, "alice@example.test", alicePW, "alice@example.test",
		"--header", "Subject: after restart", "--body", "new")
	latest := e2ePython(t, `
m = imaps('alice@example.test', ARGS['pw'])
uv, msgs = inbox_state(m)
m.logout()
print(json.dumps({'uidvalidity': uv, 'msgs': msgs}))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "pw": alicePW})
	msgs := latest["msgs"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)
	if last["subject"] != "after restart" || last["uid"].(float64) <= before["expunged_uid"].(float64) {
		t.Errorf("new message after the restart: %v; its UID must exceed the expunged UID %v", last, before["expunged_uid"])
	}
	srv.stop(t)
}

// withoutRecent prints inbox_state's message list without \Recent flags.
func withoutRecent(msgs any) string {
	return strings.ReplaceAll(strings.ReplaceAll(fmt.Sprint(msgs), ` \Recent`, ""), `\Recent`, "")
}

// TestE2EQueueSurvivesRestart: mail for a remote domain whose MX is down stays queued
// with the reason shown by `yubin queue list`; it is still there after a restart and
// leaves once the MX is back and `yubin queue retry --all` makes it due.
func TestE2EQueueSurvivesRestart(t *testing.T) {
	dnsAddr := e2eStartDNS(t)
	// A port nobody listens on: the remote MX is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	remoteAddr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(remoteAddr)
	cfg := testConfig(t, relayConfig(dnsAddr, port))
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)

	e2eSubmit(t, srv, "alice@example.test", alicePW, "carol@remote.test",
		"--header", "Subject: waits for the MX", "--body", "queued body")
	var row e2eQueueRow
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := e2eQueueList(t, cfg)
		rows := e2eParseQueue(out)
		if len(rows) == 1 && rows[0].attempts >= 1 {
			row = rows[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed delivery attempt shown by queue list within 15 s:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if row.from != "alice@example.test" || row.rcpts != "carol@remote.test" || row.lastError == "" {
		t.Errorf("queue list row: %+v; want alice → carol@remote.test with a last error", row)
	}
	srv.stop(t)

	remote := e2eStartRemote(t, remoteAddr)
	srv = e2eStartServe(t, cfg)
	if rows := e2eParseQueue(e2eQueueList(t, cfg)); len(rows) != 1 || rows[0].id != row.id {
		t.Fatalf("the queued message did not survive the restart: %+v", rows)
	}
	if out := mustRun(t, "", "queue", "retry", "--all", "--config", cfg); !strings.Contains(out, "due now") {
		t.Errorf("queue retry --all said %q", out)
	}
	got := remote.waitFor(t, 1, 20*time.Second)
	if got[0].From != "alice@example.test" || fmt.Sprint(got[0].To) != "[carol@remote.test]" ||
		!strings.Contains(got[0].Data, "waits for the MX") || !strings.Contains(got[0].Data, "queued body") {
		t.Errorf("remote MTA got %+v", got[0])
	}
	e2eWaitQueueEmpty(t, cfg, 10*time.Second)
	if len(remote.received()) != 1 {
		t.Errorf("remote MTA received %d copies, want 1", len(remote.received()))
	}
	srv.stop(t)
}

// TestE2EConfigDomainsAreLocalForCLI: an administrator who lists the office's domain
// in the config and then adds the first account (before ever starting the server)
// must not be told the domain is not local.
func TestE2EConfigDomainsAreLocalForCLI(t *testing.T) {
	cfg := testConfig(t, "")
	_, errs, code := yubin(t, "pw\n", "user", "add", "alice@example.test", "--password-stdin", "--config", cfg)
	if code != 0 {
		t.Fatalf("domains = [\"example.test\"] in the config, but "+
			"`yubin user add alice@example.test` before the first serve fails: %s", strings.TrimSpace(errs))
	}
	if out := mustRun(t, "", "user", "list", "--config", cfg); !strings.Contains(out, "alice@example.test") {
		t.Errorf("user list after adding alice:\n%s", out)
	}
}
