package addressbook

import (
	"slices"
	"strings"

	"github.com/emersion/go-vcard"
)

// Properties of the readings (see the package doc).
const (
	fieldPhoneticLast  = "X-PHONETIC-LAST-NAME"
	fieldPhoneticFirst = "X-PHONETIC-FIRST-NAME"
	fieldSound         = "SOUND"
)

// Contact is what the webmail shows and edits of a vCard.
type Contact struct {
	Path string // the card's path on the CardDAV server ("" = not stored yet)
	ETag string
	Book string // "contacts" or "collected"

	UID        string
	Name       string // FN
	Family     string // N family name
	Given      string // N given name
	FamilyKana string // reading of Family
	GivenKana  string // reading of Given
	Emails     []string
	Phones     []string
	Org        string
	Note       string
	Groups     []string // CATEGORIES

	card vcard.Card // the card it came from, for what the form does not show
}

// FromCard reads a vCard.
func FromCard(card vcard.Card) Contact {
	c := Contact{card: card}
	c.UID = card.Value(vcard.FieldUID)
	c.Name = strings.TrimSpace(card.PreferredValue(vcard.FieldFormattedName))
	if n := card.Name(); n != nil {
		c.Family, c.Given = strings.TrimSpace(n.FamilyName), strings.TrimSpace(n.GivenName)
		// RFC 6350 section 5.9: SORT-AS on N holds the sort string of each component.
		// go-vcard splits the parameter's comma list into values.
		if sa := n.Params[vcard.ParamSortAs]; len(sa) > 0 {
			parts := strings.Split(strings.Join(sa, ","), ",")
			c.FamilyKana = strings.TrimSpace(parts[0])
			if len(parts) > 1 {
				c.GivenKana = strings.TrimSpace(parts[1])
			}
		}
	}
	if v := card.Value(fieldPhoneticLast); v != "" {
		c.FamilyKana = strings.TrimSpace(v)
	}
	if v := card.Value(fieldPhoneticFirst); v != "" {
		c.GivenKana = strings.TrimSpace(v)
	}
	if c.FamilyKana == "" && c.GivenKana == "" {
		c.FamilyKana, c.GivenKana = irmcReading(card[fieldSound])
	}
	for _, f := range card[vcard.FieldEmail] {
		if v := strings.TrimSpace(f.Value); v != "" {
			c.Emails = append(c.Emails, v)
		}
	}
	for _, f := range card[vcard.FieldTelephone] {
		if v := strings.TrimSpace(f.Value); v != "" {
			c.Phones = append(c.Phones, v)
		}
	}
	c.Org = strings.TrimSpace(strings.ReplaceAll(card.Value(vcard.FieldOrganization), ";", " "))
	c.Note = card.Value(vcard.FieldNote)
	for _, f := range card[vcard.FieldCategories] {
		for _, g := range strings.Split(f.Value, ",") {
			if g = strings.TrimSpace(g); g != "" && !slices.Contains(c.Groups, g) {
				c.Groups = append(c.Groups, g)
			}
		}
	}
	if c.Name == "" {
		c.Name = strings.TrimSpace(joinName(c.Family, c.Given))
	}
	return c
}

// irmcReading reads the reading a Japanese feature phone writes as
// "SOUND;X-IRMC-N;CHARSET=SHIFT_JIS:ﾔﾏﾀﾞ;ﾀﾛｳ;;;" (IrMC). go-vcard drops a bare
// parameter followed by another, so a SOUND whose value is kana components is
// taken as the reading too; a bare X-IRMC-N written last swallows the value into
// the parameter, of which the family part survives.
func irmcReading(fields []*vcard.Field) (family, given string) {
	for _, f := range fields {
		v := f.Value
		if v == "" {
			if p := f.Params["X-IRMC-N"]; len(p) > 0 {
				v = p[0]
			}
		}
		irmc := strings.EqualFold(f.Params.Get("TYPE"), "X-IRMC-N") || len(f.Params["X-IRMC-N"]) > 0
		if v == "" || !irmc && !isKanaName(v) {
			continue
		}
		parts := strings.Split(v, ";")
		family = strings.TrimSpace(parts[0])
		if len(parts) > 1 {
			given = strings.TrimSpace(parts[1])
		}
		return family, given
	}
	return "", ""
}

