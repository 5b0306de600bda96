package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yubinmail/yubin/web"
)

// Every folder's counts are read once per account, not once per tab (issue 14
// item 7): four tabs of one sign-in start with one LIST-STATUS between them, a
// new message makes one more (not four), every tab hears the new count, and a tab
// opened later gets the latest counts without a reading of its own. The readings
// are the webmail's yubin_webmail_folder_reads_total.
func TestFolderCountsSharedByTabs(t *testing.T) {
	e := newEnv(t)
	if err := e.imapOf(t, "alice@localhost").Create("Lists", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		DataDir: t.TempDir(), Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: e.log, Metrics: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: ts.URL, c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.mustLogin("alice@localhost")
	reads := func() int {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "yubin_webmail_folder_reads_total" {
				return int(mf.GetMetric()[0].GetCounter().GetValue())
			}
		}
		t.Fatal("no yubin_webmail_folder_reads_total")
		return 0
	}

	const tabs = 4
	var chs []<-chan sseEvent
	for range tabs {
		_, ch := b.openStream()
		if fs := nextFolders(t, ch, "a tab's first folder counts"); fs["Lists"] != (counts{Mailbox: "Lists"}) {
			t.Fatalf("Lists at first: %+v", fs["Lists"])
		}
		chs = append(chs, ch)
	}
	if n := reads(); n != 1 {
		t.Errorf("%d tabs opened with %d readings of the folders, want 1", tabs, n)
	}

	// Mail filed into Lists, then a new message in the inbox: every tab's watcher
	// sees the inbox change, one reads the folders for all.
	e.deliver(t, "alice@localhost", "Lists", simpleMail("list@example.test", "alice@localhost", "Digest", "news"))
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Hello", "hi"))
	for i, ch := range chs {
		for {
			if fs := nextFolders(t, ch, "Lists' new count"); fs["Lists"].Unseen == 1 && fs["INBOX"].Messages == 1 {
				break
			}
		}
		t.Logf("tab %d heard Lists' new count", i+1)
	}
	n := reads()
	t.Logf("%d readings of the folders for %d tabs and one change (%d when each tab read its own)", n, tabs, 2*tabs)
	// One per event is the rule; a watcher woken more than 150 ms after another by
	// a loaded machine may read again, but reading per tab would make 2×tabs.
	if n < 2 || n > tabs {
		t.Errorf("%d readings of the folders for %d tabs and one change, want 2", n, tabs)
	}

	// A tab opened now has the latest counts at once, read by no one again.
	_, late := b.openStream()
	if fs := nextFolders(t, late, "the late tab's folder counts"); fs["Lists"].Unseen != 1 {
		t.Errorf("the late tab's Lists: %+v", fs["Lists"])
	}
	if m := reads(); m != n {
		t.Errorf("a new tab read the folders again (%d readings, were %d)", m, n)
	}
}
