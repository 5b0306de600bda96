package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/internal/ldaptest"
)

// ldapSection is the [ldap] section for a test slapd: StartTLS on its ldap:// URL,
// verified against caFile, only members of the mail group.
func ldapSection(srv *ldaptest.Server, caFile string) string {
	return fmt.Sprintf(`[ldap]
url = %q
bind_dn = %q
bind_password = %q
base_dn = %q
group_filter = %q
tls_ca = %q
cache_seconds = 300
timeout_seconds = 3
`, srv.URL, ldaptest.ServiceDN, ldaptest.ServicePassword, ldaptest.BaseDN, ldaptest.GroupFilter, caFile)
}

// imapLoginErr logs in over IMAP (STARTTLS) and returns the server's refusal, if any.
func imapLoginErr(t *testing.T, srv *e2eServer, user, pw string) error {
	t.Helper()
	c, err := imapclient.DialStartTLS(srv.addr(t, "IMAP (STARTTLS)"), &imapclient.Options{TLSConfig: insecureTLS()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Login(user, pw).Wait()
}

// insecureTLS trusts the server's self-signed certificate (the test made it).
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

// inboxSubjects lists the subjects in user's INBOX, read over IMAP.
func inboxSubjects(t *testing.T, srv *e2eServer, user, pw string) []string {
	t.Helper()
	c := e2eIMAP(t, srv, user, pw)
	defer c.Logout()
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("FETCH %s's INBOX: %v", user, err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Envelope.Subject)
	}
	return out
}

// An office whose people are all in the directory: they sign in over IMAP, POP3,
// SMTP AUTH and the webmail with their directory password, receive mail at their
// extra addresses, and a local account keeps working beside them.
func TestE2ELDAPAccounts(t *testing.T) {
	dir := ldaptest.Start(t)
	cfg := testConfig(t, ldapSection(dir, dir.CAFile))
	e2eUser(t, cfg, "admin@example.test", alicePW) // a local account beside the directory
	srv := e2eStartServe(t, cfg)
	alice, carol := ldaptest.Alice, ldaptest.Carol

	if err := imapLoginErr(t, srv, alice.Mail, alice.Password); err != nil {
		t.Fatalf("IMAP login of a directory user: %v", err)
	}
	for _, c := range []struct{ who, user, pw string }{
		{"wrong password", alice.Mail, "not-" + alice.Password},
		{"user outside the mail group", carol.Mail, carol.Password},
		{"an extra address is no login name", "info@example.test", alice.Password},
		{"unknown user", "nobody@example.test", alice.Password},
	} {
		err := imapLoginErr(t, srv, c.user, c.pw)
		var ie *imap.Error
		if !errors.As(err, &ie) || ie.Code == imap.ResponseCodeUnavailable {
			t.Errorf("IMAP login, %s: %v; want NO (authentication failed)", c.who, err)
		}
	}
	if err := imapLoginErr(t, srv, "admin@example.test", alicePW); err != nil {
		t.Errorf("local account's IMAP login beside the directory: %v", err)
	}

	// SMTP AUTH as the directory user, to her own extra address, and as that address:
	// a directory user may send as each of her extra addresses, not as another's.
	e2eSubmit(t, srv, alice.Mail, alice.Password, "info@example.test", "--header", "Subject: via submission")
	out, code := e2eSwaks(t, srv.addr(t, "submission (STARTTLS)"), "--tls", "--auth", "PLAIN",
		"--auth-user", alice.Mail, "--auth-password", alice.Password, "--from", "hanako.yamada@example.test",
		"--to", "admin@example.test")
	if code != 0 {
		t.Errorf("directory user sending as her extra address: exit %d\n%s", code, out)
	}
	out, code = e2eSwaks(t, srv.addr(t, "submission (STARTTLS)"), "--tls", "--auth", "PLAIN",
		"--auth-user", alice.Mail, "--auth-password", alice.Password, "--from", "bob@example.test",
		"--to", "admin@example.test")
	if code == 0 || !strings.Contains(out, "553 5.7.1") {
		t.Errorf("directory user sending as another directory user: exit %d, want 553 5.7.1\n%s", code, out)
	}
	out, code = e2eSwaks(t, srv.addr(t, "submission (STARTTLS)"), "--tls", "--auth", "PLAIN",
		"--auth-user", alice.Mail, "--auth-password", "wrong", "--from", alice.Mail, "--to", "admin@example.test")
	if code == 0 || !strings.Contains(out, "535 5.7.8") {
		t.Errorf("SMTP AUTH with a wrong directory password: exit %d\n%s", code, out)
	}
	// Port 25: an extra address is accepted, an unknown one refused at RCPT.
	out, code = e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test",
		"--to", "hanako.yamada@example.test", "--header", "Subject: via MX")
	if code != 0 {
		t.Fatalf("MX delivery to a directory user's extra address: exit %d\n%s", code, out)
	}
	for _, rcpt := range []string{"nobody@example.test", carol.Mail} {
		out, code = e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test", "--to", rcpt)
		if code == 0 || !strings.Contains(out, "550 5.1.1") {
			t.Errorf("MX to %s (not a mail user): exit %d, want 550 5.1.1\n%s", rcpt, code, out)
		}
	}
	got := inboxSubjects(t, srv, alice.Mail, alice.Password)
	if strings.Join(got, "|") != "via submission|via MX" {
		t.Errorf("alice's INBOX: %q, want the two messages to her extra addresses", got)
	}

	pop, _ := e2ePOP3(t, srv, alice.Mail, alice.Password)
	pop.Close()
	e2eWebmail(t, srv, alice.Mail, alice.Password)

	// The password of a directory user lives in the directory.
	if _, errs, code := yubin(t, "x-secret\n", "user", "passwd", alice.Mail, "--password-stdin", "--config", cfg); code != 1 || !strings.Contains(errs, "change the password in the directory") {
		t.Errorf("user passwd of a directory user: exit %d, %q; want a refusal", code, errs)
	}

	// `yubin user list` shows the directory user's mailbox, marked.
	list := mustRun(t, "", "user", "list", "--config", cfg)
	if !strings.Contains(list, alice.Mail) || !regexpLine(list, alice.Mail, "ldap") || regexpLine(list, "admin@example.test", "ldap") {
		t.Errorf("user list does not mark the directory user (and only her):\n%s", list)
	}
}

