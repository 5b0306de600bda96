package push

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/yubinmail/yubin/web/outbound"
	"github.com/yubinmail/yubin/web/settings"
)

// Bounds of sending.
const (
	sendTimeout    = 15 * time.Second
	maxEndpointLen = 2048
	// ttl is how long a push service keeps a notification for a device that is off
	// (RFC 8030 section 5.2): a day, after which "new mail" is no news.
	ttl = 24 * 60 * 60
)

// ErrGone is a subscription its push service no longer knows (404 or 410).
var ErrGone = errors.New("push: subscription gone")

// Payload is what the service worker (static/sw.js) shows.
type Payload struct {
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	URL   string `json:"url"`           // opened on a click, on our origin
	Tag   string `json:"tag,omitempty"` // replaces an earlier notification with the same tag
}

// Sender encrypts and posts notifications.
type Sender struct {
	keys    Keys
	subject string // RFC 8292 section 2.1 "sub": how a push service reaches the operator
	client  *http.Client
	policy  *outbound.Policy
}

// NewSender sends with keys, as the server hostname, to push services the policy
// allows.
func NewSender(keys Keys, hostname string, policy *outbound.Policy) *Sender {
	return &Sender{keys: keys, subject: "mailto:postmaster@" + hostname, policy: policy,
		client: &http.Client{Transport: policy.Transport(), Timeout: sendTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// PublicKey is the applicationServerKey browsers subscribe with.
func (s *Sender) PublicKey() string { return s.keys.Public }

// CheckSubscription says why a subscription a browser posted cannot be used, or
// nil: an HTTPS endpoint (RFC 8030 section 8: push messages over TLS only; plain
// HTTP only to a test's allowed loopback stand-in), a P-256 public key and a
// 16-byte authentication secret (RFC 8291 section 2).
func (s *Sender) CheckSubscription(sub settings.PushSubscription) error {
	if len(sub.Endpoint) > maxEndpointLen {
		return errors.New("endpoint too long")
	}
	u, err := url.Parse(sub.Endpoint)
	if err != nil || u.Host == "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("endpoint is not an https URL")
	}
	port := uint16(443)
	if p, err := strconv.ParseUint(u.Port(), 10, 16); err == nil {
		port = uint16(p)
	} else if u.Port() != "" {
		return errors.New("endpoint port is not a number")
	}
	ip, literal := netip.ParseAddr(u.Hostname())
	// A name is checked at every send, on what it resolves to (web/outbound); an
	// address can be judged now. Plain HTTP only to an allowed test stand-in.
	if literal == nil && !s.policy.Allowed(ip, port) {
		return errors.New("endpoint is not a public address")
	}
	if u.Scheme == "http" && (literal != nil || !slices.Contains(s.policy.Allow, netip.AddrPortFrom(ip, port))) {
		return errors.New("endpoint is not an https URL")
	}
	if k, err := base64.RawURLEncoding.DecodeString(trimPad(sub.P256dh)); err != nil || len(k) != 65 || k[0] != 4 {
		return errors.New("p256dh is not an uncompressed P-256 point")
	}
	if a, err := base64.RawURLEncoding.DecodeString(trimPad(sub.Auth)); err != nil || len(a) != 16 {
		return errors.New("auth is not a 16-byte secret")
	}
	return nil
}

func trimPad(s string) string {
	for len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
	}
	return s
}

// Send delivers p to one device.
func (s *Sender) Send(ctx context.Context, sub settings.PushSubscription, p Payload) error {
	msg, err := json.Marshal(p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(ctx, msg,
		&webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{P256dh: sub.P256dh, Auth: sub.Auth}},
		&webpush.Options{
			HTTPClient: s.client, Subscriber: s.subject, TTL: ttl, Urgency: webpush.UrgencyNormal,
			VAPIDPublicKey: s.keys.Public, VAPIDPrivateKey: s.keys.Private,
		})
	if err != nil {
		return fmt.Errorf("push to %s: %w", hostOf(sub.Endpoint), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return ErrGone
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("push to %s: %s", hostOf(sub.Endpoint), resp.Status)
	}
	return nil
}

func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Host
	}
	return "?"
}
