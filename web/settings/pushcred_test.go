package settings

import (
	"context"
	"testing"
)

// A push credential is kept only for an account with a device, goes with its last
// device (removed by the user or dropped by the push service), and a refused one
// is dropped only if no newer one replaced it meanwhile.
func TestPushCredentialsFollowDevices(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.PutPushCredential(ctx, "alice@example.test", []byte("sealed-1")); err != nil || ok {
		t.Fatalf("stored for an account without a device: %v %v", ok, err)
	}
	for _, ep := range []string{"https://push.example/a", "https://push.example/b"} {
		if err := s.AddPushSubscription(ctx, "alice@example.test", PushSubscription{Endpoint: ep, P256dh: "k", Auth: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.PutPushCredential(ctx, "Alice@Example.test", []byte("sealed-1")); err != nil || !ok {
		t.Fatalf("not stored: %v %v", ok, err)
	}
	creds, _ := s.PushCredentials(ctx)
	if c := creds["alice@example.test"]; len(creds) != 1 || c.Login != "Alice@Example.test" || string(c.Sealed) != "sealed-1" {
		t.Fatalf("stored: %+v", creds)
	}
	// The user signs in with a new password before the old one's refusal lands.
	s.PutPushCredential(ctx, "alice@example.test", []byte("sealed-2"))
	s.DropPushCredential(ctx, "alice@example.test", []byte("sealed-1"))
	if b, _ := s.PushCredentialOf(ctx, "alice@example.test"); string(b) != "sealed-2" {
		t.Fatalf("a refused old credential dropped the new one: %q", b)
	}
	subs, _ := s.PushSubscriptions(ctx, "alice@example.test")
	if err := s.RemovePushSubscription(ctx, "alice@example.test", subs[0].ID); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.PushCredentialOf(ctx, "alice@example.test"); b == nil {
		t.Fatal("dropped while a device is left")
	}
	if err := s.RemovePushEndpoint(ctx, "https://push.example/b"); err != nil {
		t.Fatal(err)
	}
	if b, _ := s.PushCredentialOf(ctx, "alice@example.test"); b != nil {
		t.Fatal("kept after the last device went")
	}
	s.AddPushSubscription(ctx, "alice@example.test", PushSubscription{Endpoint: "https://push.example/c", P256dh: "k", Auth: "a"})
	s.PutPushCredential(ctx, "alice@example.test", []byte("sealed-3"))
	if err := s.DropPushCredential(ctx, "alice@example.test", nil); err != nil {
		t.Fatal(err)
	}
	if creds, _ := s.PushCredentials(ctx); len(creds) != 0 {
		t.Fatalf("after an unconditional drop: %+v", creds)
	}
}