// regexpLine reports whether the line of out that starts with first also holds word.
func regexpLine(out, first, word string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, first) {
			return strings.Contains(l, word)
		}
	}
	return false
}

// A directory outage defers, never bounces: RCPT gets 451 4.4.3 and a login NO
// [UNAVAILABLE]; once slapd is back the same message is accepted and delivered.
func TestE2ELDAPOutage(t *testing.T) {
	dir := ldaptest.Start(t)
	cfg := testConfig(t, ldapSection(dir, dir.CAFile))
	srv := e2eStartServe(t, cfg)
	bob := ldaptest.Bob

	dir.Stop()
	send := func() (string, int) {
		return e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test",
			"--to", bob.Mail, "--header", "Subject: during the outage")
	}
	out, code := send()
	if code == 0 || !strings.Contains(out, "451 4.4.3") {
		t.Fatalf("MX to a directory user while slapd is down: exit %d, want 451 4.4.3\n%s", code, out)
	}
	err := imapLoginErr(t, srv, bob.Mail, bob.Password)
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeUnavailable {
		t.Fatalf("IMAP login while slapd is down: %v; want NO [UNAVAILABLE]", err)
	}
	out, code = e2eSwaks(t, srv.addr(t, "submission (STARTTLS)"), "--tls", "--auth", "PLAIN",
		"--auth-user", bob.Mail, "--auth-password", bob.Password, "--from", bob.Mail, "--to", "x@remote.test")
	if code == 0 || !strings.Contains(out, "454 4.7.0") {
		t.Errorf("SMTP AUTH while slapd is down: exit %d, want 454 4.7.0\n%s", code, out)
	}
	if l := pop3Reply(t, srv, bob.Mail, bob.Password); !strings.HasPrefix(l, "-ERR [SYS/TEMP]") {
		t.Errorf("POP3 login while slapd is down: %q, want -ERR [SYS/TEMP]", l)
	}
	// The webmail says the server cannot check the sign-in now, not "too many
	// failed sign-ins" (429) and not "wrong password" (401).
	if code := webmailLoginStatus(t, srv, bob.Mail, bob.Password); code != http.StatusBadGateway {
		t.Errorf("webmail sign-in while slapd is down: %d, want 502 (the server cannot be reached)", code)
	}

	dir.Restart()
	if out, code := send(); code != 0 {
		t.Fatalf("the sender's retry once slapd is back: exit %d\n%s", code, out)
	}
	if got := inboxSubjects(t, srv, bob.Mail, bob.Password); len(got) != 1 || got[0] != "during the outage" {
		t.Fatalf("bob's INBOX after the retry: %q", got)
	}
}

// A directory whose certificate does not verify against tls_ca is never used in
// plaintext instead: logins are temporarily refused.
func TestE2ELDAPWrongCA(t *testing.T) {
	dir := ldaptest.Start(t)
	cfg := testConfig(t, ldapSection(dir, dir.OtherCAFile))
	srv := e2eStartServe(t, cfg)
	err := imapLoginErr(t, srv, ldaptest.Alice.Mail, ldaptest.Alice.Password)
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeUnavailable {
		t.Fatalf("IMAP login with a directory behind an unknown CA: %v; want NO [UNAVAILABLE]", err)
	}
}

