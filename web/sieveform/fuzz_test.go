package sieveform

import (
	"reflect"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
	"github.com/yubinmail/yubin/mailbackend/sieve"
)

// FuzzRuleScript: whatever a user types into the Filters form, a rule the form
// accepts becomes a script the server parses (nothing typed breaks out of its
// string or its test), whose settings read back as the rule, in time.
func FuzzRuleScript(f *testing.F) {
	f.Add("from", "", "bob@", "move", "Folder")
	f.Add("header", "X-Spam-Flag", "YES", "reject", "Too much spam")
	f.Add("size", "", "5MB", "discard", "")
	f.Add("subject", "", `x"; discard; #`, "copy", `a"b\`)
	f.Add("header", "X-A\"", "x", "forward", "boss@example.test")
	f.Fuzz(func(t *testing.T, field, header, contains, action, folder string) {
		fuzzbudget.Run(t, func() {
			form := Form{Rules: []Rule{{Field: field, Header: header, Contains: contains, Action: action, Folder: folder}}}
			if err := form.Normalize(); err != nil {
				return
			}
			script := Script(form)
			if _, err := sieve.Parse(script); err != nil {
				t.Fatalf("the server refuses the script of an accepted rule: %v\n%s", err, script)
			}
			back, ok := Parse(script)
			if !ok || !reflect.DeepEqual(back, form) {
				t.Fatalf("read back %+v, want %+v", back, form)
			}
		})
	})
}

// FuzzVacationScript: the Out-of-office form's subject and message, however
// typed, become a script the server parses and whose settings read back.
func FuzzVacationScript(f *testing.F) {
	f.Add("不在のお知らせ", "12月28日まで休暇です。\n.\n..", uint8(7))
	f.Add(`x"; discard; #`, "text:\r\n.\r\nend\\", uint8(1))
	f.Fuzz(func(t *testing.T, subject, message string, days uint8) {
		fuzzbudget.Run(t, func() {
			form := Form{Vacation: Vacation{On: true, Subject: subject, Message: message, Days: int(days)}}
			if err := form.Normalize(); err != nil {
				return
			}
			script := Script(form)
			if _, err := sieve.Parse(script); err != nil {
				t.Fatalf("the server refuses the script of an accepted reply: %v\n%s", err, script)
			}
			back, ok := Parse(script)
			if !ok || !reflect.DeepEqual(back, form) {
				t.Fatalf("read back %+v, want %+v", back, form)
			}
		})
	})
}
