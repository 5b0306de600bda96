package sieveform

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/sieve"
)

const incoming = "From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: =?UTF-8?B?6KuL5rGC5pu4?= (invoice)\r\n\r\nhi\r\n"

// run parses script with the server's interpreter and runs it over a message at now.
func run(t *testing.T, script string, now time.Time) *sieve.Result {
	t.Helper()
	sc, err := sieve.Parse(script)
	if err != nil {
		t.Fatalf("server refuses the generated script: %v\n%s", err, script)
	}
	m := sieve.NewMessage([]byte(incoming), "bob@example.test", "alice@example.test")
	m.Now = now
	res, err := sc.Run(m)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func normalized(t *testing.T, f Form) Form {
	t.Helper()
	if err := f.Normalize(); err != nil {
		t.Fatal(err)
	}
	return f
}

// A subject, message and rule written to break out of their strings stay text:
// the reply carries them byte for byte, the mail is kept, nothing else happens.
func TestHostileTextCannotInjectSieve(t *testing.T) {
	f := normalized(t, Form{Vacation: Vacation{On: true, Days: 3,
		Subject: `休暇中 "quoted" \ back\"; discard; #`,
		Message: "不在です。\n.\n..dots\n\"; redirect \"evil@example.test\";\ntext:\nend\\",
	}, Rules: []Rule{{Field: "subject", Contains: `x"; discard; #`, Folder: `a"b\`}}})
	script := Script(f)
	res := run(t, script, time.Now())
	if res.Vacation == nil {
		t.Fatalf("no vacation action:\n%s", script)
	}
	// The multi-line string comes back with CRLF line ends and a final one.
	reason := strings.ReplaceAll(res.Vacation.Reason, "\r\n", "\n")
	if res.Vacation.Subject != f.Vacation.Subject || reason != f.Vacation.Message+"\n" {
		t.Errorf("vacation got subject %q reason %q, want %q and %q", res.Vacation.Subject, reason, f.Vacation.Subject, f.Vacation.Message)
	}
	if res.Vacation.Days != 3 || !res.Keep || len(res.Redirect) != 0 || len(res.FileInto) != 0 {
		t.Errorf("result %+v: want keep and a vacation only", res)
	}
	back, ok := Parse(script)
	if !ok || !reflect.DeepEqual(back, f) {
		t.Errorf("read back %+v ok=%v, want %+v", back, ok, f)
	}
}

func TestDatesBoundTheReply(t *testing.T) {
	f := normalized(t, Form{Vacation: Vacation{On: true, Start: "2026-12-24", End: "2027-01-05", Message: "Back on the 6th."}})
	script := Script(f)
	for _, c := range []struct {
		day  string
		want bool
	}{{"2026-12-23", false}, {"2026-12-24", true}, {"2027-01-05", true}, {"2027-01-06", false}} {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.day+" 12:00", time.Local)
		if got := run(t, script, now).Vacation != nil; got != c.want {
			t.Errorf("on %s: vacation %v, want %v\n%s", c.day, got, c.want, script)
		}
	}
	off := f
	off.Vacation.On = false
	if res := run(t, Script(off), time.Date(2026, 12, 25, 12, 0, 0, 0, time.Local)); res.Vacation != nil || !res.Keep {
		t.Errorf("turned off: %+v", res)
	}
	if back, ok := Parse(Script(off)); !ok || !reflect.DeepEqual(back, off) || off.Active() {
		t.Errorf("off read back %+v ok=%v", back, ok)
	}
}

// Rules file by decoded header text, the first match wins, and the reply still
// goes out for mail a rule files away.
func TestRulesFileAndStop(t *testing.T) {
	f := normalized(t, Form{Vacation: Vacation{On: true, Message: "away"}, Rules: []Rule{
		{Field: "to", Contains: "nobody", Folder: "Never"},
		{Field: "subject", Contains: "請求書", Folder: "請求書"},
		{Field: "from", Contains: "Bob", Folder: "Bob"},
	}})
	res := run(t, Script(f), time.Now())
	if len(res.FileInto) != 1 || res.FileInto[0].Mailbox != "請求書" || !res.FileInto[0].Create || res.Keep || res.Vacation == nil {
		t.Errorf("result %+v, want filed into 請求書 only, with a reply", res)
	}
	// Turned off, the rule is skipped and the next one matches.
	f.Rules[1].Off = true
	res = run(t, Script(f), time.Now())
	if len(res.FileInto) != 1 || res.FileInto[0].Mailbox != "Bob" {
		t.Errorf("with the subject rule off: %+v, want filed into Bob", res)
	}
	if back, ok := Parse(Script(f)); !ok || !back.Rules[1].Off {
		t.Errorf("off rule read back as %+v", back.Rules)
	}
	// Only turned-off rules and no reply: the script need not be active.
	f.Vacation.On = false
	f.Rules = f.Rules[1:2]
	if f.Active() || run(t, Script(f), time.Now()).Keep != true {
		t.Error("a script with every rule off should keep mail and need not be active")
	}
}

func TestFormProblems(t *testing.T) {
	for _, c := range []struct {
		f     Form
		field string
	}{
		{Form{Vacation: Vacation{On: true, Message: ""}}, "message"},
		{Form{Vacation: Vacation{On: true, Message: "x", Days: 91}}, "days"},
		{Form{Vacation: Vacation{On: true, Message: "x", Start: "24/12/2026"}}, "start"},
		{Form{Vacation: Vacation{On: true, Message: "x", Start: "2026-12-24", End: "2026-12-01"}}, "end"},
		{Form{Vacation: Vacation{On: true, Message: "x", Subject: strings.Repeat("長", 100)}}, "subject"},
		{Form{Rules: []Rule{{Field: "body", Contains: "x", Folder: "y"}}}, "field"},
		{Form{Rules: []Rule{{Field: "from", Contains: " ", Folder: "y"}}}, "contains"},
		{Form{Rules: []Rule{{Field: "from", Contains: "x", Folder: "a\nb"}}}, "folder"},
	} {
		err := c.f.Normalize()
		p, ok := err.(*Problem)
		if !ok || p.Field != c.field {
			t.Errorf("%+v: got %v, want a problem with %s", c.f, err, c.field)
		}
	}
	if _, ok := Parse("require \"vacation\";\nvacation \"x\";\n"); ok {
		t.Error("a script the webmail did not write was read as settings")
	}
}

// Each action does what the Filters page says, through the server's interpreter.
func TestRuleActions(t *testing.T) {
	for _, c := range []struct {
		action, target string
		check          func(*sieve.Result) bool
	}{
		{"copy", "控え", func(r *sieve.Result) bool {
			return r.Keep && len(r.FileInto) == 1 && r.FileInto[0].Mailbox == "控え"
		}},
		{"flag", "", func(r *sieve.Result) bool { return r.Keep && len(r.KeepFlags) == 1 && r.KeepFlags[0] == `\Flagged` }},
		{"forward", "boss@example.test", func(r *sieve.Result) bool {
			return r.Keep && len(r.Redirect) == 1 && r.Redirect[0] == "boss@example.test"
		}},
		{"discard", "", func(r *sieve.Result) bool { return !r.Keep && len(r.FileInto) == 0 }},
	} {
		f := normalized(t, Form{Rules: []Rule{{Field: "from", Contains: "bob@", Action: c.action, Folder: c.target}}})
		if res := run(t, Script(f), time.Now()); !c.check(res) {
			t.Errorf("%s: %+v\n%s", c.action, res, Script(f))
		}
	}
	bad := Form{Rules: []Rule{{Field: "from", Contains: "x", Action: "forward", Folder: `"Boss" <boss@example.test>`}}}
	if err := bad.Normalize(); err == nil {
		t.Error("forward to a name and address was accepted")
	}
}

// runOn is run over a message of its own.
func runOn(t *testing.T, script, msg string) *sieve.Result {
	t.Helper()
	sc, err := sieve.Parse(script)
	if err != nil {
		t.Fatalf("server refuses the generated script: %v\n%s", err, script)
	}
	res, err := sc.Run(sieve.NewMessage([]byte(msg), "bob@example.test", "alice@example.test"))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

// A rule on any named header, one on size, and the reject action do what the
// page says, through the server's interpreter; a header name or reason that would
// break the script, a size that is no size, are problems to fix.
func TestHeaderSizeAndRejectRules(t *testing.T) {
	spam := "From: x@example.test\r\nX-Spam-Flag: YES\r\nSubject: buy\r\n\r\nhi\r\n"
	big := "From: x@example.test\r\nSubject: photos\r\n\r\n" + strings.Repeat("a", 6000) + "\r\n"
	small := "From: x@example.test\r\nSubject: hi\r\n\r\nhi\r\n"

	f := normalized(t, Form{Rules: []Rule{
		{Field: "header", Header: " X-Spam-Flag ", Contains: "YES", Action: "move", Folder: "Junk"},
		{Field: "size", Contains: "5 KB", Action: "reject", Folder: "Too  large, send a link instead"},
	}})
	if f.Rules[0].Header != "X-Spam-Flag" || f.Rules[1].Folder != "Too large, send a link instead" {
		t.Errorf("normalized: %+v", f.Rules)
	}
	script := Script(f)
	if res := runOn(t, script, spam); res.Keep || len(res.FileInto) != 1 || res.FileInto[0].Mailbox != "Junk" {
		t.Errorf("X-Spam-Flag rule on spam: %+v\n%s", res, script)
	}
	if res := runOn(t, script, big); !res.Reject || res.Reason != "Too large, send a link instead" || res.Keep {
		t.Errorf("size rule on 6 KB: %+v\n%s", res, script)
	}
	if res := runOn(t, script, small); !res.Keep || res.Reject || len(res.FileInto) != 0 {
		t.Errorf("small plain mail: %+v", res)
	}
	if back, ok := Parse(script); !ok || !reflect.DeepEqual(back, f) {
		t.Errorf("read back %+v, want %+v", back, f)
	}
	// A reject with no reason leaves the words to the server.
	f = normalized(t, Form{Rules: []Rule{{Field: "subject", Contains: "buy", Action: "reject"}}})
	if res := runOn(t, Script(f), spam); !res.Reject {
		t.Errorf("reject without a reason: %+v", res)
	}
	// The header field of a non-header rule is dropped.
	f = normalized(t, Form{Rules: []Rule{{Field: "from", Header: "X-Whatever", Contains: "x", Folder: "y"}}})
	if f.Rules[0].Header != "" {
		t.Errorf("from rule kept a header name: %+v", f.Rules[0])
	}

	for _, c := range []struct {
		r     Rule
		field string
	}{
		{Rule{Field: "header", Header: "", Contains: "x", Folder: "y"}, "header"},
		{Rule{Field: "header", Header: `X-A" "b`, Contains: "x", Folder: "y"}, "header"},
		{Rule{Field: "header", Header: "Subject:", Contains: "x", Folder: "y"}, "header"},
		{Rule{Field: "header", Header: "件名", Contains: "x", Folder: "y"}, "header"},
		{Rule{Field: "size", Contains: "big", Folder: "y"}, "contains"},
		{Rule{Field: "size", Contains: "0", Folder: "y"}, "contains"},
		{Rule{Field: "size", Contains: "10GB", Folder: "y"}, "contains"},
		{Rule{Field: "from", Contains: "x", Action: "reject", Folder: "大きすぎます"}, "folder"},
		{Rule{Field: "from", Contains: "x", Action: "reject", Folder: strings.Repeat("a", 201)}, "folder"},
	} {
		err := c.r.Normalize()
		p, ok := err.(*Problem)
		if !ok || p.Field != c.field {
			t.Errorf("%+v: got %v, want a problem with %s", c.r, err, c.field)
		}
	}
}
