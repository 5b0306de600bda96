package settings

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// Devices are kept per account, the same endpoint again replaces the old entry (a
// browser renewing its keys), a gone endpoint can be dropped, and each account has
// at most MaxPushSubscriptions.
func TestPushSubscriptions(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub := PushSubscription{Endpoint: "https://push.example/a", P256dh: "k1", Auth: "a1", Label: "Chrome · Android\r\nX", Lang: "ja"}
	if err := s.AddPushSubscription(ctx, "Alice@example.test", sub); err != nil {
		t.Fatal(err)
	}
	sub.P256dh = "k2"
	if err := s.AddPushSubscription(ctx, "alice@example.test", sub); err != nil {
		t.Fatal(err)
	}
	got, _ := s.PushSubscriptions(ctx, "alice@example.test")
	if len(got) != 1 || got[0].P256dh != "k2" || got[0].Label != "Chrome · Android  X" || got[0].Lang != "ja" {
		t.Fatalf("after renewal: %+v", got)
	}
	if other, _ := s.PushSubscriptions(ctx, "bob@example.test"); len(other) != 0 {
		t.Errorf("bob sees alice's devices: %+v", other)
	}
	if err := s.RemovePushSubscription(ctx, "bob@example.test", got[0].ID); err != nil {
		t.Fatal(err)
	}
	if still, _ := s.PushSubscriptions(ctx, "alice@example.test"); len(still) != 1 {
		t.Error("bob removed alice's device")
	}
	if err := s.RemovePushEndpoint(ctx, "https://push.example/a"); err != nil {
		t.Fatal(err)
	}
	if gone, _ := s.PushSubscriptions(ctx, "alice@example.test"); len(gone) != 0 {
		t.Error("a gone endpoint is still listed")
	}
	for i := 0; i < MaxPushSubscriptions; i++ {
		if err := s.AddPushSubscription(ctx, "carol@example.test", PushSubscription{Endpoint: fmt.Sprintf("https://push.example/c%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddPushSubscription(ctx, "carol@example.test", PushSubscription{Endpoint: "https://push.example/one-more"}); !errors.Is(err, ErrTooManyDevices) {
		t.Errorf("past the bound: %v", err)
	}
}

func TestDeviceLabel(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36":                       "Chrome · Android",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari · iPhone",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0":                   "Edge · Windows",
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                                  "Firefox · Linux",
		"": "Browser",
	} {
		if got := DeviceLabel(ua); got != want {
			t.Errorf("DeviceLabel(%q) = %q, want %q", ua, got, want)
		}
	}
}
