package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// What a push notification of new mail says (Settings.PushContent).
const (
	PushFull = "full" // "New mail from <sender>" with the subject
	PushBare = "bare" // "New mail", nothing of the message
)

// MaxPushSubscriptions bounds one account's devices.
const MaxPushSubscriptions = 10

// ErrTooManyDevices is AddPushSubscription past MaxPushSubscriptions.
var ErrTooManyDevices = errors.New("settings: too many devices with notifications")

// PushSubscription is one device's Web Push subscription (the browser's
// PushSubscription: its push service endpoint and its keys, RFC 8291 section 2).
type PushSubscription struct {
	ID       int64
	Endpoint string
	P256dh   string // the device's ECDH public key, base64url
	Auth     string // the authentication secret, base64url
	Label    string // what the settings page calls the device ("Chrome on Android")
	Lang     string // the UI language when it subscribed: the notification's language
	Created  time.Time
}

// AddPushSubscription stores a device's subscription for the account; the same
// endpoint again replaces the old one (a browser renews its keys).
func (s *Store) AddPushSubscription(ctx context.Context, account string, sub PushSubscription) error {
	key := Key(account)
	if key == "" || sub.Endpoint == "" {
		return errors.New("settings: no account or endpoint")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ?`, sub.Endpoint); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM push_subscriptions WHERE account = ?`, key).Scan(&n); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if n >= MaxPushSubscriptions {
		return ErrTooManyDevices
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (account, endpoint, p256dh, auth, label, lang, created)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, key, sub.Endpoint, sub.P256dh, sub.Auth, clip(oneLine(sub.Label), 100), sub.Lang, time.Now().Unix()); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return tx.Commit()
}

// PushSubscriptions are the account's devices, oldest first.
func (s *Store) PushSubscriptions(ctx context.Context, account string) ([]PushSubscription, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, endpoint, p256dh, auth, label, lang, created FROM push_subscriptions
		WHERE account = ? ORDER BY id`, Key(account))
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	defer rows.Close()
	var out []PushSubscription
	for rows.Next() {
		var p PushSubscription
		var created int64
		if err := rows.Scan(&p.ID, &p.Endpoint, &p.P256dh, &p.Auth, &p.Label, &p.Lang, &created); err != nil {
			return nil, fmt.Errorf("settings: %w", err)
		}
		p.Created = time.Unix(created, 0)
		out = append(out, p)
	}
	return out, rows.Err()
}

// RemovePushSubscription removes one of the account's devices by ID; with the
// last one goes the account's push credential (pushcred.go).
func (s *Store) RemovePushSubscription(ctx context.Context, account string, id int64) error {
	return s.removePush(ctx, `DELETE FROM push_subscriptions WHERE account = ? AND id = ?`, Key(account), id)
}

// RemovePushEndpoint forgets a subscription the push service says is gone (404 or
// 410, RFC 8030 section 7.3); with an account's last one goes its push credential.
func (s *Store) RemovePushEndpoint(ctx context.Context, endpoint string) error {
	return s.removePush(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ?`, endpoint)
}

func (s *Store) removePush(ctx context.Context, query string, args ...any) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if err := dropOrphanPushCredentials(ctx, tx); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return tx.Commit()
}

// DeviceLabel names a browser from its User-Agent for the settings page: a few
// words, never the whole string.
func DeviceLabel(userAgent string) string {
	ua := strings.ToLower(userAgent)
	browser := "Browser"
	for _, b := range []struct{ key, name string }{
		{"edg/", "Edge"}, {"firefox/", "Firefox"}, {"fxios", "Firefox"}, {"crios", "Chrome"},
		{"chrome/", "Chrome"}, {"chromium/", "Chromium"}, {"safari/", "Safari"},
	} {
		if strings.Contains(ua, b.key) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ key, name string }{
		{"android", "Android"}, {"iphone", "iPhone"}, {"ipad", "iPad"}, {"mac os", "Mac"},
		{"windows", "Windows"}, {"cros", "ChromeOS"}, {"linux", "Linux"},
	} {
		if strings.Contains(ua, o.key) {
			system = o.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return browser + " · " + system
}
