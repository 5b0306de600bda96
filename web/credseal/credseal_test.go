package credseal

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The key is made once (0600) and read again by the next start; a sealed password
// opens only for its own account and under its own key.
func TestSealOpensOnlyForItsAccountAndKey(t *testing.T) {
	dir := t.TempDir()
	k, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	sealed := k.Seal("alice@example.test", "pässwörd")
	if string(sealed) == "pässwörd" || len(sealed) <= len("pässwörd") {
		t.Fatal("not sealed")
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pw, err := again.Open("alice@example.test", sealed); err != nil || pw != "pässwörd" {
		t.Fatalf("reopened after a restart: %q %v", pw, err)
	}
	if _, err := again.Open("bob@example.test", sealed); !errors.Is(err, ErrNotOpened) {
		t.Errorf("another account's sealed password opened: %v", err)
	}
	other, _ := Load(t.TempDir())
	if _, err := other.Open("alice@example.test", sealed); !errors.Is(err, ErrNotOpened) {
		t.Errorf("opened under another key: %v", err)
	}
	if _, err := again.Open("alice@example.test", sealed[:5]); !errors.Is(err, ErrNotOpened) {
		t.Errorf("a short value: %v", err)
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("short"), 0o600)
	if _, err := Load(dir); err == nil {
		t.Error("a damaged key file was accepted")
	}
}
