package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// searchRows runs a search from the INBOX list and returns the subjects of the rows
// shown (highlights removed), in order.
func searchRows(t *testing.T, b *browser, q string, extra ...string) []string {
	t.Helper()
	v := url.Values{"f": {"INBOX"}, "q": {q}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	r := b.get("/mail?" + v.Encode())
	if r.StatusCode != 200 {
		t.Fatalf("search %q: status %d", q, r.StatusCode)
	}
	var out []string
	for _, m := range subjCellRe.FindAllStringSubmatch(unmarked(r.body), -1) {
		out = append(out, strings.TrimSpace(tagRe.ReplaceAllString(m[1], "")))
	}
	return out
}

var (
	subjCellRe = regexp.MustCompile(`(?s)<span class="subj">(.*?)(?:<span class="infolder">.*?</span>\s*)?</span>`)
	tagRe      = regexp.MustCompile(`<[^>]*>`)
)

func sameRows(t *testing.T, q string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("search %q shows %q, want %q", q, got, want)
	}
}

// The search terms people know from other mail programs work, in ASCII and Japanese:
// a quoted phrase is one string, from:/to:/subject: look in those fields only,
// has:attachment and filename: find attachments by their names, is:unread and
// is:flagged look at flags, before:/after: are days in the user's zone, in: picks a
// folder and the scope "all folders" searches every folder but Trash and Junk.
func TestSearchTerms(t *testing.T) {
	e := newEnv(t)
	const u = "alice@localhost"
	e.deliver(t, u, "", simpleMail("Bob <bob@example.test>", u, "Rack order", "The server is in the rack room."))
	e.deliver(t, u, "", simpleMail("Carol <carol@example.test>", u, "Datacenter visit", "We bought a new server rack yesterday."))
	e.deliver(t, u, "", simpleMail("=?UTF-8?B?"+b64("田中")+"?= <tanaka@example.jp>", u, "=?UTF-8?B?"+b64("会議室の予約")+"?=", "明日の会議室を予約しました。"), `\Seen`)
	e.deliver(t, u, "", fileMail("Dave <dave@example.test>", u, "Quote attached", "見積書_2026.pdf"), `\Seen`, `\Flagged`)
	e.deliver(t, u, "Trash", simpleMail("Eve <eve@example.test>", u, "Old server rack offer", "server rack for sale"))

	c := e.imapOf(t, u)
	defer c.Close()
	// The reply in Sent is the newest of all (an hour from now).
	appendAt(t, c, "Sent", simpleMail(u, "Bob <bob@example.test>", "Re: Rack order", "Thanks, the server rack arrived."), time.Now().Add(time.Hour))

	b := e.browser(t)
	b.mustLogin(u)
	// The phrase finds only the mail with the two words together (the 0 hits).
	sameRows(t, `"server rack"`, searchRows(t, b, `"server rack"`), "Datacenter visit")
	sameRows(t, `server rack`, searchRows(t, b, `server rack`), "Datacenter visit", "Rack order")
	sameRows(t, `from:bob`, searchRows(t, b, `from:bob`), "Rack order")
	sameRows(t, `差出人：田中`, searchRows(t, b, "差出人：田中"), "会議室の予約")
	sameRows(t, `「会議室」`, searchRows(t, b, "「会議室」"), "会議室の予約")
	sameRows(t, `subject:rack`, searchRows(t, b, `subject:rack`), "Rack order")
	sameRows(t, `-from:bob rack`, searchRows(t, b, `-from:bob rack`), "Datacenter visit")
	sameRows(t, `has:attachment`, searchRows(t, b, `has:attachment`), "Quote attached")
	sameRows(t, `filename:見積書`, searchRows(t, b, `filename:見積書`), "Quote attached")
	sameRows(t, `is:unread`, searchRows(t, b, `is:unread`), "Datacenter visit", "Rack order")
	sameRows(t, `is:flagged`, searchRows(t, b, `is:flagged`), "Quote attached")
	// All folders: Sent too (the reply), not Trash; the result says where it is.
	sameRows(t, `"server rack" all`, searchRows(t, b, `"server rack"`, "all", "1"), "Re: Rack order", "Datacenter visit")
	sameRows(t, `in:sent rack`, searchRows(t, b, `in:sent rack`), "Re: Rack order")
	sameRows(t, `in:ゴミ箱 rack`, searchRows(t, b, `in:ゴミ箱 rack`), "Old server rack offer")
	sameRows(t, `in:nosuchfolder`, searchRows(t, b, `in:nosuchfolder rack`))
	r := b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {`"server rack"`}, "all": {"1"}}.Encode())
	mustContain(t, r.body, `<span class="infolder">Sent</span>`, `<option value="1" selected>`)
	// The query stays in the box; the matches are marked in the rows.
	mustContain(t, r.body, `value="&#34;server rack&#34;"`)
	r = b.get("/mail?" + url.Values{"f": {"INBOX"}, "q": {`rack from:bob`}}.Encode())
	mustContain(t, r.body, `<mark>Rack</mark> order`, `<mark>Bob</mark>`)

	// Dates: after: and before: are days in the user's zone, on the arrival date.
	for _, m := range []struct {
		subject string
		at      time.Time
	}{
		{"February report", time.Date(2026, 2, 20, 12, 0, 0, 0, time.Local)},
		{"March report", time.Date(2026, 3, 10, 12, 0, 0, 0, time.Local)},
		{"April report", time.Date(2026, 4, 2, 0, 30, 0, 0, time.Local)},
	} {
		appendAt(t, c, "INBOX", simpleMail("Frank <frank@example.test>", u, m.subject, "monthly report"), m.at)
	}
	// The webmail's session learns of mail appended on another connection at its
	// next NOOP, which the server answers from its change feed: wait for all three.
	for deadline := time.Now().Add(10 * time.Second); len(searchRows(t, b, "report")) < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	sameRows(t, `report`, searchRows(t, b, `report`), "April report", "March report", "February report")
	sameRows(t, `report after:`, searchRows(t, b, `report after:2026-03-01`), "April report", "March report")
	sameRows(t, `report before:`, searchRows(t, b, `report before:2026/4/2`), "March report", "February report")
	sameRows(t, `report window`, searchRows(t, b, `report after:2026年3月1日 before:2026年4月1日`), "March report")
}

