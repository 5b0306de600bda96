package outofoffice

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ScriptName is the script the webmail keeps its settings in.
const ScriptName = "yubin"

// Bounds the form enforces; the server's vacation accepts 1 to 90 days.
const (
	MinDays       = 1
	MaxDays       = 90
	DefaultDays   = 7
	MaxSubject    = 200
	MaxMessage    = 16 << 10
	dateLayout    = "2006-01-02"
	settingsMark  = "# yubin-settings: "
	generatedNote = "# Out-of-office reply, written by the yubin webmail. Changes made here\n# are replaced when the Out-of-office page is saved.\n"
)

// Settings is the Out-of-office form.
type Settings struct {
	On      bool   `json:"on"`
	Start   string `json:"start,omitempty"` // YYYY-MM-DD, "" = from now
	End     string `json:"end,omitempty"`   // YYYY-MM-DD, "" = until turned off
	Days    int    `json:"days"`            // at most one reply per sender per this many days
	Subject string `json:"subject,omitempty"`
	Message string `json:"message"`
}

// Problem is a form field the user must fix: Field is its name, Key an i18n key.
type Problem struct{ Field, Key string }

func (p *Problem) Error() string { return p.Field + ": " + p.Key }

// Normalize trims the fields, fills the defaults and checks the form.
func (s *Settings) Normalize() error {
	s.Start, s.End = strings.TrimSpace(s.Start), strings.TrimSpace(s.End)
	// A subject is one header line: line breaks become spaces.
	s.Subject = strings.Join(strings.Fields(s.Subject), " ")
	s.Message = strings.TrimRight(strings.ReplaceAll(s.Message, "\r\n", "\n"), " \n")
	if s.Days == 0 {
		s.Days = DefaultDays
	}
	var start, end time.Time
	var err error
	switch {
	case s.Days < MinDays || s.Days > MaxDays:
		return &Problem{"days", "ooo.err.days"}
	case len(s.Subject) > MaxSubject:
		return &Problem{"subject", "ooo.err.subject"}
	case len(s.Message) > MaxMessage:
		return &Problem{"message", "ooo.err.message"}
	case s.On && strings.TrimSpace(s.Message) == "":
		return &Problem{"message", "ooo.err.nomessage"}
	}
	if s.Start != "" {
		if start, err = time.Parse(dateLayout, s.Start); err != nil {
			return &Problem{"start", "ooo.err.date"}
		}
	}
	if s.End != "" {
		if end, err = time.Parse(dateLayout, s.End); err != nil {
			return &Problem{"end", "ooo.err.date"}
		}
	}
	if s.Start != "" && s.End != "" && end.Before(start) {
		return &Problem{"end", "ooo.err.order"}
	}
	return nil
}

// Script is the Sieve script for s, which Normalize accepted. It starts with the
// settings as one JSON comment line (JSON escapes line breaks, so the comment
// cannot end early), which Parse reads back.
func Script(s Settings) string {
	state, _ := json.Marshal(s)
	var b strings.Builder
	b.WriteString(generatedNote)
	b.WriteString(settingsMark + string(state) + "\n")
	if !s.On {
		b.WriteString("# Off: mail is delivered as usual.\nkeep;\n")
		return b.String()
	}
	var conds []string
	// RFC 5260 section 5: currentdate in the server's time zone; RFC 5231 :value.
	if s.Start != "" {
		conds = append(conds, "currentdate :value \"ge\" \"date\" "+quote(s.Start))
	}
	if s.End != "" {
		conds = append(conds, "currentdate :value \"le\" \"date\" "+quote(s.End))
	}
	req := `require ["vacation"];`
	if len(conds) > 0 {
		req = `require ["vacation", "date", "relational"];`
	}
	b.WriteString(req + "\n")
	vacation := fmt.Sprintf("vacation :days %d", s.Days)
	if s.Subject != "" {
		vacation += " :subject " + quote(s.Subject)
	}
	vacation += " " + multiline(s.Message) + ";\n"
	switch len(conds) {
	case 0:
		b.WriteString(vacation)
	case 1:
		b.WriteString("if " + conds[0] + " {\n  " + vacation + "}\n")
	default:
		b.WriteString("if allof (" + strings.Join(conds, ",\n          ") + ") {\n  " + vacation + "}\n")
	}
	return b.String()
}

// quote is a Sieve quoted string (RFC 5228 section 2.4.2): backslash and double
// quote are escaped; nothing else is special (no variables or encoded-character
// extension is required, so "${" stays literal text).
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// multiline is a Sieve multi-line string (RFC 5228 section 2.4.2): "text:", the
// lines with a leading "." doubled, and a line holding only ".".
func multiline(s string) string {
	var b strings.Builder
	b.WriteString("text:\n")
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line + "\n")
	}
	b.WriteString(".\n")
	return b.String()
}

// Parse reads the settings back from a script Script wrote; ok is false for any
// other script.
func Parse(script string) (s Settings, ok bool) {
	script = strings.ReplaceAll(script, "\r\n", "\n")
	for _, line := range strings.SplitN(script, "\n", 8) {
		if rest, found := strings.CutPrefix(line, settingsMark); found {
			if json.Unmarshal([]byte(rest), &s) != nil || s.Normalize() != nil {
				return Settings{}, false
			}
			return s, true
		}
	}
	return Settings{}, false
}
