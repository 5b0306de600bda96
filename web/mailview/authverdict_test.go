package mailview

import "testing"

func TestUnverified(t *testing.T) {
	const us = "mail.example.test"
	cases := []struct {
		name, header, want string
	}{
		{"dmarc pass", "Authentication-Results: mail.example.test; spf=pass smtp.mailfrom=a@bank.test; dmarc=pass header.from=bank.test\r\n", ""},
		{"dmarc fail", "Authentication-Results: mail.example.test; spf=fail smtp.mailfrom=x@evil.test; dkim=none; dmarc=fail header.from=bank.test\r\n", "bank.test"},
		{"no dmarc, aligned dkim", "Authentication-Results: mail.example.test; dkim=pass header.d=mail.bank.test; dmarc=none header.from=bank.test\r\n", ""},
		{"no dmarc, nothing aligned", "Authentication-Results: mail.example.test; spf=pass smtp.mailfrom=x@other.test; dkim=none; dmarc=none\r\n", "bank.test"},
		{"temperror", "Authentication-Results: mail.example.test; dmarc=temperror\r\n", "bank.test"},
		// Another server's claim is not ours to believe, nor absent results.
		{"other authserv-id", "Authentication-Results: mx.evil.test; dmarc=fail\r\n", ""},
		{"none at all", "", ""},
		// Ours comes first (prepended); an older one below it is not read.
		{"first of ours wins", "Authentication-Results: mail.example.test; dmarc=pass header.from=bank.test\r\nAuthentication-Results: mail.example.test; dmarc=fail\r\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Open([]byte(c.header + "From: Bank <info@bank.test>\r\nSubject: s\r\n\r\nbody\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Unverified(us); got != c.want {
				t.Fatalf("Unverified = %q, want %q", got, c.want)
			}
		})
	}
}
