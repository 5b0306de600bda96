package sieveform

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ScriptName is the script the webmail keeps its settings in.
const ScriptName = "yubin"

const (
	settingsMark  = "# yubin-settings: "
	generatedNote = "# Written by the yubin webmail (Out of office, Filters). Changes made here\n# are replaced when one of those pages is saved.\n"
)

// Form is everything the settings pages keep in the script.
type Form struct {
	Vacation Vacation `json:"vacation"`
	Rules    []Rule   `json:"rules,omitempty"`
}

// Normalize checks the whole form (see Vacation.Normalize and Rule.Normalize).
func (f *Form) Normalize() error {
	if err := f.Vacation.Normalize(); err != nil {
		return err
	}
	if len(f.Rules) > MaxRules {
		return &Problem{"rules", "flt.err.many"}
	}
	for i := range f.Rules {
		if err := f.Rules[i].Normalize(); err != nil {
			return err
		}
	}
	return nil
}

// Active says whether the script does anything, so should be the active one.
func (f Form) Active() bool { return f.Vacation.On || f.rulesOn() }

func (f Form) rulesOn() bool {
	for _, r := range f.Rules {
		if !r.Off {
			return true
		}
	}
	return false
}

// Script is the Sieve script for f, which Normalize accepted. It starts with the
// form as one JSON comment line (JSON escapes line breaks, so the comment cannot
// end early), which Parse reads back. The reply comes first so that mail a rule
// files away is answered too; each rule then files and stops.
func Script(f Form) string {
	state, _ := json.Marshal(f)
	var b strings.Builder
	b.WriteString(generatedNote)
	b.WriteString(settingsMark + string(state) + "\n")
	var req []string
	v := f.Vacation
	var conds []string
	if v.On {
		req = append(req, "vacation")
		// RFC 5260 section 5: currentdate in the server's time zone; RFC 5231 :value.
		if v.Start != "" {
			conds = append(conds, "currentdate :value \"ge\" \"date\" "+quote(v.Start))
		}
		if v.End != "" {
			conds = append(conds, "currentdate :value \"le\" \"date\" "+quote(v.End))
		}
		if len(conds) > 0 {
			req = append(req, "date", "relational")
		}
	}
	for _, r := range f.Rules {
		if !r.Off {
			for _, ext := range r.extensions() {
				if !oneOf(ext, req) {
					req = append(req, ext)
				}
			}
		}
	}
	if !f.Active() {
		b.WriteString("# Nothing is on: mail is delivered as usual.\nkeep;\n")
		return b.String()
	}
	if len(req) > 0 {
		b.WriteString("require [" + strings.Join(quoteAll(req), ", ") + "];\n")
	}
	if v.On {
		b.WriteString("\n# Out of office\n")
		vacation := fmt.Sprintf("vacation :days %d", v.Days)
		if v.Subject != "" {
			vacation += " :subject " + quote(v.Subject)
		}
		vacation += " " + multiline(v.Message) + ";\n"
		if v.ContactsOnly {
			// RFC 5228 section 5.1: the From address compared whole, case-insensitively
			// (i;ascii-casemap is the default comparator).
			if len(v.Senders) == 0 {
				vacation = "# Only contacts get the reply, and there are none yet.\n"
			} else {
				conds = append(conds, "address :is :all \"from\" "+stringList(v.Senders))
			}
		}
		switch len(conds) {
		case 0:
			b.WriteString(vacation)
		case 1:
			b.WriteString("if " + conds[0] + " {\n  " + vacation + "}\n")
		default:
			b.WriteString("if allof (" + strings.Join(conds, ",\n          ") + ") {\n  " + vacation + "}\n")
		}
	}
	for i, r := range f.Rules {
		if r.Off {
			fmt.Fprintf(&b, "\n# Filter %d is turned off.\n", i+1)
			continue
		}
		fmt.Fprintf(&b, "\n# Filter %d\n%s", i+1, r.sieve())
	}
	return b.String()
}

// stringList is a Sieve string list, one string per line past the first few.
func stringList(ss []string) string {
	q := quoteAll(ss)
	if len(q) <= 3 {
		return "[" + strings.Join(q, ", ") + "]"
	}
	return "[\n    " + strings.Join(q, ",\n    ") + "\n  ]"
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
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

// Parse reads the form back from a script Script wrote; ok is false for any
// other script.
func Parse(script string) (f Form, ok bool) {
	script = strings.ReplaceAll(script, "\r\n", "\n")
	for _, line := range strings.SplitN(script, "\n", 8) {
		if rest, found := strings.CutPrefix(line, settingsMark); found {
			if json.Unmarshal([]byte(rest), &f) != nil || f.Normalize() != nil {
				return Form{}, false
			}
			return f, true
		}
	}
	return Form{}, false
}
