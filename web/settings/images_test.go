package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// The senders whose images are shown are kept per account, matched without
// regard to case, survive a reopen, and are bounded.
func TestImageSenders(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AllowImagesFrom(ctx, "Alice@example.test", "News@Shop.example"); err != nil {
		t.Fatal(err)
	}
	if err := s.AllowImagesFrom(ctx, "alice@example.test", "news@shop.example"); err != nil {
		t.Fatalf("allowing the same sender twice: %v", err)
	}
	for _, bad := range []string{"", "no-at-sign", "@example.test", "a@b@c", "a b@example.test", "x@example.test\r\nBcc: y"} {
		if err := s.AllowImagesFrom(ctx, "alice@example.test", bad); err == nil {
			t.Errorf("AllowImagesFrom(%q) accepted", bad)
		}
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ok, err := s.ImagesAllowedFrom(ctx, "ALICE@example.test", "NEWS@shop.example"); !ok || err != nil {
		t.Errorf("allowed sender after reopen: %v %v", ok, err)
	}
	if ok, _ := s.ImagesAllowedFrom(ctx, "bob@example.test", "news@shop.example"); ok {
		t.Error("alice's sender is allowed for bob")
	}
	if got, _ := s.ImageSenders(ctx, "alice@example.test"); !slices.Equal(got, []string{"news@shop.example"}) {
		t.Errorf("senders: %v", got)
	}
	if err := s.ForgetImageSender(ctx, "alice@example.test", "News@shop.example"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ImagesAllowedFrom(ctx, "alice@example.test", "news@shop.example"); ok {
		t.Error("a forgotten sender is still allowed")
	}
	for i := 0; i < MaxImageSenders; i++ {
		if err := s.AllowImagesFrom(ctx, "carol@example.test", fmt.Sprintf("s%d@example.test", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AllowImagesFrom(ctx, "carol@example.test", "one-more@example.test"); !errors.Is(err, ErrTooManySenders) {
		t.Errorf("past the bound: %v", err)
	}
}

func TestRemoteImagesPolicyNormalized(t *testing.T) {
	for in, want := range map[string]string{"": ImagesAsk, "always": ImagesAlways, "never": ImagesNever, "sometimes": ImagesAsk} {
		st := Settings{RemoteImages: in}
		st.Normalize()
		if st.RemoteImages != want {
			t.Errorf("%q normalizes to %q, want %q", in, st.RemoteImages, want)
		}
	}
	if Defaults().RemoteImages != ImagesAsk {
		t.Error("the default policy is not ask")
	}
}
