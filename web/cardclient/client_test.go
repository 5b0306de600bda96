package cardclient

import "testing"

// TestCheckRefusesPasswordsInClear: a CardDAV URL over plain HTTP is accepted only
// for loopback, where the password never leaves the machine.
func TestCheckRefusesPasswordsInClear(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080/dav/":      true,
		"http://[::1]:8080/dav/":          true,
		"http://localhost:8080/dav/":      true,
		"https://dav.example.test/dav/":   true,
		"http://dav.example.test/dav/":    false,
		"http://192.0.2.7/dav/":           false,
		"ftp://127.0.0.1/dav/":            false,
		"127.0.0.1:8080":                  false,
		"http://127.0.0.1.evil.test/dav/": false,
	} {
		if err := (Server{URL: url}).Check(); (err == nil) != ok {
			t.Errorf("Check(%q) = %v, want ok=%v", url, err, ok)
		}
	}
}