// isKanaName reports a value of only kana, spaces and ';' with some kana.
func isKanaName(s string) bool {
	kana := false
	for _, r := range s {
		switch {
		case r >= 0x3040 && r <= 0x30ff, r >= 0xff65 && r <= 0xff9f:
			kana = true
		case r == ';' || r == ' ' || r == '\u3000':
		default:
			return false
		}
	}
	return kana
}

// joinName puts a Japanese name family-first, a Latin one given-first.
func joinName(family, given string) string {
	if family == "" || given == "" {
		return family + given
	}
	if isJapanese(family) || isJapanese(given) {
		return family + " " + given
	}
	return given + " " + family
}

func isJapanese(s string) bool {
	for _, r := range s {
		if r >= 0x3040 && r <= 0x30ff || r >= 0x4e00 && r <= 0x9fff || r >= 0x3400 && r <= 0x4dbf {
			return true
		}
	}
	return false
}

// DisplayName is the name to show: FN, else the address.
func (c Contact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	if len(c.Emails) > 0 {
		return c.Emails[0]
	}
	return ""
}

// Reading is the kana reading, family first.
func (c Contact) Reading() string { return strings.TrimSpace(c.FamilyKana + " " + c.GivenKana) }

// Card returns the vCard of c: the card it was read from with the form's
// properties replaced, so photos, addresses and anything else a phone wrote stay.
func (c Contact) Card() vcard.Card {
	card := vcard.Card{}
	for k, fs := range c.card {
		card[k] = slices.Clone(fs)
	}
	if card.Value(vcard.FieldVersion) == "" {
		card.SetValue(vcard.FieldVersion, "3.0")
	}
	if c.UID != "" {
		card.SetValue(vcard.FieldUID, c.UID)
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = joinName(c.Family, c.Given)
	}
	if name == "" && len(c.Emails) > 0 {
		name = c.Emails[0]
	}
	card.SetValue(vcard.FieldFormattedName, name)
	n := &vcard.Name{Field: &vcard.Field{}, FamilyName: c.Family, GivenName: c.Given}
	if old := c.card.Name(); old != nil {
		n.AdditionalName, n.HonorificPrefix, n.HonorificSuffix = old.AdditionalName, old.HonorificPrefix, old.HonorificSuffix
		n.Params = old.Params
		if n.Params != nil {
			delete(n.Params, vcard.ParamSortAs) // the readings below replace it
		}
	}
	card.SetName(n)
	setOrDel(card, fieldPhoneticLast, c.FamilyKana)
	setOrDel(card, fieldPhoneticFirst, c.GivenKana)
	delete(card, fieldSound)
	card[vcard.FieldEmail] = keepParams(c.card[vcard.FieldEmail], c.Emails)
	card[vcard.FieldTelephone] = keepParams(c.card[vcard.FieldTelephone], c.Phones)
	for _, k := range []string{vcard.FieldEmail, vcard.FieldTelephone} {
		if len(card[k]) == 0 {
			delete(card, k)
		}
	}
	setOrDel(card, vcard.FieldOrganization, c.Org)
	setOrDel(card, vcard.FieldNote, c.Note)
	setOrDel(card, vcard.FieldCategories, strings.Join(c.Groups, ","))
	return card
}

func setOrDel(card vcard.Card, k, v string) {
	if strings.TrimSpace(v) == "" {
		delete(card, k)
		return
	}
	card.SetValue(k, v)
}

// keepParams gives each value the parameters (TYPE=work…) of the old field with the
// same value, or of the old field at the same position.
func keepParams(old []*vcard.Field, values []string) []*vcard.Field {
	var out []*vcard.Field
	for i, v := range values {
		f := &vcard.Field{Value: v}
		for _, o := range old {
			if o.Value == v {
				f.Params = o.Params
				break
			}
		}
		if f.Params == nil && i < len(old) {
			f.Params = old[i].Params
		}
		out = append(out, f)
	}
	return out
}
