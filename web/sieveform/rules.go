package sieveform

import "strings"

// Bounds on the Filters page.
const (
	MaxRules    = 100
	MaxContains = 200
	MaxFolder   = 200
)

// Fields a rule may test: the header fields, decoded as people read them (the
// server matches RFC 2047 Japanese subjects and names as text).
var Fields = []string{"from", "to", "subject", "list-id"}

// Rule files mail whose header field contains a text into a folder (created
// when missing) and stops there.
type Rule struct {
	Field    string `json:"field"`
	Contains string `json:"contains"`
	Folder   string `json:"folder"`
	Off      bool   `json:"off,omitempty"` // kept on the page, left out of the script
}

// Normalize trims the rule and checks it.
func (r *Rule) Normalize() error {
	r.Field = strings.ToLower(strings.TrimSpace(r.Field))
	r.Contains = strings.Join(strings.Fields(r.Contains), " ")
	r.Folder = strings.TrimSpace(r.Folder)
	known := false
	for _, f := range Fields {
		known = known || f == r.Field
	}
	switch {
	case !known:
		return &Problem{"field", "flt.err.field"}
	case r.Contains == "" || len(r.Contains) > MaxContains:
		return &Problem{"contains", "flt.err.contains"}
	case r.Folder == "" || len(r.Folder) > MaxFolder || strings.ContainsAny(r.Folder, "\r\n\x00"):
		return &Problem{"folder", "flt.err.folder"}
	}
	return nil
}
