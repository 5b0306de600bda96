package handlers

import (
	"errors"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
)

// The one place where a refusal by the mail server becomes words for the user
// (issue 14 item 9): the IMAP response code (RFC 5530) or the SMTP reply and
// enhanced status code (RFC 5321 section 4.2, RFC 3463) picks a translated
// sentence; the server's own text is logged, never shown, since it is English
// protocol prose ("Mailbox has inferior mailboxes", "550 5.1.1 No such user here").

// imapCodeWords maps RFC 5530 response codes to catalog keys.
var imapCodeWords = map[imap.ResponseCode]string{
	imap.ResponseCodeAlreadyExists:       "err.exists",
	imap.ResponseCodeHasChildren:         "err.haschildren",
	imap.ResponseCodeNonExistent:         "err.nofolder",
	imap.ResponseCodeTryCreate:           "err.nofolder",
	imap.ResponseCodeOverQuota:           "err.overquota",
	imap.ResponseCodeNoPerm:              "err.noperm",
	imap.ResponseCodeCannot:              "err.cannot",
	imap.ResponseCodeLimit:               "err.limit",
	imap.ResponseCodeInUse:               "err.inuse",
	imap.ResponseCodeUnavailable:         "err.unavailable",
	imap.ResponseCodeServerBug:           "err.server",
	imap.ResponseCodeContactAdmin:        "err.noperm",
	imap.ResponseCodeAuthorizationFailed: "err.noperm",
}

// imapTextWords is for servers that answer NO without a code: what their text
// usually says, lower case.
var imapTextWords = []struct{ text, key string }{
	{"already exists", "err.exists"},
	{"inferior", "err.haschildren"},
	{"has children", "err.haschildren"},
	{"no such mailbox", "err.nofolder"},
	{"does not exist", "err.nofolder"},
	{"doesn't exist", "err.nofolder"},
	{"not found", "err.nofolder"},
	{"quota", "err.overquota"},
}

// imapWords is the user's sentence for an IMAP NO or BAD (or a refusal of ours
// that stands for one), and whether err was one.
func imapWords(l templates.Lang, err error) (string, bool) {
	if errors.Is(err, mailclient.ErrHasSubfolders) {
		return l.T("err.haschildren"), true
	}
	var ie *imap.Error
	if !errors.As(err, &ie) || (ie.Type != imap.StatusResponseTypeNo && ie.Type != imap.StatusResponseTypeBad) {
		return "", false
	}
	if key, ok := imapCodeWords[ie.Code]; ok {
		return l.T(key), true
	}
	text := strings.ToLower(ie.Text)
	for _, w := range imapTextWords {
		if strings.Contains(text, w.text) {
			return l.T(w.key), true
		}
	}
	return l.T("err.refused"), true
}

// sendWords is the user's sentence for a refusal by the submission server.
func sendWords(l templates.Lang, se *mailclient.SendError) string {
	class, subject := se.Enhanced[0], se.Enhanced[1]
	if class == 0 {
		class = se.Code / 100
	}
	temporary := class == 4
	switch {
	case se.Stage == "auth":
		return l.T("err.sendauth")
	case se.Code == 552 || se.Enhanced == [3]int{5, 3, 4} || se.Enhanced == [3]int{5, 2, 3}:
		return l.T("err.toolarge")
	case se.Stage == "rcpt to" && temporary:
		return l.Tf("err.rcpttemp", se.Rcpt)
	case se.Stage == "rcpt to" && (se.Enhanced == [3]int{5, 1, 1} || (se.Enhanced[0] == 0 && se.Code == 550)):
		// RFC 3463 X.1.1: bad destination mailbox address.
		return l.Tf("err.nouser", se.Rcpt)
	case se.Stage == "rcpt to" && subject == 1:
		return l.Tf("err.badrcpt", se.Rcpt)
	case se.Stage == "rcpt to":
		return l.Tf("err.rcptrefused", se.Rcpt)
	case se.Stage == "mail from" && !temporary:
		return l.T("err.sender")
	case temporary:
		return l.T("err.tempfail")
	}
	return l.T("err.rejected")
}
