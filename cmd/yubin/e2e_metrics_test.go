package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics from the metrics listener as Prometheus does and returns
// every sample by its series ("name{label="value",…}", labels sorted).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := series(name, m.GetLabel())
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[series(name+"_count", m.GetLabel())] = float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_UNTYPED:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

func series(name string, labels []*dto.LabelPair) string {
	var parts []string
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

func httpStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// mxSend delivers one message on the MX port with go-smtp's client, as another
// mail server would.
func mxSend(t *testing.T, addr, from, to, body string) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.outside.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail(from, []string{to}, strings.NewReader(body)); err != nil {
		t.Fatalf("MX delivery to %s: %v", to, err)
	}
	c.Quit()
}

// TestE2EMetrics runs a small mixed workload against `yubin serve` with real
// clients and checks that the metrics listener counted exactly that: connections
// and logins by protocol and result, messages received and relayed, a search, the
// webmail's sign-in and pages by route, the queue back to empty, and the runtime
// collectors; /healthz and /readyz answer.
func TestE2EMetrics(t *testing.T) {
	dnsAddr := e2eStartDNS(t)
	remote := e2eStartRemote(t, "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(remote.addr)
	cfg := testConfig(t, relayConfig(dnsAddr, port))
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)
	base := "http://" + srv.addr(t, "metrics")

	if code, body := httpStatus(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := httpStatus(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %q", code, body)
	}
	before := scrape(t, base)

	// One message from outside on port 25, and one submitted by alice to another
	// domain, which the queue relays to the remote MX.
	mxSend(t, srv.addr(t, "SMTP (MX)"), "carol@outside.test", "alice@example.test",
		"From: carol@outside.test\r\nTo: alice@example.test\r\nSubject: quarterly figures\r\n\r\nthe figures are attached\r\n")
	e2eSubmit(t, srv, "alice@example.test", alicePW, "bob@remote.test", "--header", "Subject: relayed")
	remote.waitFor(t, 1, 20*time.Second)
	e2eWaitQueueEmpty(t, cfg, 10*time.Second)

	// A wrong IMAP password, then the right one and a full-text search.
	if err := imapLoginErr(t, srv, "alice@example.test", "not-her-password"); err == nil {
		t.Fatal("IMAP login with a wrong password succeeded")
	}
	c := e2eIMAP(t, srv, "alice@example.test", alicePW)
	uids, err := c.UIDSearch(&imap.SearchCriteria{Text: []string{"figures"}}, nil).Wait()
	if err != nil || len(uids.AllUIDs()) != 1 {
		t.Fatalf("SEARCH TEXT figures: %v %v", uids, err)
	}
	c.Logout().Wait()

	// The webmail: sign in and open the inbox.
	web := webClient(nil)
	webBase := "http://" + srv.addr(t, "webmail")
	if code, err := webSignIn(web, webBase, "alice@example.test", alicePW); err != nil || code != http.StatusSeeOther {
		t.Fatalf("webmail sign-in: %d %v", code, err)
	}
	resp, err := web.Get(webBase + "/mail?f=INBOX")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webmail inbox: %s", resp.Status)
	}

	// A mail program looking at ManageSieve: greeting, then LOGOUT.
	ms, err := net.DialTimeout("tcp", srv.addr(t, "ManageSieve"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ms.SetDeadline(time.Now().Add(10 * time.Second))
	msr := bufio.NewReader(ms)
	for {
		l, err := msr.ReadString('\n')
		if err != nil {
			t.Fatalf("ManageSieve greeting: %v", err)
		}
		if strings.HasPrefix(l, "OK") {
			break
		}
	}
	fmt.Fprintf(ms, "LOGOUT\r\n")
	msr.ReadString('\n')
	ms.Close()

	after := scrape(t, base)
	moved := func(series string) float64 { return after[series] - before[series] }
	want := map[string]float64{
		`yubin_connections_total{protocol="smtp"}`:       1,
		`yubin_connections_total{protocol="submission"}`: 1,
		// The test's two; the webmail's first look at the server's capabilities
		// (web/mailclient, once per process) and alice's session.
		`yubin_connections_total{protocol="imap"}`:                          4,
		`yubin_connections_total{protocol="pop3"}`:                          0,
		`yubin_connections_total{protocol="managesieve"}`:                   1,
		`yubin_logins_total{protocol="imap",result="failed"}`:               1,
		`yubin_logins_total{protocol="imap",result="ok"}`:                   2,
		`yubin_logins_total{protocol="submission",result="ok"}`:             1,
		`yubin_logins_total{protocol="submission",result="failed"}`:         0,
		`yubin_messages_total{outcome="received"}`:                          2,
		`yubin_messages_total{outcome="delivered"}`:                         1,
		`yubin_messages_total{outcome="bounced"}`:                           0,
		`yubin_messages_total{outcome="deferred"}`:                          0,
		`yubin_search_seconds_count{}`:                                      1,
		`yubin_webmail_logins_total{result="ok"}`:                           1,
		`yubin_webmail_logins_total{result="failed"}`:                       0,
		`yubin_webmail_request_seconds_count{method="GET",route="/login"}`:  1,
		`yubin_webmail_request_seconds_count{method="POST",route="/login"}`: 1,
		`yubin_webmail_request_seconds_count{method="GET",route="/mail"}`:   1,
		// The local delivery is one group commit (the queued copy is an update).
		`yubin_store_commit_seconds_count{kind="delivery"}`: 1,
	}
	for s, n := range want {
		if _, ok := after[s]; !ok && n != 0 {
			t.Errorf("%s: not exported", s)
			continue
		}
		if got := moved(s); got != n {
			t.Errorf("%s moved by %v, want %v", s, got, n)
		}
	}
	for _, s := range []string{`yubin_queue_entries{}`, `yubin_queue_oldest_age_seconds{}`} {
		if v, ok := after[s]; !ok || v != 0 {
			t.Errorf("%s = %v (exported %v), want 0 with the queue empty", s, v, ok)
		}
	}
	for _, s := range []string{`go_goroutines{}`, `go_memstats_heap_alloc_bytes{}`, `process_resident_memory_bytes{}`} {
		if after[s] <= 0 {
			t.Errorf("%s = %v, want the runtime's figure", s, after[s])
		}
	}
	for s := range after {
		if strings.HasPrefix(s, "yubin_webmail_request_seconds_count") && strings.Contains(s, "msg=") {
			t.Errorf("a raw path became a label: %s", s)
		}
	}
	srv.stop(t)
}

// log_format = "json" writes one JSON object per line with the same keys as the
// text lines; "text" stays key=value.
func TestLogFormat(t *testing.T) {
	var js, text strings.Builder
	newLogger("json", &js).Warn("authentication failed", "service", "imap", "ip", "192.0.2.7")
	newLogger("text", &text).Warn("authentication failed", "service", "imap", "ip", "192.0.2.7")
	var line map[string]any
	if err := json.Unmarshal([]byte(js.String()), &line); err != nil {
		t.Fatalf("json log line %q: %v", js.String(), err)
	}
	if line["msg"] != "authentication failed" || line["service"] != "imap" || line["ip"] != "192.0.2.7" || line["level"] != "WARN" {
		t.Errorf("json log line: %v", line)
	}
	if !strings.Contains(text.String(), `msg="authentication failed" service=imap ip=192.0.2.7`) {
		t.Errorf("text log line: %q", text.String())
	}
}

// A metrics port someone else holds does not keep mail from flowing: serve starts
// every mail listener, says on stderr (here as JSON, log_format = "json") that the
// metrics listener did not start, and prints no metrics line.
func TestMetricsPortTakenServesMailAnyway(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "yubin.toml")
	body := fmt.Sprintf(`hostname = "mail.example.test"
data_dir = %q
domains = ["example.test"]
log_format = "json"
[listen]
smtp = "127.0.0.1:0"
submission = ""
submissions = ""
imap = "127.0.0.1:0"
imaps = ""
pop3 = ""
pop3s = ""
managesieve = ""
http = ""
https = ""
metrics = %q
`, filepath.Join(dir, "data"), taken.Addr().String())
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(yubinBin, "serve", "--config", cfg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuf
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(stdout)
	var out []string
	for len(out) < 3 && sc.Scan() { // the banner, SMTP and IMAP
		out = append(out, sc.Text())
	}
	if len(out) < 3 || !strings.Contains(out[1], "SMTP (MX)") || !strings.Contains(out[2], "IMAP") {
		t.Fatalf("serve printed %q; stderr:\n%s", out, stderr.String())
	}
	if err := dialBanner(strings.Fields(out[1])[2], "SMTP (MX)"); err != nil {
		t.Errorf("SMTP with the metrics port taken: %v", err)
	}
	// The error is logged before the listeners are printed, but stderr reaches us
	// through its own copier.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) &&
		!strings.Contains(stderr.String(), "metrics listener not started"); {
		time.Sleep(20 * time.Millisecond)
	}
	var logged map[string]any
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, "metrics listener not started") {
			if err := json.Unmarshal([]byte(l), &logged); err != nil {
				t.Errorf("log line is not JSON: %q", l)
			}
		}
	}
	if logged["level"] != "ERROR" || logged["addr"] != taken.Addr().String() {
		t.Errorf("metrics failure logged as %v; stderr:\n%s", logged, stderr.String())
	}
}
