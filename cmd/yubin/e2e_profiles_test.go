package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestE2EProfilesFromThisHostOnly: the metrics listener serves the running
// server's Go profiles, as go tool pprof fetches them, to the admin on the machine,
// and refuses them to a request naming another host (DNS rebinding), as it does
// the admin pages.
func TestE2EProfilesFromThisHostOnly(t *testing.T) {
	srv := e2eStartServe(t, testConfig(t, ""))
	adm := newAdminClient(t, srv)

	if _, root := adm.get(t, "/"); !strings.Contains(root, "/debug/pprof/") {
		t.Errorf("the metrics listener's index does not name the profiles: %q", root)
	}
	// The goroutine dump is this server's: its IMAP listener waits in accept.
	status, dump := adm.get(t, "/debug/pprof/goroutine?debug=1")
	if status != http.StatusOK || !strings.Contains(dump, "goroutine profile:") || !strings.Contains(dump, "yubin/mailbackend/imapd") {
		t.Errorf("goroutine dump: %d\n%.2000s", status, dump)
	}
	if status, heap := adm.get(t, "/debug/pprof/heap?debug=1"); status != http.StatusOK || !strings.HasPrefix(heap, "heap profile:") {
		t.Errorf("heap profile: %d\n%.500s", status, heap)
	}
	// The form go tool pprof reads: a gzipped protocol buffer.
	status, cpu := adm.get(t, "/debug/pprof/profile?seconds=1")
	if status != http.StatusOK || !bytes.HasPrefix([]byte(cpu), []byte{0x1f, 0x8b}) {
		t.Errorf("CPU profile: %d, %d bytes starting %q", status, len(cpu), cpu[:min(len(cpu), 40)])
	}

	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		req, _ := http.NewRequest("GET", adm.base+path, nil)
		req.Host = "mail.attacker.example"
		r, err := adm.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusForbidden || strings.Contains(string(body), "--config") {
			t.Errorf("%s asked for as Host mail.attacker.example: %d %q, want 403", path, r.StatusCode, body)
		}
	}
}
