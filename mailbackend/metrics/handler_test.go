package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/metrics"
)

// startServer starts a real mail server (POP3 only) with its metrics on a fresh
// registry, and the metrics listener in front of it.
func startServer(t *testing.T) (*mailbackend.Running, *httptest.Server) {
	t.Helper()
	cfg := config.Dev()
	cfg.DataDir = t.TempDir()
	cfg.Listen = config.Listen{POP3: "127.0.0.1:0"}
	reg := metrics.NewRegistry()
	run, err := mailbackend.StartWithMetrics(context.Background(), &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	web := httptest.NewServer(metrics.Handler(reg, run.Ready))
	t.Cleanup(web.Close)
	return run, web
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pop3WrongPassword tries a login that must fail, as a POP3 client does.
func pop3WrongPassword(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	line := func() string {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("POP3: %v", err)
		}
		return l
	}
	line() // greeting
	fmt.Fprintf(c, "USER nobody@localhost\r\n")
	line()
	fmt.Fprintf(c, "PASS wrong\r\n")
	if l := line(); !strings.HasPrefix(l, "-ERR") {
		t.Fatalf("wrong POP3 password answered %q", l)
	}
	fmt.Fprintf(c, "QUIT\r\n")
}

// Two servers in one process each count on their own registry (no duplicate
// registration panic, no shared numbers); /readyz follows the store and /healthz
// only the process.
func TestHandlerPerInstanceAndReadiness(t *testing.T) {
	run1, web1 := startServer(t)
	_, web2 := startServer(t)

	pop3WrongPassword(t, run1.Addr(mailbackend.ListenPOP3))
	_, body1 := get(t, web1.URL+"/metrics")
	_, body2 := get(t, web2.URL+"/metrics")
	for _, c := range []struct {
		body, series string
		want         float64
	}{
		{body1, `yubin_connections_total{protocol="pop3"}`, 1},
		{body1, `yubin_logins_total{protocol="pop3",result="failed"}`, 1},
		{body2, `yubin_connections_total{protocol="pop3"}`, 0},
		{body2, `yubin_logins_total{protocol="pop3",result="failed"}`, 0},
	} {
		if got := sample(t, c.body, c.series); got != c.want {
			t.Errorf("%s = %v, want %v", c.series, got, c.want)
		}
	}

	if code, body := get(t, web1.URL+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz of a running server: %d %q", code, body)
	}
	run1.Store.Close()
	if code, body := get(t, web1.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "closed") {
		t.Errorf("/readyz with the store closed: %d %q, want 503 naming it", code, body)
	}
	if code, _ := get(t, web1.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz of a live process: %d", code)
	}
	if code, _ := get(t, web2.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz of the other server: %d", code)
	}
}

// sample parses a text exposition and returns the value of one counter series,
// written as name{label="value",…} with the labels in their exported order.
func sample(t *testing.T, body, series string) float64 {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	name := series[:strings.IndexByte(series, '{')]
	f, ok := families[name]
	if !ok {
		t.Fatalf("%s not exported", name)
	}
	for _, m := range f.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
		}
		if name+"{"+strings.Join(labels, ",")+"}" == series {
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("%s not exported", series)
	return 0
}
