package push

import (
	"encoding/base64"
	"net/url"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/web/outbound"
	"github.com/yubinmail/yubin/web/settings"
)

// FuzzCheckSubscription: whatever a browser (or anyone with a session) posts as a
// subscription is judged within the time budget, and one that is accepted has an
// https endpoint on a host that is not an inside address literal, a 65-byte P-256
// point and a 16-byte secret.
// Run: go test ./web/push/ -run '^$' -fuzz FuzzCheckSubscription -fuzztime 20s
func FuzzCheckSubscription(f *testing.F) {
	key := base64.RawURLEncoding.EncodeToString(append([]byte{4}, make([]byte, 64)...))
	auth := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	f.Add("https://fcm.googleapis.com/fcm/send/abc", key, auth)
	f.Add("http://127.0.0.1:8080/push", key, auth)
	f.Add("https://[::1]/x", key+"==", auth)
	f.Add("https://10.0.0.1:443/x", key, "AAAA")
	s := NewSender(Keys{Public: "p", Private: "k"}, "localhost", &outbound.Policy{})
	f.Fuzz(func(t *testing.T, endpoint, p256dh, secret string) {
		var err error
		sub := settings.PushSubscription{Endpoint: endpoint, P256dh: p256dh, Auth: secret}
		fuzzbudget.Run(t, func() { err = s.CheckSubscription(sub) })
		if err != nil {
			return
		}
		u, perr := url.Parse(endpoint)
		if perr != nil || u.Scheme != "https" || u.Host == "" {
			t.Fatalf("accepted endpoint %q", endpoint)
		}
		if k, _ := base64.RawURLEncoding.DecodeString(trimPad(p256dh)); len(k) != 65 {
			t.Fatalf("accepted key %q", p256dh)
		}
	})
}
