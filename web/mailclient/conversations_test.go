package mailclient_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/web/mailclient"
)

func convString(ctx context.Context, cl *mailclient.Client) (string, error) {
	p, err := cl.Conversations(ctx, "Conv", 0, 50)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, c := range p.Conversations {
		parts = append(parts, fmt.Sprintf("%v %d unread %d latest %d", c.UIDs, c.Count, c.Unread, c.Latest.UID))
	}
	return strings.Join(parts, "; "), nil
}

// Conversations: newest first by their newest message, each with its count and
// unread count, the same with the server's THREAD and with the local fallback;
// ConversationOf lists one conversation oldest first.
func TestConversations(t *testing.T) {
	_, withThread, plain := conversation(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		page func() (string, error)
	}{
		{"THREAD", func() (string, error) { return convString(ctx, withThread) }},
		{"local", func() (string, error) { return convString(ctx, plain) }},
	} {
		got, err := c.page()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// UID 5 ("Re: lunch") is the newest: its conversation with UID 3 comes first.
		if want := "[3 5] 2 unread 2 latest 5; [1 2 4] 3 unread 3 latest 4"; got != want {
			t.Errorf("%s: conversations %s, want %s", c.name, got, want)
		}
		msgs, err := withThread.ConversationOf(ctx, "Conv", 2)
		if err != nil || len(msgs) != 3 || msgs[0].UID != 1 || msgs[2].UID != 4 {
			t.Errorf("%s: ConversationOf(2) = %v, %v", c.name, msgs, err)
		}
	}
}
