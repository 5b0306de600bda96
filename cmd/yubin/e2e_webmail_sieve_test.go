package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestE2EWebmailOutOfOfficeUsesTheBundledManageSieve: with [webmail] managesieve
// left empty, the binary's webmail finds the bundled listener, saves the
// Out-of-office form there and reads it back.
func TestE2EWebmailOutOfOfficeUsesTheBundledManageSieve(t *testing.T) {
	cfg := testConfig(t, "")
	e2eUser(t, cfg, "alice@example.test", alicePW)
	srv := e2eStartServe(t, cfg)
	b := e2eWebmail(t, srv, "alice@example.test", alicePW)
	read := func(r *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		body, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(body)
	}
	code, page := read(b.c.Get(b.base + "/settings/vacation"))
	m := e2eTokenRe.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil || !strings.Contains(page, `name="message"`) {
		t.Fatalf("Out-of-office page: %d: %s", code, page)
	}
	code, page = read(b.c.PostForm(b.base+"/settings/vacation", url.Values{"csrf": {m[1]}, "on": {"1"},
		"subject": {"不在"}, "message": {"1月6日に戻ります。"}}))
	if code != http.StatusSeeOther {
		t.Fatalf("save: %d: %s", code, page)
	}
	if _, page = read(b.c.Get(b.base + "/settings/vacation")); !strings.Contains(page, `name="on" value="1" checked`) || !strings.Contains(page, "1月6日に戻ります。") {
		t.Errorf("the saved settings are not shown: %s", page)
	}
}
