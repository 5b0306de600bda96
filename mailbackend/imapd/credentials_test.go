package imapd

import (
	"context"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/yubinmail/yubin/mailbackend/auth"
)

// A session lives no longer than its password: a password change (here through the
// store, as `yubin user passwd` does from its own process) ends every IMAP session
// of the account with BYE, sessions of other accounts stay, and the new password
// works.
func TestPasswordChangeEndsSessions(t *testing.T) {
	e := newEnv(t)
	hash, _ := auth.HashPassword("bobpw")
	if _, err := e.st.AddAccount(context.Background(), "bob@example.test", hash, "Bob"); err != nil {
		t.Fatal(err)
	}
	alice := e.client(nil)
	if _, err := alice.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	bob, err := imapclient.DialInsecure(e.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if err := bob.Login("bob@example.test", "bobpw").Wait(); err != nil {
		t.Fatal(err)
	}

	newHash, _ := auth.HashPassword("new password")
	if err := e.st.SetPasswordHash(context.Background(), testUser, newHash); err != nil {
		t.Fatal(err)
	}
	select {
	case <-alice.Closed():
	case <-time.After(20 * time.Second):
		t.Fatal("alice's IMAP session still open 20 s after her password changed")
	}
	if err := bob.Noop().Wait(); err != nil {
		t.Errorf("bob's session after alice's password change: %v", err)
	}
	login := func(pass string) error {
		c, err := imapclient.DialInsecure(e.addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Login(testUser, pass).Wait()
	}
	if err := login(testPass); err == nil {
		t.Error("the old password still logs in")
	}
	if err := login("new password"); err != nil {
		t.Errorf("the new password: %v", err)
	}
}
