package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	webpush "github.com/SherClockHolmes/webpush-go"
)

// KeyFile is the VAPID key pair's file in the webmail's data directory.
const KeyFile = "vapid.json"

// Keys is the server's VAPID key pair (RFC 8292 section 3.2): the public key is the
// browser's applicationServerKey, both base64url without padding.
type Keys struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// LoadKeys reads the key pair from dir, generating it the first time: a browser's
// subscription is bound to the public key, so it must never change.
func LoadKeys(dir string) (Keys, error) {
	path := filepath.Join(dir, KeyFile)
	var k Keys
	data, err := os.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(data, &k); err != nil || k.Public == "" || k.Private == "" {
			return Keys{}, fmt.Errorf("push: %s is damaged; remove it to make new keys (every device must then subscribe again)", path)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Keys{}, fmt.Errorf("push: %w", err)
	}
	k.Private, k.Public, err = webpush.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, fmt.Errorf("push: %w", err)
	}
	data, _ = json.Marshal(k)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Keys{}, fmt.Errorf("push: %w", err)
	}
	tmp, err := os.CreateTemp(dir, KeyFile+".tmp*")
	if err != nil {
		return Keys{}, fmt.Errorf("push: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return Keys{}, fmt.Errorf("push: %w", err)
	}
	return k, nil
}
