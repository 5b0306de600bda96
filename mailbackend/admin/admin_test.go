package admin

import (
	"strings"
	"testing"
)

// Every string of the pages exists in English and Japanese.
func TestCatalogHasBothLanguages(t *testing.T) {
	for key, m := range catalog {
		if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s: %q / %q, want both languages", key, m[0], m[1])
		}
		if strings.Count(m[0], "%") != strings.Count(m[1], "%") {
			t.Errorf("%s: the two languages take different arguments: %q / %q", key, m[0], m[1])
		}
	}
	for key := range doneKeys {
		if _, ok := catalog[key]; !ok {
			t.Errorf("flash key %s is not in the catalog", key)
		}
	}
}

// Only this machine's names pass: a rebinding attacker's page sends its own.
func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:9090": true, "localhost:9090": true, "[::1]:9090": true, "LOCALHOST.": true, "127.0.0.1": true,
		"attacker.example:9090": false, "10.0.0.1:9090": false, "localhost.attacker.example": false, "": false,
	} {
		if got := loopbackHost(host); got != want {
			t.Errorf("loopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// The header view stops at the empty line, or at the limit.
func TestHeaderBlock(t *testing.T) {
	msg := "From: a@example.test\r\nSubject: hi\r\n\r\nbody\r\n"
	if got, _ := headerBlock(strings.NewReader(msg), 1<<10); got != "From: a@example.test\nSubject: hi\n" {
		t.Errorf("headers: %q", got)
	}
	long := "X-Long: " + strings.Repeat("a", 5000) + "\r\n\r\nbody"
	if got, _ := headerBlock(strings.NewReader(long), 100); len(got) > 101 {
		t.Errorf("headers past the limit: %d bytes", len(got))
	}
	if got, _ := headerBlock(strings.NewReader("Subject: no body"), 1<<10); got != "Subject: no body\n" {
		t.Errorf("message without a body: %q", got)
	}
}