// `yubin ldap test` tells the admin what the directory says about an address, and
// exits non-zero for an address that is no mail user or a directory that is down.
func TestLDAPTestCommand(t *testing.T) {
	dir := ldaptest.Start(t)
	cfg := testConfig(t, ldapSection(dir, dir.CAFile))
	out := mustRun(t, "", "ldap", "test", "Alice@example.test", "--config", cfg)
	for _, want := range []string{ldaptest.Alice.DN(), "山田 花子", "info@example.test, hanako.yamada@example.test",
		"group_filter:     member", "none yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("ldap test alice: no %q in\n%s", want, out)
		}
	}
	out = mustRun(t, "", "ldap", "test", "info@example.test", "--config", cfg)
	if !strings.Contains(out, "found by mailAlternateAddress") || !strings.Contains(out, "mail:             alice@example.test") {
		t.Errorf("ldap test of an extra address:\n%s", out)
	}
	out = mustRun(t, ldaptest.Alice.Password+"\n", "ldap", "test", "alice@example.test", "--password-stdin", "--config", cfg)
	if !strings.Contains(out, "accepted by the directory") {
		t.Errorf("ldap test with the right password:\n%s", out)
	}
	out = mustRun(t, "wrong\n", "ldap", "test", "alice@example.test", "--password-stdin", "--config", cfg)
	if !strings.Contains(out, "refused by the directory") {
		t.Errorf("ldap test with a wrong password:\n%s", out)
	}
	for _, c := range []struct{ addr, want string }{
		{ldaptest.Carol.Mail, "not a member"},
		{"nobody@example.test", "entry:      none"},
	} {
		out, errs, code := yubin(t, "", "ldap", "test", c.addr, "--config", cfg)
		if code != 1 || !strings.Contains(out, c.want) || !strings.Contains(errs, "mail user") {
			t.Errorf("ldap test %s: exit %d, want 1 and %q\nstdout:\n%s\nstderr: %s", c.addr, code, c.want, out, errs)
		}
	}
	dir.Stop()
	if _, errs, code := yubin(t, "", "ldap", "test", "alice@example.test", "--config", cfg); code != 1 || !strings.Contains(errs, "directory unavailable") {
		t.Errorf("ldap test with slapd stopped: exit %d, stderr %q", code, errs)
	}
}

// A user taken out of the mail group (an office disabling someone) can no longer
// log in, and their open IMAP connection and webmail session end within
// cache_seconds, as a password change ends a local account's.
func TestE2ELDAPDisabledUserSessionsEnd(t *testing.T) {
	dir := ldaptest.Start(t)
	cfg := testConfig(t, strings.Replace(ldapSection(dir, dir.CAFile), "cache_seconds = 300", "cache_seconds = 1", 1))
	srv := e2eStartServe(t, cfg)
	alice, bob := ldaptest.Alice, ldaptest.Bob
	imapAlice := e2eIMAP(t, srv, alice.Mail, alice.Password)
	imapBob := e2eIMAP(t, srv, bob.Mail, bob.Password)
	webAlice := e2eWebmail(t, srv, alice.Mail, alice.Password)

	dir.Modify("dn: cn=mailusers,ou=groups," + ldaptest.BaseDN + "\nchangetype: modify\ndelete: member\nmember: " + alice.DN() + "\n")

	select {
	case <-imapAlice.Closed():
	case <-time.After(20 * time.Second):
		t.Error("alice's IMAP connection still open 20 s after she left the mail group")
	}
	if r := webAlice.get(t, "/mail?f=INBOX"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("alice's webmail session after she left the mail group: %d, want a redirect to /login", r.StatusCode)
	}
	err := imapLoginErr(t, srv, alice.Mail, alice.Password)
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code == imap.ResponseCodeUnavailable {
		t.Errorf("alice's login after she left the mail group: %v; want NO (authentication failed)", err)
	}
	if err := imapBob.Noop().Wait(); err != nil {
		t.Errorf("bob's IMAP session after alice left the group: %v", err)
	}
	// Her mailbox stays, but mail for her is refused like mail for nobody.
	out, code := e2eSwaks(t, srv.addr(t, "SMTP (MX)"), "--from", "friend@remote.test", "--to", alice.Mail)
	if code == 0 || !strings.Contains(out, "550 5.1.1") {
		t.Errorf("MX to alice after she left the mail group: exit %d, want 550 5.1.1\n%s", code, out)
	}
}

// pop3Reply logs in over POP3 (USER, PASS) and returns the answer to PASS.
func pop3Reply(t *testing.T, srv *e2eServer, user, pw string) string {
	t.Helper()
	c, err := net.Dial("tcp", srv.addr(t, "POP3 (STLS)"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	var l string
	for _, cmd := range []string{"", "USER " + user, "PASS " + pw} {
		if cmd != "" {
			io.WriteString(c, cmd+"\r\n")
		}
		if l, err = r.ReadString('\n'); err != nil {
			t.Fatalf("POP3 %q: %v", cmd, err)
		}
	}
	return strings.TrimSpace(l)
}

// webmailLoginStatus posts the webmail's sign-in form and returns the status.
func webmailLoginStatus(t *testing.T, srv *e2eServer, user, pw string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + srv.addr(t, "webmail")
	r, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	m := e2eTokenRe.FindSubmatch(page)
	if m == nil {
		t.Fatal("no token in the sign-in form")
	}
	r, err = c.PostForm(base+"/login", url.Values{"email": {user}, "password": {pw}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	return r.StatusCode
}