// Results are paged, "back" from a message returns to the same search and page, and
// the message shows the search's matches marked.
func TestSearchPagingAndBack(t *testing.T) {
	e := newEnv(t)
	const u = "alice@localhost"
	for i := 1; i <= 55; i++ {
		e.deliver(t, u, "", simpleMail("bob@example.test", u, "Rack note "+itoa(i), "the server rack number "+itoa(i)))
	}
	c := e.imapOf(t, u)
	defer c.Close()
	// Archived long ago: the oldest result of all, so the last row of page 2.
	appendAt(t, c, "Archive", simpleMail("bob@example.test", u, "Archived rack", "an archived server rack"), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	b := e.browser(t)
	b.mustLogin(u)
	q := url.Values{"f": {"INBOX"}, "q": {`"server rack"`}, "all": {"1"}, "page": {"1"}}
	r := b.get("/mail?" + q.Encode())
	if n := strings.Count(r.body, `class="rowlink"`); n != 6 {
		t.Fatalf("second page of 56 results has %d rows, want 6", n)
	}
	page2 := unmarked(r.body)
	mustContain(t, page2, "51–56 of 56", "Archived rack", "Rack note 5<", "Rack note 1<")
	if strings.Contains(page2, "Rack note 55") || strings.Index(page2, "Archived rack") < strings.Index(page2, "Rack note 1<") {
		t.Error("page 2 of a search across folders is not the oldest results, newest first")
	}
	m := regexp.MustCompile(`href="(/msg\?[^"]*)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("no message link")
	}
	msgURL := strings.ReplaceAll(m[1], "&amp;", "&")
	msg := b.get(msgURL)
	mustContain(t, msg.body, "<mark>server rack</mark>", "Back to results")
	back := regexp.MustCompile(`<a class="btn back js-pane" href="([^"]*)"`).FindStringSubmatch(msg.body)
	if back == nil {
		t.Fatal("no back link")
	}
	got, _ := url.Parse(strings.ReplaceAll(back[1], "&amp;", "&"))
	if got.Query().Get("q") != `"server rack"` || got.Query().Get("page") != "1" || got.Query().Get("all") != "1" || got.Query().Get("f") != "INBOX" {
		t.Errorf("back goes to %s, want the search's page 2", got)
	}
	// An action from the message comes back to the search page too.
	uid := regexp.MustCompile(`uid=(\d+)`).FindStringSubmatch(msgURL)[1]
	f, _ := url.ParseQuery(strings.SplitN(msgURL, "?", 2)[1])
	act := b.post("/actions", url.Values{"csrf": {b.csrf()}, "f": {f.Get("f")}, "uid": {uid}, "from": {"message"},
		"q": {`"server rack"`}, "all": {"1"}, "page": {"1"}, "list": {"INBOX"}, "action": {"unread"}})
	loc, _ := url.Parse(act.Header.Get("Location"))
	if act.StatusCode != 303 || loc.Query().Get("q") != `"server rack"` || loc.Query().Get("page") != "1" {
		t.Errorf("action from a searched message: %d to %s", act.StatusCode, loc)
	}
}

// fileMail is a multipart/mixed mail with one PDF attachment named name
// (RFC 2231 encoded).
func fileMail(from, to, subject, name string) string {
	return "From: " + from + "\nTo: " + to + "\nSubject: " + subject + "\nDate: Mon, 2 Mar 2026 10:00:00 +0900\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n" +
		"--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename*=UTF-8''" + url.PathEscape(name) + "\n" +
		"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n"
}

// appendAt stores raw in mailbox over IMAP with the given arrival time.
func appendAt(t *testing.T, c *imapclient.Client, mailbox, raw string, at time.Time) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Time: at})
	cmd.Write([]byte(raw))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
}
