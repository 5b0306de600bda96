package mailview

import (
	"strings"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// FormatAddress renders an address for display and for prefilling an
// address field: "Name <email>", or just the email when there is no name
// (or the name is the email itself).
func FormatAddress(a Address) string {
	name := strings.TrimSpace(a.Name)
	switch {
	case a.Email == "":
		return name
	case name == "" || strings.EqualFold(name, a.Email):
		return a.Email
	}
	// Quote names with RFC 5322 specials (section 3.2.3) so that the text
	// can be pasted back into an address field: "Smith, Bob" <bob@x>.
	if strings.ContainsAny(name, `,;:<>@"()[]\`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Email + ">"
}

// parseMsgIDs extracts "<id>" tokens (RFC 5322 section 3.6.4), keeping the
// angle brackets. A value without brackets is taken as one bare id.
func parseMsgIDs(s string) []string {
	var ids []string
	for _, id := range mailformat.MessageIDs(s) {
		if id = strings.Join(strings.Fields(id), ""); id != "" {
			ids = append(ids, "<"+id+">")
		}
	}
	if len(ids) == 0 {
		if f := strings.Fields(s); len(f) == 1 && strings.Contains(f[0], "@") {
			ids = append(ids, "<"+strings.Trim(f[0], "<>")+">")
		}
	}
	for i, id := range ids {
		ids[i] = mailformat.CleanControls(strings.ToValidUTF8(id, "\uFFFD"))
	}
	return ids
}
