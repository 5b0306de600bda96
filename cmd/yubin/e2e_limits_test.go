package main

import (
	"strings"
	"testing"
)

// TestE2ELimits: the [limits] keys and `yubin user quota` on the real binary, with
// swaks and imaplib. The quota is set while the server runs (the CLI shares the
// spool), delivery to the full account is refused with 452 4.2.2 while the other
// recipient gets the mail, imaplib's APPEND gets OVERQUOTA, and the outside sender
// is held to its hourly count with 451.
func TestE2ELimits(t *testing.T) {
	cfg := testConfig(t, "[limits]\ninbound_per_ip_per_hour = 4\n")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	e2eUser(t, cfg, "bob@example.test", bobPW)
	srv := e2eStartServe(t, cfg)
	mx := srv.addr(t, "SMTP (MX)")
	if out := mustRun(t, "", "user", "quota", "bob@example.test", "2KB", "--config", cfg); !strings.Contains(out, "0 B / 2.0 KiB") {
		t.Errorf("user quota said:\n%s", out)
	}

	big := strings.Repeat("0123456789 abcdefghijklmnopqrstuvwxyz\n", 100) // ~4 KB
	from := []string{"--from", "carol@remote.test", "--header", "Subject: quarterly report"}
	// 1: bob and alice, the message too big for bob: 452 at DATA, nobody gets it.
	out, code := e2eSwaks(t, mx, append(from, "--to", "bob@example.test,alice@example.test", "--body", big)...)
	if code == 0 || !strings.Contains(out, "<** 452 4.2.2") {
		t.Fatalf("message over bob's quota: exit %d\n%s", code, out)
	}
	// 2: the sender's retry: bob is refused at RCPT, alice gets it.
	out, code = e2eSwaks(t, mx, append(from, "--to", "bob@example.test,alice@example.test", "--body", big)...)
	if !strings.Contains(out, "<** 452 4.2.2") || !strings.Contains(out, "<-  250") {
		t.Fatalf("retry: exit %d\n%s", code, out)
	}

	res := e2ePython(t, `
a = imaps('alice@example.test', ARGS['alice'])
typ, data = a.select('INBOX')
alice = int(check(typ, data, 'SELECT')[0])
b = imaps('bob@example.test', ARGS['bob'])
typ, data = b.select('INBOX')
bob = int(check(typ, data, 'SELECT')[0])
msg = b'From: bob@example.test\r\nSubject: draft\r\n\r\n' + b'x' * 3000 + b'\r\n'
typ, data = b.append('Drafts', None, None, msg)
print(json.dumps({'alice': alice, 'bob': bob, 'append': typ + ' ' + data[0].decode()}))
`, map[string]any{"imaps": srv.addr(t, "IMAPS"), "alice": alicePW, "bob": bobPW})
	if res["alice"] != float64(1) || res["bob"] != float64(0) {
		t.Errorf("after the retry alice has %v and bob %v messages, want 1 and 0", res["alice"], res["bob"])
	}
	if a, _ := res["append"].(string); !strings.HasPrefix(a, "NO [OVERQUOTA]") {
		t.Errorf("imaplib APPEND past the quota: %q", a)
	}

	// 3, 4: within the hourly count; 5: 451, and the mail stays with the sender.
	for i := 3; i <= 5; i++ {
		out, code = e2eSwaks(t, mx, append(from, "--to", "alice@example.test", "--body", "short")...)
		if i <= 4 && code != 0 {
			t.Fatalf("message %d within the hourly limit: exit %d\n%s", i, code, out)
		}
	}
	if code == 0 || !strings.Contains(out, "<** 451 4.7.0") {
		t.Fatalf("fifth message from one IP in an hour: exit %d\n%s", code, out)
	}
}
