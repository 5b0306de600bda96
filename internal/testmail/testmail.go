package testmail

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Case is one test message and what every reader of it must show.
type Case struct {
	File string `json:"file"` // file name in testdata/mail
	Why  string `json:"why"`  // the shape of mail this case stands for
	// Subject, FromName and Attachment are the decoded texts; BodyText is a line of
	// the decoded body (LF line ends). SubjectWord and BodyWord are search needles
	// that only this case's Subject and body contain.
	Subject     string `json:"subject"`
	SubjectWord string `json:"subjectWord"`
	FromName    string `json:"fromName"`
	BodyText    string `json:"bodyText"`
	BodyWord    string `json:"bodyWord"`
	Attachment  string `json:"attachment,omitempty"`
	Raw         []byte `json:"-"` // the message as it arrives
}

// Dir is the directory of the table.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "mail")
}

// Load reads the table; a missing or broken file fails the test.
func Load(t testing.TB) []Case {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), "cases.json"))
	if err != nil {
		t.Fatalf("testmail: %v", err)
	}
	var cases []Case
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("testmail: cases.json: %v", err)
	}
	if len(cases) == 0 {
		t.Fatal("testmail: no cases")
	}
	for i := range cases {
		c := &cases[i]
		if c.Raw, err = os.ReadFile(filepath.Join(Dir(), c.File)); err != nil {
			t.Fatalf("testmail: %v", err)
		}
		if c.Subject == "" || c.SubjectWord == "" || c.BodyText == "" || c.BodyWord == "" {
			t.Fatalf("testmail: %s: incomplete expectations", c.File)
		}
	}
	return cases
}
