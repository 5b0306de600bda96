package settings

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestSettingsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "Alice@Example.test")
	if err != nil {
		t.Fatal(err)
	}
	if got.Saved || got.PerPage != DefaultPerPage || got.Undo().Seconds() != DefaultUndoSeconds || got.Lang != "" {
		t.Fatalf("an account that saved nothing reads %+v, want the defaults", got)
	}
	zero := 0
	if _, err := s.Update(ctx, "alice@example.test", func(st *Settings) error {
		st.DisplayName, st.NameChosen = "田中 アリス", true
		st.Signature = "--\n田中\n"
		st.Lang, st.TimeZone, st.PerPage, st.UndoSeconds = "ja", "Asia/Tokyo", 100, &zero
		st.Identities = []Identity{{Address: "info@example.test", Name: "Info", ReplyTo: "desk@example.test", Signature: "info sig"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err = s.Get(ctx, "ALICE@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Saved || got.DisplayName != "田中 アリス" || got.Lang != "ja" || got.TimeZone != "Asia/Tokyo" ||
		got.PerPage != 100 || got.Undo() != 0 || got.Signature != "--\n田中\n" {
		t.Fatalf("after reopening: %+v", got)
	}
	if id, ok := got.Identity("INFO@example.test"); !ok || id.ReplyTo != "desk@example.test" || id.Signature != "info sig" {
		t.Fatalf("identity after reopening: %+v %v", id, ok)
	}
	if other, _ := s.Get(ctx, "bob@example.test"); other.Saved || other.DisplayName != "" {
		t.Fatalf("another account sees alice's settings: %+v", other)
	}
}

// Two screens saving different fields at once must both be kept: Update reads and
// writes in one transaction.
func TestConcurrentUpdatesKeepEachOther(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Update(ctx, "a@x", func(st *Settings) error {
				st.Identities = append(st.Identities, Identity{Address: fmt.Sprintf("n%d@x", i)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := s.Get(ctx, "a@x")
	if len(got.Identities) != 20 {
		t.Fatalf("%d identities after 20 concurrent additions", len(got.Identities))
	}
}

func TestRefusedUpdateWritesNothing(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	boom := errors.New("no")
	if _, err := s.Update(ctx, "a@x", func(st *Settings) error { st.Lang = "ja"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := s.Get(ctx, "a@x"); got.Lang != "" || got.Saved {
		t.Fatalf("a refused change was stored: %+v", got)
	}
}

func TestNormalizeBoundsWhatIsStored(t *testing.T) {
	big, neg := 31, -1
	for _, undo := range []*int{&big, &neg, nil} {
		st := Settings{Lang: "fr", TimeZone: "../../etc/passwd", PerPage: 7, UndoSeconds: undo,
			DisplayName: "Eve\r\nBcc: victim@example.test"}
		st.Normalize()
		if st.Lang != "" || st.TimeZone != "" || st.PerPage != DefaultPerPage || st.Undo().Seconds() != DefaultUndoSeconds {
			t.Errorf("out-of-range values kept: %+v", st)
		}
		if st.DisplayName != "Eve  Bcc: victim@example.test" {
			t.Errorf("display name with a line break: %q", st.DisplayName)
		}
	}
	var ids []Identity
	for i := range MaxIdentities + 5 {
		ids = append(ids, Identity{Address: fmt.Sprintf("a%d@x", i)})
	}
	st := Settings{Identities: append(ids, Identity{Address: " "}), Signature: string(make([]byte, MaxSignatureBytes+10))}
	st.Normalize()
	if len(st.Identities) != MaxIdentities || len(st.Signature) != MaxSignatureBytes {
		t.Errorf("%d identities, %d-byte signature kept", len(st.Identities), len(st.Signature))
	}
	if clip("あいう", 4) != "あ" {
		t.Errorf("clip cut inside a character: %q", clip("あいう", 4))
	}
}
