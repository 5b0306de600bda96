package checks

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Key is one DKIM private key of a local domain.
type Key struct {
	Domain   string
	Selector string
	Signer   crypto.Signer
}

// Algorithm is "ed25519" or "rsa", as in the k= tag of the key record.
func (k *Key) Algorithm() string {
	if _, ok := k.Signer.Public().(ed25519.PublicKey); ok {
		return "ed25519"
	}
	return "rsa"
}

// TXT is the key record to publish at Selector._domainkey.Domain (RFC 6376 section
// 3.6.1; RFC 8463 section 4.2 for ed25519, whose p= is the raw 32-octet key).
func (k *Key) TXT() string {
	var p []byte
	switch pub := k.Signer.Public().(type) {
	case ed25519.PublicKey:
		p = pub
	default:
		p, _ = x509.MarshalPKIXPublicKey(pub) // an RSA key always marshals
	}
	return "v=DKIM1; k=" + k.Algorithm() + "; p=" + base64.StdEncoding.EncodeToString(p)
}

// Keys keeps the DKIM keys under data_dir/dkim/DOMAIN/SELECTOR.pem. Another process
// (`yubin dkim rotate`) may add keys while the server runs: a domain's directory is
// re-read when its modification time changes.
type Keys struct {
	dir string

	genMu sync.Mutex // one key generation at a time (Ensure)

	mu    sync.Mutex
	cache map[string]cachedKeys // by domain
}

type cachedKeys struct {
	mtime time.Time
	keys  []*Key // sorted by selector, oldest first
}

// OpenKeys returns the key store under dataDir.
func OpenKeys(dataDir string) *Keys {
	return &Keys{dir: filepath.Join(dataDir, "dkim"), cache: map[string]cachedKeys{}}
}

// validDomain keeps a domain name from escaping the key directory.
func validDomain(d string) bool {
	return d != "" && d != "." && d != ".." && !strings.ContainsAny(d, `/\`+"\x00")
}

// All returns every key of domain, oldest selector first; none is not an error.
func (ks *Keys) All(domain string) ([]*Key, error) {
	if ks == nil {
		return nil, nil
	}
	domain = strings.ToLower(domain)
	if !validDomain(domain) {
		return nil, fmt.Errorf("dkim: bad domain %q", domain)
	}
	dir := filepath.Join(ks.dir, domain)
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dkim keys: %w", err)
	}
	ks.mu.Lock()
	c, ok := ks.cache[domain]
	ks.mu.Unlock()
	if ok && c.mtime.Equal(fi.ModTime()) {
		return c.keys, nil
	}
	keys, err := loadKeys(dir, domain)
	if err != nil {
		return nil, err
	}
	ks.mu.Lock()
	ks.cache[domain] = cachedKeys{mtime: fi.ModTime(), keys: keys}
	ks.mu.Unlock()
	return keys, nil
}

func loadKeys(dir, domain string) ([]*Key, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var keys []*Key
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("dkim key: %w", err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("dkim key %s: not PEM", name)
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("dkim key %s: %w", name, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("dkim key %s: not a signing key", name)
		}
		keys = append(keys, &Key{Domain: domain, Selector: strings.TrimSuffix(filepath.Base(name), ".pem"), Signer: signer})
	}
	return keys, nil
}

// RotationDelay is how long after `yubin dkim rotate` the new keys start to sign:
// time for the admin to publish them and for DNS caches to see them. Until then
// the previous keys sign, so no message goes out with a key nobody can find.
const RotationDelay = 48 * time.Hour

// created reads the creation time out of a selector made by Rotate; zero for
// others.
func (k *Key) created() time.Time {
	s := strings.TrimPrefix(k.Selector, "y")
	if len(s) < len("20060102t150405") {
		return time.Time{}
	}
	t, err := time.Parse("20060102t150405", s[:len("20060102t150405")])
	if err != nil {
		return time.Time{}
	}
	return t
}

// Current returns the ed25519 and the RSA key of domain that sign now: of each
// kind the oldest, or a newer one once RotationDelay has passed since it was made.
func (ks *Keys) Current(domain string) ([]*Key, error) {
	all, err := ks.All(domain)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	active := map[string]*Key{}
	for _, k := range all { // oldest first
		alg := k.Algorithm()
		if active[alg] == nil || !now.Before(k.created().Add(RotationDelay)) {
			active[alg] = k
		}
	}
	var out []*Key
	for _, alg := range []string{"ed25519", "rsa"} {
		if k := active[alg]; k != nil {
			out = append(out, k)
		}
	}
	return out, nil
}

// Ensure gives domain its first key pair if it has none.
func (ks *Keys) Ensure(domain string) error {
	ks.genMu.Lock()
	defer ks.genMu.Unlock()
	cur, err := ks.Current(domain)
	if err != nil {
		return err
	}
	if len(cur) == 2 { // one of each kind
		return nil
	}
	_, err = ks.Rotate(domain)
	return err
}

// Rotate adds a new ed25519 and RSA-2048 key pair under new selectors and returns
// them. The old keys stay (and stay published by `yubin dns records`) until the
// admin deletes their files, so mail signed with them still verifies.
func (ks *Keys) Rotate(domain string) ([]*Key, error) {
	domain = strings.ToLower(domain)
	if !validDomain(domain) {
		return nil, fmt.Errorf("dkim: bad domain %q", domain)
	}
	dir := filepath.Join(ks.dir, domain)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dkim keys: %w", err)
	}
	// Selectors sort by creation time: y20261207t041500e / ...r.
	base := "y" + time.Now().UTC().Format("20060102t150405")
	for n := 0; ; n++ {
		stem := base
		if n > 0 {
			stem = fmt.Sprintf("%s%02d", base, n)
		}
		if _, err := os.Stat(filepath.Join(dir, stem+"e.pem")); errors.Is(err, os.ErrNotExist) {
			base = stem
			break
		}
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	var out []*Key
	for _, k := range []struct {
		suffix string
		signer crypto.Signer
	}{{"e", edKey}, {"r", rsaKey}} {
		der, err := x509.MarshalPKCS8PrivateKey(k.signer)
		if err != nil {
			return nil, err
		}
		if err := writePrivate(filepath.Join(dir, base+k.suffix+".pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return nil, err
		}
		out = append(out, &Key{Domain: domain, Selector: base + k.suffix, Signer: k.signer})
	}
	return out, nil
}

// writePrivate writes a key readable by the owner only, durably, and atomically
// (a temporary file renamed into place) so a half-written key is never loaded.
func writePrivate(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("dkim key: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("dkim key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("dkim key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("dkim key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("dkim key: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// record returns the key record of domain's selector, if we hold that key.
func (ks *Keys) record(domain, selector string) (string, bool) {
	if ks == nil {
		return "", false
	}
	keys, err := ks.All(domain)
	if err != nil {
		return "", false
	}
	for _, k := range keys {
		if strings.EqualFold(k.Selector, selector) {
			return k.TXT(), true
		}
	}
	return "", false
}
