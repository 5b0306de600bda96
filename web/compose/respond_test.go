package compose

import (
	"slices"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/web/mailview"
)

func TestNewReply(t *testing.T) {
	v := &mailview.View{
		Subject:    "Re: 会議",
		From:       []mailview.Address{{Name: "Taro", Email: "taro@example.jp"}},
		To:         []mailview.Address{{Email: "Me@example.test"}, {Email: "hanako@example.jp"}, {Email: "TARO@example.jp"}},
		Cc:         []mailview.Address{{Email: "jiro@example.jp"}, {Email: "hanako@example.jp"}},
		MessageID:  "abc@example.jp",
		References: []string{"<root@example.jp>"},
	}
	emails := func(as []mailview.Address) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Email)
		}
		return out
	}

	r := NewReply(v, "me@example.test", false)
	if got := emails(r.To); !slices.Equal(got, []string{"taro@example.jp"}) || r.Cc != nil {
		t.Errorf("reply: To %q Cc %q", got, emails(r.Cc))
	}
	if r.Subject != "Re: 会議" {
		t.Errorf("reply subject %q", r.Subject)
	}
	if r.InReplyTo != "<abc@example.jp>" || !slices.Equal(r.References, []string{"<root@example.jp>", "<abc@example.jp>"}) {
		t.Errorf("threading: In-Reply-To %q References %q", r.InReplyTo, r.References)
	}

	// Reply-all: everyone else once; not me, not the sender again (any case).
	r = NewReply(v, "me@example.test", true)
	if got := emails(r.Cc); !slices.Equal(got, []string{"hanako@example.jp", "jiro@example.jp"}) {
		t.Errorf("reply-all Cc %q", got)
	}

	// Reply-To wins over From.
	v.ReplyTo = []mailview.Address{{Email: "list@example.jp"}}
	r = NewReply(v, "me@example.test", true)
	if got := emails(r.To); !slices.Equal(got, []string{"list@example.jp"}) {
		t.Errorf("reply with Reply-To: To %q", got)
	}
	if got := emails(r.Cc); !slices.ContainsFunc(got, func(e string) bool { return strings.EqualFold(e, "taro@example.jp") }) {
		t.Errorf("reply-all with Reply-To leaves out the sender, who is not in To: Cc %q", got)
	}

	// No Message-ID: nothing to thread on.
	r = NewReply(&mailview.View{Subject: "x"}, "me@example.test", false)
	if r.InReplyTo != "" || len(r.References) != 0 {
		t.Errorf("no Message-ID: In-Reply-To %q References %q", r.InReplyTo, r.References)
	}
}

func TestForwardText(t *testing.T) {
	v := &mailview.View{
		Subject: "見積",
		From:    []mailview.Address{{Name: "Smith, Bob", Email: "bob@example.com"}},
		To:      []mailview.Address{{Email: "a@example.com"}, {Name: "C", Email: "c@example.com"}},
		Text:    "本文\n",
	}
	got := ForwardText(v, ForwardLabels{Heading: "-- fwd --", From: "差出人", Date: "日時", Subject: "件名", To: "宛先"}, "2026年1月2日")
	want := "-- fwd --\n差出人: \"Smith, Bob\" <bob@example.com>\n日時: 2026年1月2日\n件名: 見積\n宛先: a@example.com, C <c@example.com>\n\n本文\n"
	if got != want {
		t.Errorf("ForwardText:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasSuffix(got, v.Text) {
		t.Error("forward does not end with the original text")
	}
}

func TestDraftThreading(t *testing.T) {
	in, refs := DraftThreading(&mailview.View{MessageID: "<draft@x>", InReplyTo: "orig@x", References: []string{"root@x", "<orig@x>"}})
	if in != "<orig@x>" || !slices.Equal(refs, []string{"<root@x>", "<orig@x>"}) {
		t.Errorf("DraftThreading = %q, %q", in, refs)
	}
}
