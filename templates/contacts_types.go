package templates

// ContactsData is the contacts page: one book's contacts, filtered by a search and
// a group, with the import and export forms.
type ContactsData struct {
	Shell
	Available bool   // a CardDAV server is configured and answered
	Book      string // "contacts" or "collected"
	Query     string
	Group     string
	Groups    []string
	Contacts  []ContactRow
	Problem   string // i18n key of what went wrong, or ""
}

// ContactRow is one contact in the list.
type ContactRow struct {
	Name    string
	Reading string
	Emails  []string
	Phones  []string
	Org     string
	Groups  []string
	EditURL string
	Path    string
}

// ContactEditData is the form for one contact (new when Path is "").
type ContactEditData struct {
	Shell
	Path, ETag, Book      string
	Name                  string
	Family, Given         string
	FamilyKana, GivenKana string
	Emails, Phones        string // one per line
	Org, Note             string
	Groups                string // comma-separated
	Problem               string
}
