package e2e

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"
)

// evalAwait is eval for an expression that is a promise.
func evalAwait[T any](s *stack, js string) T {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitForAsync is waitFor for a condition that is a promise.
func (s *stack) waitForAsync(js, what string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise)); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.shot("timeout")
	s.t.Fatalf("timed out waiting for %s", what)
}

func TestPWADesktopEnglish(t *testing.T) { pwa(t, "pwa-desktop-en", "en-US", false) }

func TestPWAPhoneJapanese(t *testing.T) { pwa(t, "pwa-phone-ja", "ja", true) }

// The webmail is an installable app: its manifest is linked and complete, its
// service worker registers from our own origin under the strict CSP and controls the
// whole app, and a push message delivered to it (as a push service would) shows the
// notification, in the page's words; the notifications page offers this device's
// button.
func pwa(t *testing.T, name, lang string, phone bool) {
	s := newStack(t, name, lang)
	s.useViewport(phone)
	var mu sync.Mutex
	var regs []*serviceworker.Registration
	var errorsSeen []string
	chromedp.Listen(s.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *serviceworker.EventWorkerRegistrationUpdated:
			regs = append(regs, e.Registrations...)
		case *serviceworker.EventWorkerErrorReported:
			errorsSeen = append(errorsSeen, e.ErrorMessage.ErrorMessage)
		}
	})
	if _, err := chromedp.Call(s.ctx, serviceworker.Enable, struct{}{}); err != nil {
		t.Fatalf("ServiceWorker.enable: %v", err)
	}
	s.login()

	// The manifest.
	href := eval[string](s, `document.querySelector('link[rel="manifest"]').href`)
	if href != s.base+"/manifest.webmanifest" {
		t.Fatalf("manifest link %q", href)
	}
	raw := evalAwait[string](s, `fetch("/manifest.webmanifest").then(r => r.headers.get("content-type") + "\n" + r.status + "\n").then(h => fetch("/manifest.webmanifest").then(r => r.text()).then(b => h + b))`)
	parts := strings.SplitN(raw, "\n", 3)
	if parts[0] != "application/manifest+json" || parts[1] != "200" {
		t.Errorf("manifest answer: %q %q", parts[0], parts[1])
	}
	var m struct {
		Name, ShortName, StartURL, Display, Scope string
		Icons                                     []struct{ Src, Sizes, Purpose string }
	}
	var mm map[string]any
	json.Unmarshal([]byte(parts[2]), &mm)
	json.Unmarshal([]byte(parts[2]), &m)
	m.ShortName, _ = mm["short_name"].(string)
	m.StartURL, _ = mm["start_url"].(string)
	if m.Name == "" || m.ShortName == "" || m.StartURL != "/mail?f=INBOX" || m.Display != "standalone" || m.Scope != "/" {
		t.Errorf("manifest: %s", parts[2])
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		sizes[ic.Sizes+" "+ic.Purpose] = true
		if ok := evalAwait[bool](s, `fetch(`+jsString(ic.Src)+`).then(r => r.ok && r.headers.get("content-type") === "image/png")`); !ok {
			t.Errorf("icon %s does not load as a PNG", ic.Src)
		}
	}
	if !sizes["192x192 any"] || !sizes["512x512 any"] || !sizes["512x512 maskable"] {
		t.Errorf("manifest icons: %v", sizes)
	}
	if lang == "ja" && m.ShortName != "郵便" {
		t.Errorf("Japanese short_name %q", m.ShortName)
	}

	// The service worker: registered, active, controlling the whole app.
	s.waitForAsync(`navigator.serviceWorker.getRegistration("/").then(r => !!r && !!r.active && r.active.state === "activated")`, "the service worker to activate")
	if got := evalAwait[string](s, `navigator.serviceWorker.getRegistration("/").then(r => r.active.scriptURL + " " + r.scope)`); got != s.base+"/sw.js "+s.base+"/" {
		t.Errorf("service worker %q", got)
	}
	s.do(chromedp.Reload())
	s.waitFor(`!!navigator.serviceWorker.controller`, "the page to be controlled by the service worker")

	// A push message (as the push service would deliver it, decrypted by the
	// browser) shows the notification.
	if _, err := chromedp.CallBrowser(s.ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "notifications"}, Setting: browser.PermissionSettingGranted, Origin: s.base,
	}); err != nil {
		t.Fatalf("grant notifications: %v", err)
	}
	var regID serviceworker.RegistrationID
	for deadline := time.Now().Add(15 * time.Second); regID == ""; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		for _, r := range regs {
			if r.ScopeURL == s.base+"/" && !r.IsDeleted {
				regID = r.RegistrationID
			}
		}
		mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no registration reported over the DevTools protocol")
		}
	}
	payload := `{"title":"New mail from Tanaka","body":"企画会議の件","url":"/msg?f=INBOX&uid=7","tag":"inbox"}`
	shown := `navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.some(n => n.title === "New mail from Tanaka" && n.body === "企画会議の件" && n.data.url === "/msg?f=INBOX&uid=7"))`
	// DevTools' push delivery to a worker that has just been granted notifications
	// was lost once in five full runs (the worker never saw the event), so a push
	// not shown within 5 s is delivered again, at most three times in all; what is
	// checked is what our worker shows for one.
	for attempt := 1; ; attempt++ {
		if _, err := chromedp.Call(s.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
			Origin: s.base, RegistrationID: regID, Data: payload,
		}); err != nil {
			t.Fatalf("deliver push: %v", err)
		}
		if attempt == 3 {
			s.waitForAsync(shown, "the notification")
			break
		}
		if ok := func() bool {
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if ok, err := chromedp.Run(s.ctx, chromedp.Evaluate[bool](shown, chromedp.EvalAwaitPromise)); err == nil && ok {
					return true
				}
			}
			return false
		}(); ok {
			break
		}
		t.Logf("push %d not shown within 5 s; delivering again", attempt)
	}
	// A payload naming another site is opened on our own origin only.
	chromedp.Call(s.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
		Origin: s.base, RegistrationID: regID, Data: `{"title":"x","url":"//evil.example/","tag":"evil"}`,
	})
	s.waitForAsync(`navigator.serviceWorker.ready.then(r => r.getNotifications({tag: "evil"})).then(ns => ns.length === 1 && ns[0].data.url === "/mail?f=INBOX")`, "the evil notification, made local")

	// The notifications page: this device's button.
	s.do(chromedp.Navigate(s.base + "/settings/push"))
	s.waitFor(`!!document.querySelector(".js-push [data-state=ready]") && !document.querySelector(".js-push [data-state=ready]").hidden`, "the notifications button")
	s.noHorizontalScroll("notifications page")
	s.shot("notifications")
	mu.Lock()
	defer mu.Unlock()
	for _, e := range errorsSeen {
		t.Errorf("service worker error: %s", e)
	}
}
