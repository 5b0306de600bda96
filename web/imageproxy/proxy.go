package imageproxy

import (
	"context"
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
	"strconv"
	"strings"
	"syscall"
	"time"
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
	client *http.Client
	slots  chan struct{} // one per fetch in progress
}

// errRefused is an address or URL the proxy will not fetch.
var errRefused = errors.New("refused")

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
	if cfg.Resolver == nil {
		cfg.Resolver = net.DefaultResolver
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	p := &Proxy{cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent)}
	tr := &http.Transport{
		Proxy:                  nil, // never through an environment proxy: the checks are on the real peer
		DialContext:            p.dial,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		MaxIdleConns:           32,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
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

// dial resolves the host itself and refuses a name with any address that is not
// allowed; the dialer's Control checks the address actually connected to again, so
// a DNS answer that changes between the two (rebinding) still cannot reach inside.
func (p *Proxy) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%w: port %q", errRefused, portText)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = p.cfg.Resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	for _, ip := range ips {
		if !p.allowedAddr(ip, uint16(port)) {
			return nil, fmt.Errorf("%w: %s resolves to %s, not a public address", errRefused, host, ip)
		}
	}
	d := net.Dialer{Timeout: 10 * time.Second, Control: p.control}
	var first error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// control runs just before connect(2), with the address connected to.
func (p *Proxy) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", errRefused, address)
	}
	if !p.allowedAddr(ap.Addr(), ap.Port()) {
		return fmt.Errorf("%w: %s is not a public address", errRefused, ap)
	}
	return nil
}
