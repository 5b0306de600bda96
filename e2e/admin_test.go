package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/admin"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve/dnstest"
)

func TestAdminPagesDesktop(t *testing.T) { adminPages(t, "admin-desktop", false) }

func TestAdminPagesPhone(t *testing.T) { adminPages(t, "admin-phone", true) }

// adminPages walks the admin pages in Chromium as an admin on the server would:
// add a user (who can then sign in over IMAP), retry a queued message whose MX was
// down (it leaves at once), and a page on another site that posts the add-user
// form into the admin's browser is refused without adding anyone. Desktop in
// English, phone in Japanese.
func adminPages(t *testing.T, name string, phone bool) {
	chromium := testtool.Path(t, "chromium")
	lang, added, retried, refused := "en-US", "User carol@localhost added.", "is due now.", "posted from another site"
	if phone {
		lang, added, retried, refused = "ja", "ユーザー carol@localhost を追加しました。", "今すぐ再送します。", "別のサイトから送信されました"
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("YUBIN_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	// The outside world: remote.test's MX is on a loopback port, down at first.
	dns := dnstest.Start(t)
	dns.Add(t, "remote.test. 60 IN MX 10 mx.remote.test.", "mx.remote.test. 60 IN A 127.0.0.1")
	hold, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mxAddr := hold.Addr().String()
	hold.Close()
	_, mxPort, _ := net.SplitHostPort(mxAddr)

	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Listen = config.Listen{SMTP: "127.0.0.1:0", Submission: "127.0.0.1:0", IMAP: "127.0.0.1:0"}
	cfg.Delivery.Resolver = dns.Addr
	fmt.Sscan(mxPort, &cfg.Delivery.Port)
	run, err := mailbackend.Start(context.Background(), &cfg, log)
	if err != nil {
		t.Fatalf("start mail server: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	ctx := context.Background()
	raw := "From: alice@localhost\r\nTo: bob@remote.test\r\nSubject: quarterly report\r\n\r\nsee attached\r\n"
	if err := run.Queue.Enqueue(ctx, "alice@localhost", []string{"bob@remote.test"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		items, err := run.Store.QueueItems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 1 && items[0].Attempts > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued message was not tried within 30 s: %+v", items)
		}
		time.Sleep(100 * time.Millisecond)
	}

	adm := httptest.NewServer(admin.New(admin.Config{Store: run.Store, Queue: run.Queue, Log: log}).Handler())
	t.Cleanup(adm.Close)
	// The attacker's site: a page that posts the add-user form to the admin pages
	// as soon as it loads, once with a guessed token and once with none.
	attack := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := `<input name="csrf" value="` + strings.Repeat("0", 64) + `">`
		if r.URL.Path == "/notoken" {
			tok = ""
		}
		fmt.Fprintf(w, `<!DOCTYPE html><form id="f" method="post" action="%s/admin/users">
<input name="address" value="mallory@localhost"><input name="password" value="owned owned">%s</form>
<script>document.getElementById("f").submit()</script>`, adm.URL, tok)
	}))
	t.Cleanup(attack.Close)

	s := &stack{t: t, run: run, base: adm.URL, ctx: newBrowser(t, chromium, lang), shots: filepath.Join("artifacts", name)}
	os.MkdirAll(s.shots, 0o755)
	s.useViewport(phone)

	// Add a user.
	s.do(chromedp.Navigate(s.base + "/admin/"))
	s.waitFor(`!!document.querySelector("nav.admin-nav a[href='/admin/users']")`, "the overview")
	s.shot("overview")
	s.do(chromedp.Click(chromedp.CSS(`nav.admin-nav a[href="/admin/users"]`)))
	s.waitFor(`!!document.querySelector("form.add-user")`, "the Users page")
	s.do(
		chromedp.SendKeys(chromedp.CSS(`form.add-user input[name=address]`), "carol@localhost"),
		chromedp.SendKeys(chromedp.CSS(`form.add-user input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form.add-user button[type=submit]`)),
	)
	s.waitFor(`document.querySelector(".flash") && document.querySelector(".flash").textContent.includes(`+jsString(added)+`) && !!document.querySelector("li.user[data-address='carol@localhost']")`, "the added user")
	if phone {
		s.noHorizontalScroll("users")
	}
	s.shot("user-added")
	c, err := imapclient.DialInsecure(run.Addr("imap"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("carol@localhost", password).Wait(); err != nil {
		t.Errorf("IMAP login of the user added in the browser: %v", err)
	}
	c.Close()

	// Retry the queued message once its MX is back: it leaves at once, not after
	// the minute the retry schedule would wait.
	mx := startSink(t, mxAddr)
	s.do(chromedp.Navigate(s.base + "/admin/queue"))
	s.waitFor(`!!document.querySelector("table.queue tr[data-id] form[action='/admin/queue/retry'] button")`, "the queue entry")
	s.shot("queue")
	if phone {
		s.noHorizontalScroll("queue")
	}
	s.do(chromedp.Click(chromedp.CSS(`table.queue tr[data-id] form[action="/admin/queue/retry"] button`)))
	s.waitFor(`document.querySelector(".flash") && document.querySelector(".flash").textContent.includes(`+jsString(retried)+`)`, "the retry's confirmation")
	got := mx.wait(t, 20*time.Second)
	if got.rcpt != "bob@remote.test" || !strings.Contains(got.data, "Subject: quarterly report") {
		t.Errorf("remote MX received %+v", got)
	}
	s.do(chromedp.Navigate(s.base + "/admin/queue"))
	s.waitFor(`!document.querySelector("table.queue") && !!document.querySelector(".empty")`, "the empty queue")
	s.shot("queue-empty")

	// The CSRF walk: the attacker's pages post into the admin's browser.
	for _, path := range []string{"/", "/notoken"} {
		s.do(chromedp.Navigate(attack.URL + path))
		s.waitFor(`location.href.startsWith(`+jsString(adm.URL)+`) && document.body.textContent.includes(`+jsString(refused)+`)`, "the refusal of the forged form "+path)
	}
	s.shot("csrf-refused")
	if _, err := run.Store.AccountByAddress(ctx, "mallory@localhost"); err == nil {
		t.Error("a form posted from another site added a user")
	}
}

// newBrowser starts a headless Chromium for one test.
func newBrowser(t *testing.T, chromium, lang string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("lang", lang), chromedp.Flag("accept-lang", lang),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// sink is the remote domain's MX: it accepts one message and hands it over.
type sink struct {
	got chan sunk
}

type sunk struct{ from, rcpt, data string }

func startSink(t *testing.T, addr string) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("remote MX: %v", err)
	}
	k := &sink{got: make(chan sunk, 10)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{k: k}, nil }))
	srv.Domain = "mx.remote.test"
	srv.ReadTimeout, srv.WriteTimeout = 20*time.Second, 20*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return k
}

func (k *sink) wait(t *testing.T, within time.Duration) sunk {
	t.Helper()
	select {
	case m := <-k.got:
		return m
	case <-time.After(within):
		t.Fatalf("the remote MX received nothing within %v", within)
		return sunk{}
	}
}

type sinkSession struct {
	k          *sink
	from, rcpt string
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = to
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.k.got <- sunk{from: s.from, rcpt: s.rcpt, data: string(b)}
	return nil
}
