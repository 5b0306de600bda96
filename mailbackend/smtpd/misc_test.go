package smtpd

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// What a client is told for each internal condition: throttled logins are temporary
// (the client retries later), store failures never leak and never bounce.
func TestReplyMapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		enh  string
	}{
		{fmt.Errorf("login: %w", auth.ErrThrottled), 454, "4.7.0"},
		{fmt.Errorf("login: %w", auth.ErrBusy), 454, "4.7.0"},
		{auth.ErrInvalidCredentials, 535, "5.7.8"},
		{fmt.Errorf("resolve: %w", store.ErrUnknownRecipient), 550, "5.1.1"},
		{fmt.Errorf("disk on fire"), 451, "4.3.0"},
		{temporary("deliver: %w", fmt.Errorf("database is locked")), 451, "4.3.0"},
		{errRelayDenied, 554, "5.7.1"},
	} {
		r := reply(tc.err)
		got := fmt.Sprintf("%d.%d.%d", r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2])
		if r.Code != tc.code || got != tc.enh {
			t.Errorf("%v: got %d %s, want %d %s", tc.err, r.Code, got, tc.code, tc.enh)
		}
		if strings.Contains(r.Message, "fire") || strings.Contains(r.Message, "locked") {
			t.Errorf("internal error leaked to the client: %q", r.Message)
		}
	}
}

func TestLoginMechanismDialog(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.sub) // loopback: plaintext AUTH allowed
	d.cmd("EHLO client.test", 250)
	// "Username:" and "Password:" in base64, as RFC 4954 section 4 carries them.
	if text := d.cmd("AUTH LOGIN", 334); !strings.Contains(text, "VXNlcm5hbWU6") {
		t.Fatalf("first challenge %q", text)
	}
	if text := d.cmd("Ym9iQGV4YW1wbGUudGVzdA==", 334); !strings.Contains(text, "UGFzc3dvcmQ6") {
		t.Fatalf("second challenge %q", text)
	}
	d.cmd("d3Jvbmc=", 535) // "wrong"
	// Initial response carrying the user name, then the password.
	d.cmd("AUTH LOGIN Ym9iQGV4YW1wbGUudGVzdA==", 334)
	d.cmd("Ym9iLXNlY3JldA==", 235) // "bob-secret"
	d.cmd("MAIL FROM:<bob@example.test>", 250)
}

func TestIdleClientIsDisconnected(t *testing.T) {
	e := newTestEnv(t, func(c *Config) { c.ReadTimeout = 300 * time.Millisecond }, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO slow.test", 250)
	// Say nothing: the server gives up with 421 4.4.2 and closes.
	if text := d.expect(421); !strings.Contains(text, "4.4.2") {
		t.Fatalf("idle reply %q", text)
	}
}

func TestScanBare(t *testing.T) {
	for _, tc := range []struct {
		in   []string // chunks as they arrive
		bare bool
	}{
		{[]string{"a\r\nb\r\n"}, false},
		{[]string{"a\r", "\nb\r\n"}, false},
		{[]string{"a\r", "b"}, true},
		{[]string{"a\n"}, true},
		{[]string{"a\r\r\n"}, true},
		{[]string{"a\r"}, true}, // readStrict: CR at the very end
		{[]string{"\r\n\r\n"}, false},
		{[]string{"x\r\n.\n"}, true},
	} {
		prevCR, bare := false, false
		for _, c := range tc.in {
			if !bare {
				bare, prevCR = scanBare([]byte(c), prevCR)
			}
		}
		if prevCR {
			bare = true
		}
		if bare != tc.bare {
			t.Errorf("%q: bare=%v, want %v", tc.in, bare, tc.bare)
		}
	}
}

// A store failure after RCPT is answered with a temporary error, so the sending
// server keeps the message and retries: nothing acknowledged is lost.
func TestStoreFailureIsTemporary(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	d := dialRaw(t, e.mx)
	d.cmd("EHLO sender.remote.test", 250)
	d.cmd("MAIL FROM:<carol@remote.test>", 250)
	d.cmd("RCPT TO:<alice@example.test>", 250)
	e.st.Close()
	d.cmd("DATA", 354)
	d.send("Subject: during an outage\r\n\r\nretry me\r\n.\r\n")
	if text := d.expect(451); !strings.Contains(text, "4.3.0") || strings.Contains(text, "closed") {
		t.Fatalf("store failure answered %q, want 451 4.3.0 without internals", text)
	}
	d.cmd("RCPT TO:<bob@example.test>", 502) // the transaction was reset (go-smtp says 502)
}

func TestCloseStopsServing(t *testing.T) {
	e := newTestEnv(t, nil, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Config{Hostname: testHost}, e.st, e.auth, nil, testLogger())
	done := make(chan error, 1)
	go func() { done <- srv.ServeMX(ln) }()
	d := dialRaw(t, ln.Addr().String())
	d.cmd("EHLO a.test", 250)
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeMX after Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeMX did not return after Close")
	}
	if _, err := d.r.ReadString('\n'); err == nil {
		t.Error("open connection not closed by Close")
	}
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second); err == nil {
		c.Close()
		t.Error("listener still accepting after Close")
	}
}

func TestScanDotCR(t *testing.T) {
	for _, tc := range []struct {
		chunks []string
		seen   bool
	}{
		{[]string{"DATA\r\nhi\r\n..stuffed\r\n.\r\nMAIL FROM:<a@b>\r\n"}, false},
		{[]string{"x\r\n.\rMAIL FROM"}, true},
		{[]string{"x\r", "\n", ".", "\r", "M"}, true},
		{[]string{"x\r\n.\r", "\n"}, false},
		{[]string{"x\n.\rM"}, false}, // bare LF: Data sees that one itself
		{[]string{".\rM"}, false},    // not after a CRLF (on the wire, DATA's own CRLF comes first)
	} {
		c := &connInfo{}
		for _, ch := range tc.chunks {
			c.scanDotCR([]byte(ch))
		}
		if got := c.dotCRSeen.Load(); got != tc.seen {
			t.Errorf("%q: seen=%v, want %v", tc.chunks, got, tc.seen)
		}
	}
}
