package handlers

import (
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
)

// Refusals of the submission server, as servers word them, become the sentence
// for what the user can do about them, in both languages, never the reply text.
func TestSendWords(t *testing.T) {
	for _, c := range []struct {
		se     mailclient.SendError
		en, ja string
	}{
		{mailclient.SendError{Code: 550, Enhanced: [3]int{5, 1, 1}, Stage: "rcpt to", Rcpt: "nobody@example.jp", Message: "rcpt to nobody@example.jp: No such user here"},
			"There is no such address: nobody@example.jp.", "nobody@example.jp というアドレスはありません"},
		{mailclient.SendError{Code: 550, Stage: "rcpt to", Rcpt: "x@example.jp", Message: "rcpt to x@example.jp: User unknown"},
			"There is no such address: x@example.jp.", "x@example.jp というアドレスはありません"},
		{mailclient.SendError{Code: 450, Enhanced: [3]int{4, 2, 1}, Stage: "rcpt to", Rcpt: "busy@example.jp"},
			"cannot take mail for busy@example.jp right now", "busy@example.jp 宛てのメールを今は受け付けられません"},
		{mailclient.SendError{Code: 554, Enhanced: [3]int{5, 7, 1}, Stage: "rcpt to", Rcpt: "far@example.com", Message: "Relaying denied"},
			"refused to send to far@example.com", "far@example.com への送信は"},
		{mailclient.SendError{Code: 552, Enhanced: [3]int{5, 3, 4}, Stage: "data"},
			"too large", "大きすぎて"},
		{mailclient.SendError{Code: 553, Enhanced: [3]int{5, 7, 1}, Stage: "mail from"},
			"does not let you send from this address", "差出人として送信することは許可されていません"},
		{mailclient.SendError{Code: 451, Stage: "data"},
			"Try again in a few minutes", "数分後にお試しください"},
		{mailclient.SendError{Code: 554, Enhanced: [3]int{5, 7, 1}, Stage: "data", Message: "data: spam"},
			"refused the message. It was not sent.", "拒否され、送信されませんでした"},
		{mailclient.SendError{Code: 535, Enhanced: [3]int{5, 7, 8}, Stage: "auth"},
			"did not accept your sign-in for sending", "送信時のサインイン"},
	} {
		en, ja := sendWords("en", &c.se), sendWords("ja", &c.se)
		if !strings.Contains(en, c.en) || !strings.Contains(ja, c.ja) {
			t.Errorf("%+v:\n en %q, want %q\n ja %q, want %q", c.se, en, c.en, ja, c.ja)
		}
		if c.se.Message != "" && (strings.Contains(en, c.se.Message) || strings.Contains(ja, c.se.Message)) {
			t.Errorf("%+v: the server's reply reached the user", c.se)
		}
	}
}

// IMAP refusals: by RFC 5530 code, else by what servers without codes say.
func TestIMAPWords(t *testing.T) {
	no := func(code imap.ResponseCode, text string) error {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: text}
	}
	for _, c := range []struct {
		err error
		key string
	}{
		{no(imap.ResponseCodeAlreadyExists, "Mailbox already exists"), "err.exists"},
		{no("", "Mailbox already exists"), "err.exists"},
		{no(imap.ResponseCodeHasChildren, "Mailbox has inferior mailboxes"), "err.haschildren"},
		{no("", "Mailbox has inferior hierarchical names"), "err.haschildren"},
		{no(imap.ResponseCodeNonExistent, "No such mailbox"), "err.nofolder"},
		{no("", "Mailbox doesn't exist: Foo"), "err.nofolder"},
		{no(imap.ResponseCodeOverQuota, "Quota exceeded"), "err.overquota"},
		{no("", "Something odd"), "err.refused"},
		{mailclient.ErrHasSubfolders, "err.haschildren"},
	} {
		for _, l := range []templates.Lang{"en", "ja"} {
			got, ok := imapWords(l, c.err)
			if !ok || got != l.T(c.key) {
				t.Errorf("%v in %s: %q, want %s %q", c.err, l, got, c.key, l.T(c.key))
			}
		}
		if got := failKey(c.err); got != c.key {
			t.Errorf("failKey(%v) = %s, want %s", c.err, got, c.key)
		}
	}
	if _, ok := imapWords("en", mailclient.ErrUnavailable); ok {
		t.Error("a dropped connection is not a refusal")
	}
}
