package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web"
	"github.com/yubinmail/yubin/web/settings"
)

const (
	password = "e2e password 123"
)

// stack is a mail server, a webmail on a real loopback listener, and a browser tab.
type stack struct {
	t     testing.TB
	run   *mailbackend.Running
	base  string
	acct  *store.Account
	ctx   context.Context
	shots string
	n     int
	// leaveAsked counts "leave this page?" questions the browser showed.
	leaveAsked atomic.Int32
	// What restart (write_test.go) needs to start both servers again.
	mailCfg config.Config
	webCfg  web.Config
	srv     *web.Server
	front   *swapHandler
	log     *slog.Logger
}

// swapHandler is the listener's handler, replaced when the servers restart.
type swapHandler struct{ h atomic.Pointer[http.Handler] }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*s.h.Load()).ServeHTTP(w, r)
}

// handlerOf is the webmail with the bundled CardDAV server mounted, as yubin serve has.
func handlerOf(run *mailbackend.Running, srv *web.Server) *http.Handler {
	h := run.DAV.Mount(srv.Handler())
	return &h
}

// undoDelay sets alice's undo-send delay in the webmail's settings at dir.
func undoDelay(t testing.TB, dir string, seconds int) {
	t.Helper()
	st, err := settings.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Update(context.Background(), "alice@localhost", func(s *settings.Settings) error {
		s.UndoSeconds = &seconds
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func newStack(t testing.TB, name, lang string) *stack {
	t.Helper()
	return newStackWith(t, name, lang, nil)
}

// newStackWith is newStack with the webmail's configuration changed by configure.
func newStackWith(t testing.TB, name, lang string, configure func(*web.Config)) *stack {
	t.Helper()
	chromium := testtool.Path(t, "chromium")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("YUBIN_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Listen = config.Listen{SMTP: "127.0.0.1:0", Submission: "127.0.0.1:0", IMAP: "127.0.0.1:0", ManageSieve: "127.0.0.1:0"}
	run, err := mailbackend.Start(context.Background(), &cfg, log)
	if err != nil {
		t.Fatalf("start mail server: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	hash, _ := auth.HashPassword(password)
	acct, err := run.Store.AddAccount(context.Background(), "alice@localhost", hash, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	// One listener for the webmail and the bundled CardDAV server, as yubin serve has.
	ts := httptest.NewUnstartedServer(nil)
	wcfg := web.Config{
		IMAPAddr: run.Addr("imap"), SMTPAddr: run.Addr("submission"), InsecureSkipVerify: true,
		ManageSieveAddr: run.Addr("managesieve"), ManageSieveSkipVerify: true,
		CardDAVURL: "http://" + ts.Listener.Addr().String() + "/dav/",
		DataDir:    t.TempDir(), Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: log,
	}
	if configure != nil {
		configure(&wcfg)
	}
	// The flows send at once; write_test.go sets the undo delay it tests.
	undoDelay(t, wcfg.DataDir, 0)
	srv, err := web.New(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	front := &swapHandler{}
	front.h.Store(handlerOf(run, srv))
	ts.Config.Handler = front
	ts.Start()
	t.Cleanup(func() { ts.Close(); srv.Close() })

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })

	shots := filepath.Join("artifacts", name)
	os.MkdirAll(shots, 0o755)
	s := &stack{t: t, run: run, base: ts.URL, acct: acct, ctx: ctx, shots: shots,
		mailCfg: cfg, webCfg: wcfg, srv: srv, front: front, log: log}
	// Start the browser and install a recorder of postMessage calls on every page,
	// before any page script: an attack payload that ran would post a marker.
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__posted = []; addEventListener("message", function (e) { window.__posted.push(String(e.data)); });`,
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// Leaving a compose form with unsaved text asks first (static/compose.js): the
	// tests that navigate away accept, as a user would, and write_test counts the
	// questions.
	chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok && d.Type == page.DialogTypeBeforeunload {
			s.leaveAsked.Add(1)
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	})
	return s
}

func (s *stack) do(steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, steps...); err != nil {
		s.t.Fatalf("browser: %v", err)
	}
}

func eval[T any](s *stack, js string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// shot saves a screenshot of the whole page as artifacts/<name>/NN-label.png.
func (s *stack) shot(label string) {
	s.t.Helper()
	buf, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Logf("screenshot %s: %v", label, err)
		return
	}
	s.n++
	os.WriteFile(filepath.Join(s.shots, fmt.Sprintf("%02d-%s.png", s.n, label)), buf, 0o644)
}

// noHorizontalScroll asserts the page fits the viewport's width.
func (s *stack) noHorizontalScroll(where string) {
	s.t.Helper()
	r := eval[[]int](s, `[document.documentElement.scrollWidth, window.innerWidth]`)
	if r[0] > r[1] {
		s.t.Errorf("%s: horizontal scrolling: scrollWidth %d > innerWidth %d", where, r[0], r[1])
	}
}

// waitFor polls a JavaScript condition.
func (s *stack) waitFor(js, what string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	loc, _ := chromedp.Run(s.ctx, chromedp.Location())
	s.shot("timeout")
	s.t.Fatalf("timed out waiting for %s (at %s)", what, loc)
}

func (s *stack) login() {
	s.t.Helper()
	s.do(
		chromedp.Navigate(s.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
	)
	s.shot("login")
	s.do(
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), "alice@localhost"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)),
	)
	// Loaded to the end, as a person sees it before clicking. A test that clicked
	// while the page still loaded failed now and then: once on a node chromedp no
	// longer knew, once with no navigation (most likely a box that moved).
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".listform") && document.readyState === "complete"`, "the inbox after login")
}

// deliver puts a raw message into alice's INBOX.
func (s *stack) deliver(raw string) {
	s.t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	if _, err := s.run.Store.Deliver(context.Background(), []byte(raw), []store.Recipient{{AccountID: s.acct.ID}}); err != nil {
		s.t.Fatal(err)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// useViewport gives the page a phone's screen (375×812, touch) or a desktop's
// (1366×900).
func (s *stack) useViewport(phone bool) {
	s.t.Helper()
	if phone {
		s.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	} else {
		s.do(chromedp.EmulateViewport(1366, 900))
	}
}

// addAccount creates another local account, with the tests' password.
func (s *stack) addAccount(address, name string) {
	s.t.Helper()
	hash, _ := auth.HashPassword(password)
	if _, err := s.run.Store.AddAccount(context.Background(), address, hash, name); err != nil {
		s.t.Fatal(err)
	}
}
