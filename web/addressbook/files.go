package addressbook

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-vcard"
)

var (
	// ErrTooMany: the file holds more contacts than the import may add.
	ErrTooMany = errors.New("addressbook: too many contacts in the file")
	// ErrTooLarge: the file is larger than the import reads.
	ErrTooLarge = errors.New("addressbook: file too large")
)

// limitedReader fails with ErrTooLarge past n bytes instead of ending quietly, so a
// truncated file never imports as if it were whole.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var one [1]byte
		if k, _ := l.r.Read(one[:]); k > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// ReadVCF reads the vCards of a .vcf file (3.0 or 4.0; 2.1 as far as go-vcard reads
// it), at most maxBytes of it and maxCards cards.
func ReadVCF(r io.Reader, maxBytes int64, maxCards int) ([]Contact, error) {
	dec := vcard.NewDecoder(bufio.NewReader(&limitedReader{r: r, n: maxBytes}))
	var out []Contact
	for {
		card, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, ErrTooLarge
			}
			return nil, fmt.Errorf("vCard %d: %w", len(out)+1, err)
		}
		if len(out) >= maxCards {
			return nil, ErrTooMany
		}
		c := FromCard(card)
		if c.DisplayName() == "" {
			continue // nothing to show or to write to
		}
		out = append(out, c)
	}
}

// WriteVCF writes contacts as one .vcf file.
func WriteVCF(w io.Writer, all []Contact) error {
	enc := vcard.NewEncoder(w)
	for _, c := range all {
		if err := enc.Encode(c.Card()); err != nil {
			return err
		}
	}
	return nil
}

// csvColumns are the header names ReadCSV understands, folded to lower case: ours
// (WriteCSV), Google Contacts' export, and Outlook's.
var csvColumns = map[string]string{
	"name": "name", "display name": "name", "full name": "name",
	"family name": "family", "last name": "family", "姓": "family",
	"given name": "given", "first name": "given", "名": "given",
	"family name yomi": "familykana", "phonetic last name": "familykana", "last name yomi": "familykana", "姓 (ふりがな)": "familykana", "セイ": "familykana",
	"given name yomi": "givenkana", "phonetic first name": "givenkana", "first name yomi": "givenkana", "名 (ふりがな)": "givenkana", "メイ": "givenkana",
	"e-mail address": "email", "email address": "email", "e-mail 1 - value": "email", "email": "email", "e-mail": "email", "メールアドレス": "email",
	"e-mail 2 address": "email", "e-mail 2 - value": "email", "e-mail 3 address": "email", "e-mail 3 - value": "email",
	"phone": "phone", "phone 1 - value": "phone", "mobile phone": "phone", "business phone": "phone", "電話番号": "phone",
	"organization": "org", "organization 1 - name": "org", "company": "org", "会社": "org",
	"notes": "note", "note": "note", "メモ": "note",
	"groups": "groups", "group membership": "groups", "categories": "groups", "グループ": "groups",
}

// ReadCSV reads contacts from a CSV file with a header row (UTF-8, with or without
// a byte order mark), at most maxBytes and maxCards rows.
func ReadCSV(r io.Reader, maxBytes int64, maxCards int) ([]Contact, error) {
	br := bufio.NewReader(&limitedReader{r: r, n: maxBytes})
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return nil, ErrTooLarge
		}
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	cols := make([]string, len(header))
	known := false
	for i, h := range header {
		cols[i] = csvColumns[strings.ToLower(strings.TrimSpace(h))]
		known = known || cols[i] != ""
	}
	if !known {
		return nil, errors.New("CSV header names no known column (Name, E-mail Address, …)")
	}
	var out []Contact
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			if errors.Is(err, ErrTooLarge) {
				return nil, ErrTooLarge
			}
			return nil, fmt.Errorf("CSV row %d: %w", len(out)+2, err)
		}
		var c Contact
		for i, v := range rec {
			if i >= len(cols) {
				break
			}
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			switch cols[i] {
			case "name":
				c.Name = v
			case "family":
				c.Family = v
			case "given":
				c.Given = v
			case "familykana":
				c.FamilyKana = v
			case "givenkana":
				c.GivenKana = v
			case "email":
				// Google joins several addresses of one column with " ::: ".
				for _, e := range strings.Split(v, ":::") {
					if e = strings.TrimSpace(e); e != "" {
						c.Emails = append(c.Emails, e)
					}
				}
			case "phone":
				for _, p := range strings.Split(v, ":::") {
					if p = strings.TrimSpace(p); p != "" {
						c.Phones = append(c.Phones, p)
					}
				}
			case "org":
				c.Org = v
			case "note":
				c.Note = v
			case "groups":
				for _, g := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
					// Google writes "* myContacts ::: Friends".
					for _, part := range strings.Split(g, ":::") {
						if part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "* ")); part != "" && part != "myContacts" {
							c.Groups = append(c.Groups, part)
						}
					}
				}
			}
		}
		if c.Name == "" {
			c.Name = joinName(c.Family, c.Given)
		}
		if c.DisplayName() == "" {
			continue
		}
		if len(out) >= maxCards {
			return nil, ErrTooMany
		}
		out = append(out, c)
	}
}

// WriteCSV writes contacts with the header ReadCSV reads back (UTF-8 with a byte
// order mark, which spreadsheet programs need to see UTF-8).
func WriteCSV(w io.Writer, all []Contact) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"Name", "Family Name", "Given Name", "Family Name Yomi", "Given Name Yomi", "E-mail Address", "Phone", "Organization", "Notes", "Groups"})
	for _, c := range all {
		cw.Write([]string{c.Name, c.Family, c.Given, c.FamilyKana, c.GivenKana,
			strings.Join(c.Emails, " ::: "), strings.Join(c.Phones, " ::: "), c.Org, c.Note, strings.Join(c.Groups, ",")})
	}
	cw.Flush()
	return cw.Error()
}
