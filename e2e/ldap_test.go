package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yubinmail/yubin/internal/ldaptest"
	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/web"
	"github.com/yubinmail/yubin/web/settings"
)

// TestLDAPUserInTheWebmail: an office with only a directory. A directory user
// (no local account) signs in to the webmail in Chromium with her directory
// password and sees her INBOX, with her name from the directory as the name her
// mail goes out under; a wrong password is refused on the page; once she is taken
// out of the mail group her open session ends and the browser is back at the
// sign-in page.
func TestLDAPUserInTheWebmail(t *testing.T) {
	chromium := testtool.Path(t, "chromium")
	dir := ldaptest.Start(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("YUBIN_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Domains = []string{"localhost", "example.test"}
	cfg.Listen = config.Listen{SMTP: "127.0.0.1:0", Submission: "127.0.0.1:0", IMAP: "127.0.0.1:0", ManageSieve: "127.0.0.1:0"}
	cfg.LDAP.URL = dir.URL
	cfg.LDAP.BindDN, cfg.LDAP.BindPassword = ldaptest.ServiceDN, ldaptest.ServicePassword
	cfg.LDAP.BaseDN, cfg.LDAP.GroupFilter, cfg.LDAP.TLSCA = ldaptest.BaseDN, ldaptest.GroupFilter, dir.CAFile
	cfg.LDAP.CacheSeconds, cfg.LDAP.TimeoutSeconds = 1, 3
	run, err := mailbackend.Start(context.Background(), &cfg, log)
	if err != nil {
		t.Fatalf("start mail server: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	srv, err := web.New(web.Config{
		IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true,
		ManageSieveAddr: run.Addr("managesieve"), ManageSieveSkipVerify: true,
		DataDir: t.TempDir(), Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: log,
		Directory: serverDirectory{run},
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })

	s := &stack{t: t, run: run, base: ts.URL, ctx: newBrowser(t, chromium, "en-US"), shots: filepath.Join("artifacts", "ldap-webmail")}
	os.MkdirAll(s.shots, 0o755)
	s.do(chromedp.EmulateViewport(1366, 900))
	alice := ldaptest.Alice
	signIn := func(pw string) {
		s.do(
			chromedp.Navigate(s.base+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=email]`), alice.Mail),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
			chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)),
		)
	}
	signIn("not-" + alice.Password)
	s.waitFor(`location.pathname === "/login" && document.body.textContent.includes("Wrong address or password.")`, "the refusal of a wrong directory password")
	s.shot("wrong-password")

	signIn(alice.Password)
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".listform")`, "the directory user's inbox")
	s.shot("inbox")
	s.do(chromedp.Navigate(s.base + "/settings"))
	s.waitFor(`!!document.querySelector("input[name=display_name]")`, "the settings page")
	if got := eval[string](s, `document.querySelector("input[name=display_name]").value`); got != alice.Name {
		t.Errorf("the name her mail goes out under: %q, want the directory's %q", got, alice.Name)
	}

	// Taken out of the mail group: within the directory cache's second (and the
	// credential watch's poll) her session ends.
	dir.Modify("dn: cn=mailusers,ou=groups," + ldaptest.BaseDN + "\nchangetype: modify\ndelete: member\nmember: " + alice.DN() + "\n")
	deadline := time.Now().Add(20 * time.Second)
	for {
		s.do(chromedp.Navigate(s.base + "/mail?f=INBOX"))
		if eval[string](s, `location.pathname`) == "/login" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webmail session of a user taken out of the mail group still works after 20 s")
		}
		time.Sleep(500 * time.Millisecond)
	}
	s.shot("signed-out")
}

// serverDirectory tells the webmail what the bundled server knows of an account,
// as yubin serve wires it (cmd/yubin/webdirectory.go).
type serverDirectory struct{ run *mailbackend.Running }

func (d serverDirectory) Account(ctx context.Context, login string) (settings.Account, error) {
	name, senders, err := d.run.AccountInfo(ctx, login)
	return settings.Account{Name: name, Senders: senders}, err
}
