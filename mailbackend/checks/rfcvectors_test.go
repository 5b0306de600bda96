package checks

import (
	"strings"
	"testing"
)

// The example of RFC 8463 appendix A.3: one message signed twice, with ed25519
// (selector brisbane, key of appendix A.2) and RSA (selector test), relaxed/relaxed.
// Only the ed25519 signature is checked here: the appendix's RSA signature does not
// verify against the RFC 6376 example key we have for it (go-msgauth's own test of
// this message checks the ed25519 one only). RSA is covered with generated keys by
// TestAlignedSenderPasses and, for what we sign, by dkimpy in smtpd's tests.
const rfc8463Message = `DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
`

const (
	rfc8463Ed25519Key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	rfc6376RSAKey     = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
)

func TestRFC8463Vectors(t *testing.T) {
	msg := strings.ReplaceAll(rfc8463Message, "\n", "\r\n")
	for _, c := range []struct {
		name, msg string
		want      string
	}{
		{"as published", msg, "pass"},
		{"body changed", strings.Replace(msg, "We lost the game.", "We won the game.", 1), "fail"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.dns.TXT(t, "brisbane._domainkey.football.example.com", rfc8463Ed25519Key)
			e.dns.TXT(t, "test._domainkey.football.example.com", rfc6376RSAKey)
			v := e.check("joe@football.example.com", []byte(c.msg))
			h := strings.ReplaceAll(string(v.Header), "\r\n\t", " ")
			// The ed25519 signature comes first in the header and in the results.
			_, ed, _ := strings.Cut(h, "dkim=")
			if !strings.HasPrefix(ed, c.want+" ") {
				t.Fatalf("ed25519 signature: dkim=%.40s, want %s: %s", ed, c.want, v.Header)
			}
			if !strings.Contains(h, "header.d=football.example.com") {
				t.Fatalf("signing domain not recorded: %s", v.Header)
			}
		})
	}
}

func TestNullSenderChecksHELO(t *testing.T) {
	e := newEnv(t)
	e.dns.TXT(t, "mx.sender.test", "v=spf1 a -all")
	v := e.verifier().Check(t.Context(), Input{IP: clientIP, HELO: "mx.sender.test", MailFrom: "", Message: message("mailer-daemon@sender.test")})
	if got := result(t, v.Header, "spf"); got != "pass" || !strings.Contains(string(v.Header), "smtp.helo=mx.sender.test") {
		t.Fatalf("bounce: spf=%q, want pass for the HELO name: %s", got, v.Header)
	}
}
