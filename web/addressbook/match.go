package addressbook

import (
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Fold makes text comparable the way a Japanese user types it: NFKC (half-width
// katakana and full-width Latin become the usual forms), lower case, and katakana
// as hiragana, so "ヤマダ", "ﾔﾏﾀﾞ" and "やまだ" are one reading.
func Fold(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= 0x30a1 && r <= 0x30f6 { // ァ..ヶ → ぁ..ゖ
			r -= 0x60
		}
		b.WriteRune(r)
	}
	return b.String()
}

// keys are the folded strings a query may start: the whole name, each word of it,
// family and given names and their readings (each alone and together, both
// orders), and each address with its local part.
func (c Contact) keys() []string {
	var ks []string
	add := func(s string) {
		if s = Fold(strings.TrimSpace(s)); s != "" && !slices.Contains(ks, s) {
			ks = append(ks, s)
		}
	}
	add(c.Name)
	for _, w := range strings.Fields(c.Name) {
		add(w)
	}
	add(c.Family)
	add(c.Given)
	add(c.Family + c.Given)
	add(c.FamilyKana)
	add(c.GivenKana)
	add(c.FamilyKana + c.GivenKana)
	add(c.GivenKana + c.FamilyKana)
	add(c.Org)
	for _, e := range c.Emails {
		add(e)
	}
	return ks
}

// Matches reports whether a folded query is the start of one of c's keys (or, for a
// query of three characters or more, anywhere in one).
func (c Contact) Matches(q string) bool {
	q = Fold(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	q = strings.ReplaceAll(q, " ", "")
	for _, k := range c.keys() {
		k = strings.ReplaceAll(k, " ", "")
		if strings.HasPrefix(k, q) || len([]rune(q)) >= 3 && strings.Contains(k, q) {
			return true
		}
	}
	return false
}

// Suggestion is one autocomplete entry: a person's address, or a group that
// expands to the addresses of its members.
type Suggestion struct {
	Name    string   `json:"name"`
	Reading string   `json:"reading,omitempty"`
	Email   string   `json:"email,omitempty"`
	Group   string   `json:"group,omitempty"`
	Members []string `json:"members,omitempty"` // "Name <addr>" of each member, for a group
	Book    string   `json:"book"`
}

// Suggest returns at most limit suggestions for q: the groups whose name starts
// with q, then every address of every matching contact, the "contacts" book before
// "collected" and an address only once.
func Suggest(all []Contact, q string, limit int) []Suggestion {
	var out []Suggestion
	fq := Fold(strings.TrimSpace(q))
	if fq == "" {
		return nil
	}
	for _, g := range Groups(all) {
		if strings.HasPrefix(Fold(g), fq) {
			s := Suggestion{Name: g, Group: g, Book: "contacts"}
			for _, c := range Members(all, g) {
				for _, e := range c.Emails {
					s.Members = append(s.Members, FormatAddress(c.DisplayName(), e))
				}
			}
			if len(s.Members) > 0 {
				out = append(out, s)
			}
		}
	}
	seen := map[string]bool{}
	sorted := slices.Clone(all)
	slices.SortStableFunc(sorted, func(a, b Contact) int {
		if a.Book == b.Book {
			return 0
		}
		if a.Book == "contacts" {
			return -1
		}
		return 1
	})
	for _, c := range sorted {
		if len(out) >= limit {
			break
		}
		if !c.Matches(q) {
			continue
		}
		for _, e := range c.Emails {
			le := strings.ToLower(e)
			if seen[le] {
				continue
			}
			seen[le] = true
			out = append(out, Suggestion{Name: c.Name, Reading: c.Reading(), Email: e, Book: c.Book})
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Groups lists every group name used, sorted.
func Groups(all []Contact) []string {
	var gs []string
	for _, c := range all {
		for _, g := range c.Groups {
			if !slices.Contains(gs, g) {
				gs = append(gs, g)
			}
		}
	}
	slices.Sort(gs)
	return gs
}

// Members are the contacts of group g.
func Members(all []Contact, g string) []Contact {
	var out []Contact
	for _, c := range all {
		if slices.Contains(c.Groups, g) {
			out = append(out, c)
		}
	}
	return out
}

// FormatAddress writes "Name <addr>", quoting the name when it holds specials
// (RFC 5322 section 3.4), or the bare address without a name.
func FormatAddress(name, addr string) string {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, addr) {
		return addr
	}
	if strings.ContainsAny(name, "()<>[]:;@\\,.\"") {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + addr + ">"
}

// Known reports whether addr is one of the addresses of all.
func Known(all []Contact, addr string) bool {
	for _, c := range all {
		for _, e := range c.Emails {
			if strings.EqualFold(e, addr) {
				return true
			}
		}
	}
	return false
}

// SortByName orders contacts by reading when they have one, else by name, so a
// Japanese list follows あいうえお order as phone address books do.
func SortByName(all []Contact) {
	key := func(c Contact) string {
		if r := c.Reading(); r != "" {
			return Fold(strings.ReplaceAll(r, " ", ""))
		}
		return Fold(c.DisplayName())
	}
	slices.SortStableFunc(all, func(a, b Contact) int { return strings.Compare(key(a), key(b)) })
}
