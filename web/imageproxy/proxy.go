package imageproxy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yubinmail/yubin/web/outbound"
)

// Path is where the webmail serves the proxy.
const Path = "/img"

// Bounds of one fetch (Config fields of zero take these).
const (
	DefaultMaxBytes      = 10 << 20
	DefaultTimeout       = 20 * time.Second
	DefaultMaxRedirects  = 5
	DefaultMaxConcurrent = 16
	// MaxURLBytes bounds the remote URL; a longer one is not rewritten (the image
	// stays blocked).
	MaxURLBytes = 4096
)

// Config says how the proxy fetches.
type Config struct {
	// Key signs the URLs (HMAC-SHA256); LoadKey keeps one in the data directory.
	Key []byte
	// Allow lists the addresses (with their ports) fetched from although they are
	// private or special: a test's loopback image server. yubin never sets it.
	Allow []netip.AddrPort
	// Resolver looks up the image hosts; nil is the system's.
	Resolver *net.Resolver
	// The addresses allowed are web/outbound's.
	// MaxBytes, Timeout, MaxRedirects, MaxConcurrent bound the fetches; zero takes
	// the defaults above.
	MaxBytes      int64
	Timeout       time.Duration
	MaxRedirects  int
	MaxConcurrent int
	Log           *slog.Logger
}

// Proxy signs remote image URLs and fetches them.
type Proxy struct {
	cfg    Config
	policy *outbound.Policy
	client *http.Client
	slots  chan struct{} // one per fetch in progress
}

// errRefused is an address or URL the proxy will not fetch.
var errRefused = outbound.ErrRefused

// New returns a proxy; cfg.Key must be set.
func New(cfg Config) (*Proxy, error) {
	if len(cfg.Key) < 16 {
		return nil, errors.New("imageproxy: a key of at least 16 bytes is required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p := &Proxy{cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent),
		policy: &outbound.Policy{Allow: cfg.Allow, Resolver: cfg.Resolver}}
	tr := p.policy.Transport()
	p.client = &http.Client{
		Transport: tr,
		Jar:       nil, // no cookies, neither the browser's nor the remote site's
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > cfg.MaxRedirects {
				return fmt.Errorf("%w: more than %d redirects", errRefused, cfg.MaxRedirects)
			}
			if err := checkURL(req.URL); err != nil {
				return err
			}
			// net/http sets the previous URL as Referer on a redirect: strip it.
			req.Header.Del("Referer")
			return nil
		},
	}
	return p, nil
}

// KeyFile is the key's file name in the webmail's data directory.
const KeyFile = "imageproxy.key"

// LoadKey reads the signing key from dir, creating it (32 random bytes, mode 0600)
// the first time, so that signed URLs stay valid across restarts.
func LoadKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	key, err := os.ReadFile(path)
	if err == nil && len(key) >= 32 {
		return key, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	key = make([]byte, 32)
	rand.Read(key)
	tmp, err := os.CreateTemp(dir, KeyFile+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("imageproxy key: %w", err)
	}
	return key, nil
}

// sign is the HMAC of the account and the remote URL.
func (p *Proxy) sign(account, remote string) string {
	m := hmac.New(sha256.New, p.cfg.Key)
	m.Write([]byte("yubin image proxy v1\x00"))
	m.Write([]byte(strings.ToLower(strings.TrimSpace(account))))
	m.Write([]byte{0})
	m.Write([]byte(remote))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL is the proxy's URL (on our origin) for the remote image, signed for the
// account; "" when the remote URL is not one the proxy would fetch.
func (p *Proxy) URL(account, remote string) string {
	u, err := url.Parse(remote)
	if err != nil || len(remote) > MaxURLBytes || checkURL(u) != nil {
		return ""
	}
	return Path + "?" + url.Values{"u": {remote}, "s": {p.sign(account, remote)}}.Encode()
}

// checkURL accepts only http and https URLs with a host and no credentials.
func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q", errRefused, u.Scheme)
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: URL without a host or with credentials", errRefused)
	}
	return nil
}
