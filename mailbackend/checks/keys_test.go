package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotationWaitsBeforeSigningWithNewKeys(t *testing.T) {
	dir := t.TempDir()
	ks := OpenKeys(dir)
	if err := ks.Ensure("rot.test"); err != nil {
		t.Fatal(err)
	}
	kd := filepath.Join(dir, "dkim", "rot.test")
	// Age the first pair: made years ago.
	first, _ := filepath.Glob(filepath.Join(kd, "*.pem"))
	for _, f := range first {
		suffix := strings.TrimSuffix(filepath.Base(f), ".pem")
		suffix = suffix[len(suffix)-1:]
		if err := os.Rename(f, filepath.Join(kd, "y20200101t000000"+suffix+".pem")); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := ks.Rotate("rot.test")
	if err != nil || len(fresh) != 2 {
		t.Fatalf("rotate: %v", err)
	}
	cur, err := ks.Current("rot.test")
	if err != nil || len(cur) != 2 {
		t.Fatalf("current: %v %d", err, len(cur))
	}
	for _, k := range cur {
		if !strings.HasPrefix(k.Selector, "y20200101") {
			t.Fatalf("signing with %s right after rotation, before it can be published", k.Selector)
		}
	}
	all, _ := ks.All("rot.test")
	if len(all) != 4 {
		t.Fatalf("%d keys, want old and new (4)", len(all))
	}
	// Once the delay has passed (the new pair made in 2021 here), the new keys sign.
	for _, k := range fresh {
		alg := k.Selector[len(k.Selector)-1:]
		if err := os.Rename(filepath.Join(kd, k.Selector+".pem"), filepath.Join(kd, "y20210101t000000"+alg+".pem")); err != nil {
			t.Fatal(err)
		}
	}
	cur, _ = ks.Current("rot.test")
	for _, k := range cur {
		if !strings.HasPrefix(k.Selector, "y20210101") {
			t.Fatalf("after the delay still signing with %s", k.Selector)
		}
	}
}

func TestSignOversignsAndCoversAddedFields(t *testing.T) {
	ks := OpenKeys(ourKeyDir)
	msg := []byte("From: a@example.test\r\nTo: b@example.test\r\nSubject: s\r\nX-Other: x\r\n\r\nbody\r\n")
	sig, err := ks.Sign(ourDomain, msg)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(sig), "DKIM-Signature:"); n != 2 {
		t.Fatalf("%d signatures, want ed25519 and RSA", n)
	}
	for _, s := range []string{"a=ed25519-sha256", "a=rsa-sha256", "c=relaxed/relaxed", "h=From:From:Subject:Subject:To:To"} {
		if !strings.Contains(strings.NewReplacer("\r\n ", "", "\r\n\t", "").Replace(string(sig)), s) {
			t.Errorf("signatures lack %q:\n%s", s, sig)
		}
	}
	if strings.Contains(string(sig), "X-Other") {
		t.Errorf("signed a field outside RFC 6376 section 5.4.1's list:\n%s", sig)
	}
}
