package outofoffice

import (
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/sieve"
)

const incoming = "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hello\r\n\r\nhi\r\n"

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

// A subject and message written to break out of their strings stay text: the
// reply carries them byte for byte, the mail is kept, nothing else happens.
func TestHostileTextCannotInjectSieve(t *testing.T) {
	s := Settings{On: true, Days: 3,
		Subject: `休暇中 "quoted" \ back\"; discard; #`,
		Message: "不在です。\n.\n..dots\n\"; redirect \"evil@example.test\";\ntext:\nend\\",
	}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	script := Script(s)
	res := run(t, script, time.Now())
	if res.Vacation == nil {
		t.Fatalf("no vacation action:\n%s", script)
	}
	// The multi-line string comes back with CRLF line ends and a final one.
	reason := strings.ReplaceAll(res.Vacation.Reason, "\r\n", "\n")
	if res.Vacation.Subject != s.Subject || reason != s.Message+"\n" {
		t.Errorf("vacation got subject %q reason %q, want %q and %q", res.Vacation.Subject, res.Vacation.Reason, s.Subject, s.Message)
	}
	if res.Vacation.Days != 3 || !res.Keep || len(res.Redirect) != 0 || len(res.FileInto) != 0 {
		t.Errorf("result %+v: want keep and a vacation only", res)
	}
	back, ok := Parse(script)
	if !ok || back != s {
		t.Errorf("read back %+v ok=%v, want %+v", back, ok, s)
	}
}

func TestDatesBoundTheReply(t *testing.T) {
	s := Settings{On: true, Start: "2026-12-24", End: "2027-01-05", Message: "Back on the 6th."}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	script := Script(s)
	for _, c := range []struct {
		day  string
		want bool
	}{{"2026-12-23", false}, {"2026-12-24", true}, {"2027-01-05", true}, {"2027-01-06", false}} {
		now, _ := time.ParseInLocation("2006-01-02 15:04", c.day+" 12:00", time.Local)
		if got := run(t, script, now).Vacation != nil; got != c.want {
			t.Errorf("on %s: vacation %v, want %v\n%s", c.day, got, c.want, script)
		}
	}
	off := s
	off.On = false
	if res := run(t, Script(off), time.Date(2026, 12, 25, 12, 0, 0, 0, time.Local)); res.Vacation != nil || !res.Keep {
		t.Errorf("turned off: %+v", res)
	}
	if back, ok := Parse(Script(off)); !ok || back != off {
		t.Errorf("off read back %+v ok=%v", back, ok)
	}
}

func TestFormProblems(t *testing.T) {
	for _, c := range []struct {
		s     Settings
		field string
	}{
		{Settings{On: true, Message: ""}, "message"},
		{Settings{On: true, Message: "x", Days: 91}, "days"},
		{Settings{On: true, Message: "x", Start: "24/12/2026"}, "start"},
		{Settings{On: true, Message: "x", Start: "2026-12-24", End: "2026-12-01"}, "end"},
		{Settings{On: true, Message: "x", Subject: strings.Repeat("長", 100)}, "subject"},
	} {
		err := c.s.Normalize()
		p, ok := err.(*Problem)
		if !ok || p.Field != c.field {
			t.Errorf("%+v: got %v, want a problem with %s", c.s, err, c.field)
		}
	}
	if _, ok := Parse("require \"vacation\";\nvacation \"x\";\n"); ok {
		t.Error("a script the webmail did not write was read as settings")
	}
}
