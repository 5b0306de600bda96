package credseal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeyFile is the sealing key's file in the webmail's data directory.
const KeyFile = "outbox.key"

// Key seals and opens passwords.
type Key struct {
	aead cipher.AEAD
}

// Load reads the key from dir, creating it (0600) on first use.
func Load(dir string) (*Key, error) {
	raw, err := loadKey(dir)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("credseal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("credseal: %w", err)
	}
	return &Key{aead: aead}, nil
}

func loadKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("credseal: %s is not a 32-byte key", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("credseal: %w", err)
	}
	key = make([]byte, 32)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("credseal: %w", err)
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, fmt.Errorf("credseal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("credseal: %w", err)
	}
	return key, f.Close()
}

// Seal returns password sealed for account (the caller's normalized account key).
func (k *Key) Seal(account, password string) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, []byte(password), []byte(account))
}

// ErrNotOpened is a sealed value that does not open: another key (a data
// directory restored without its key file), another account, or damage.
var ErrNotOpened = errors.New("credseal: sealed credential does not open")

// Open returns the password sealed for account.
func (k *Key) Open(account string, sealed []byte) (string, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return "", ErrNotOpened
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(account))
	if err != nil {
		return "", ErrNotOpened
	}
	return string(plain), nil
}
