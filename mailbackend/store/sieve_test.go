package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestSieveScripts(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a := addAccount(t, s, "taro@example.jp")
	b := addAccount(t, s, "hanako@example.jp")
	if _, _, ok, err := s.ActiveScript(ctx, a.ID); ok || err != nil {
		t.Fatalf("fresh account has an active script: %v %v", ok, err)
	}
	if err := s.PutScript(ctx, a.ID, "振り分け", `keep;`); err != nil {
		t.Fatal(err)
	}
	if err := s.PutScript(ctx, a.ID, "vacation", `discard;`); err != nil {
		t.Fatal(err)
	}
	if err := s.ActivateScript(ctx, a.ID, "振り分け"); err != nil {
		t.Fatal(err)
	}
	// The cached answer follows changes made through the store at once.
	if name, text, ok, err := s.ActiveScript(ctx, a.ID); !ok || err != nil || name != "振り分け" || text != "keep;" {
		t.Fatalf("active = %q %q %v %v", name, text, ok, err)
	}
	if err := s.PutScript(ctx, a.ID, "振り分け", `stop;`); err != nil {
		t.Fatal(err)
	}
	if _, text, _, _ := s.ActiveScript(ctx, a.ID); text != "stop;" {
		t.Errorf("after replacing the active script: %q", text)
	}
	if err := s.ActivateScript(ctx, a.ID, "vacation"); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListScripts(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []Script{{Name: "vacation", Active: true}, {Name: "振り分け"}}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("list = %+v, want %+v", list, want)
	}
	if l, _ := s.ListScripts(ctx, b.ID); len(l) != 0 {
		t.Errorf("other account sees %+v", l)
	}
	if err := s.DeleteScript(ctx, a.ID, "vacation"); !errors.Is(err, ErrScriptActive) {
		t.Errorf("deleting the active script: %v", err)
	}
	if err := s.RenameScript(ctx, a.ID, "vacation", "振り分け"); !errors.Is(err, ErrExists) {
		t.Errorf("rename onto an existing name: %v", err)
	}
	if err := s.RenameScript(ctx, a.ID, "vacation", "休暇"); err != nil {
		t.Fatal(err)
	}
	if name, _, _, _ := s.ActiveScript(ctx, a.ID); name != "休暇" {
		t.Errorf("renamed active script is %q", name)
	}
	if err := s.ActivateScript(ctx, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := s.ActiveScript(ctx, a.ID); ok {
		t.Error("still active after deactivation")
	}
	if err := s.DeleteScript(ctx, a.ID, "休暇"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetScript(ctx, a.ID, "休暇"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted script: %v", err)
	}
	if err := s.ActivateScript(ctx, a.ID, "none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("activating a missing script: %v", err)
	}
	if err := s.PutScript(ctx, a.ID, "bad\nname", "keep;"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("name with a line break: %v", err)
	}
	for i := range MaxScripts + 1 {
		err := s.PutScript(ctx, b.ID, fmt.Sprintf("s%d", i), "keep;")
		if i < MaxScripts && err != nil {
			t.Fatal(err)
		}
		if i == MaxScripts && !errors.Is(err, ErrTooManyScripts) {
			t.Errorf("script %d: %v", i+1, err)
		}
	}
}

// TestVacationMemorySurvivesRestart: one reply per sender per period, also
// after the server restarts.
func TestVacationMemorySurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := addAccount(t, s, "taro@example.jp")
	due := func(s *Store, sender string, period time.Duration) bool {
		t.Helper()
		ok, err := s.VacationDue(ctx, a.ID, "h:ooo", sender, period)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !due(s, "hanako@partner.test", 7*24*time.Hour) {
		t.Fatal("first mail from a sender: no reply due")
	}
	if due(s, "HANAKO@partner.test", 7*24*time.Hour) {
		t.Error("second mail in the period: reply due again")
	}
	if !due(s, "jiro@partner.test", 7*24*time.Hour) {
		t.Error("another sender: no reply due")
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if due(s, "hanako@partner.test", 7*24*time.Hour) {
		t.Error("after a restart: reply due again within the period")
	}
	// A period that has passed (a zero-length one here) allows the next reply.
	if !due(s, "hanako@partner.test", 0) {
		t.Error("period over: no reply due")
	}
}
