package store

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/imapsort"
)

func TestReadThreadHeaders(t *testing.T) {
	many := make([]string, 300)
	kept := []string{"id0@example.org"} // the root, then the newest 99
	for i := range many {
		many[i] = fmt.Sprintf("<id%d@example.org>", i)
		if i >= 300-(imapsort.MaxReferences-1) {
			kept = append(kept, fmt.Sprintf("id%d@example.org", i))
		}
	}
	for _, c := range []struct {
		name, header string
		want         threadHeaders
	}{
		{"references win over in-reply-to",
			"Message-ID: <m@x>\r\nIn-Reply-To: <p@x>\r\nReferences: <r@x>\r\n <p@x>\r\n\r\nReferences: <body@x>\r\n",
			threadHeaders{"m@x", "r@x p@x"}},
		{"in-reply-to's first id when there are no references (RFC 5256 step 1.A)",
			"In-Reply-To: <p@x> <q@x>\nMessage-ID: <m@x>\n\n",
			threadHeaders{"m@x", "p@x"}},
		{"references without an id fall back too",
			"References: none\r\nIn-Reply-To: Your message of Monday <p@x>\r\n\r\n",
			threadHeaders{"", "p@x"}},
		{"white space inside an id is dropped",
			"Message-ID: <a b\r\n @x>\r\n\r\n",
			threadHeaders{"ab@x", ""}},
		{"no header at all", "\r\nbody", threadHeaders{}},
		{"many references keep the root and the newest",
			"References: " + strings.Join(many, " ") + "\r\n\r\n",
			threadHeaders{"", strings.Join(kept, " ")}},
	} {
		if got := readThreadHeaders([]byte(c.header)); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

// New messages have their threading headers stored at delivery: reading them does
// not touch the blob.
func TestThreadingStoredAtDelivery(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bob := addAccount(t, s, "bob@example.test")
	inbox := mustMailbox(t, s, bob.ID, "INBOX")
	raw := []byte("From: a@example.org\r\nMessage-ID: <child@example.org>\r\nReferences: <root@example.org> <parent@example.org>\r\nSubject: Re: x\r\n\r\nbody\r\n")
	d := mustDeliver(t, s, raw, Recipient{AccountID: bob.ID})
	msgs, err := s.Messages(ctx, inbox.ID, AllUIDs, FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// With the blob gone, only the stored columns can answer.
	if err := os.Remove(s.blobs.path(msgs[0].BlobID)); err != nil {
		t.Fatal(err)
	}
	msgs, err = s.Messages(ctx, inbox.ID, []UIDRange{{d[0].UID, d[0].UID}}, FetchOptions{Threading: true})
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.MessageID != "child@example.org" || !reflect.DeepEqual(m.References, []string{"root@example.org", "parent@example.org"}) {
		t.Fatalf("stored threading headers: %q %q", m.MessageID, m.References)
	}
	if m.ThreadID() != hashID('T', "root@example.org") {
		t.Fatalf("THREADID %s is not the root's", m.ThreadID())
	}
}
