package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestSendDuringUploadWaitsForTheFile: Send pressed while a chosen file is still
// uploading is not lost (a disabled button used to swallow the click, and the
// page just sat there): the page says it will send once the upload is done, and
// then sends the message with the file. The upload is held in DevTools until Send
// has been pressed, so the order is certain.
func TestSendDuringUploadWaitsForTheFile(t *testing.T) {
	s := newStack(t, "sendwait", "en-US")
	s.addAccount("bob@localhost", "Bob")
	s.useViewport(false)
	s.login()
	s.do(chromedp.Navigate(s.base + "/compose"))
	s.waitFor(`!!document.getElementById("composer")`, "the compose form")
	const subject = "Signed contract"
	// SetValue fires no input event, so no autosave competes with the upload.
	s.do(
		chromedp.SetValue(chromedp.CSS(`input[name=to]`), "bob@localhost"),
		chromedp.SetValue(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.SetValue(chromedp.CSS(`textarea[name=body]`), "Here it is."),
	)

	paused := make(chan fetch.RequestID, 8)
	chromedp.Listen(s.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- e.RequestID:
			default:
			}
		}
	})
	if _, err := chromedp.Call(s.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/compose/save*"}}}); err != nil {
		t.Fatalf("Fetch.enable: %v", err)
	}
	file := filepath.Join(t.TempDir(), "contract.txt")
	os.WriteFile(file, []byte("signed by both parties\n"), 0o644)
	s.do(chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{file}))
	var upload fetch.RequestID
	select {
	case upload = <-paused:
	case <-time.After(15 * time.Second):
		t.Fatal("the chosen file was not uploaded")
	}

	s.do(chromedp.Click(chromedp.CSS(`#cmp-send`)))
	s.waitFor(`document.getElementById("cmp-status").textContent.includes("as soon as the upload finishes")`, "the page saying it sends after the upload")
	s.shot("waiting-for-upload")
	if path := eval[string](s, `location.pathname`); path != "/compose" {
		t.Fatalf("sent before the file was uploaded (at %s)", path)
	}

	if _, err := chromedp.Call(s.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: upload}); err != nil {
		t.Fatalf("Fetch.continueRequest: %v", err)
	}
	if _, err := chromedp.Call(s.ctx, fetch.Disable, struct{}{}); err != nil {
		t.Fatalf("Fetch.disable: %v", err)
	}
	s.waitFor(`location.pathname === "/mail" && !!document.querySelector(".flash")`, "the sent confirmation")

	var got []listed
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = s.imapList("bob@localhost", "INBOX"); len(got) > 0 {
			break
		}
	}
	if len(got) != 1 || got[0].subject != subject {
		t.Fatalf("bob's inbox = %v, want the one message %q", got, subject)
	}
	raw := s.imapRaw("bob@localhost", "INBOX", got[0].uid)
	if !strings.Contains(raw, "contract.txt") {
		t.Errorf("the message arrived without the file uploaded while Send waited:\n%s", raw)
	}
}
