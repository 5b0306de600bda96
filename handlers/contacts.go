package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/addressbook"
	"github.com/yubinmail/yubin/web/cardclient"
	"github.com/yubinmail/yubin/web/compose"
	"github.com/yubinmail/yubin/web/session"
)

// Bounds of the contacts screens.
const (
	MaxImportBytes    = 8 << 20 // an uploaded .vcf or CSV file
	MaxImportContacts = 5000
	maxSuggestions    = 12
)

// cardClient signs in to the CardDAV server as the session's user.
func (h *Handlers) cardClient(r *http.Request) (*cardclient.Client, error) {
	s := session.FromContext(r.Context())
	if s == nil {
		return nil, errNoSession
	}
	pw, err := s.Password()
	if err != nil {
		return nil, err
	}
	return h.Contacts.Dial(r.Context(), s.User, pw)
}

// allContacts lists both books of the session's user, through the cache.
func (h *Handlers) allContacts(r *http.Request) ([]addressbook.Contact, error) {
	s := session.FromContext(r.Context())
	if s == nil {
		return nil, errNoSession
	}
	return h.ContactCache.All(r.Context(), s.User, func() (*cardclient.Client, error) { return h.cardClient(r) })
}

func bookParam(r *http.Request) string {
	if r.FormValue("book") == cardclient.KindCollected {
		return cardclient.KindCollected
	}
	return cardclient.KindContacts
}

// ContactsPage lists one address book, filtered by ?q= and ?g=.
func (h *Handlers) ContactsPage(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("ct.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if key, ok := contactFlash[r.URL.Query().Get("ok")]; ok {
		sh.Flash = sh.Lang.T(key)
	}
	d := templates.ContactsData{Shell: sh, Book: bookParam(r), Query: r.FormValue("q"), Group: r.FormValue("g"), Available: h.Contacts.Available()}
	if key, ok := contactProblems[r.URL.Query().Get("err")]; ok {
		d.Problem = key
	}
	if d.Available {
		all, err := h.ContactCache.Refresh(r.Context(), sh.User, func() (*cardclient.Client, error) { return h.cardClient(r) })
		if err != nil {
			h.Log.Warn("webmail contacts: listing failed", "ip", ClientIP(r), "user", sh.User, "err", err)
			d.Available = false
		}
		var book []addressbook.Contact
		for _, c := range all {
			if c.Book == d.Book {
				book = append(book, c)
			}
		}
		d.Groups = addressbook.Groups(book)
		addressbook.SortByName(book)
		for _, c := range book {
			if !c.Matches(d.Query) || d.Group != "" && !slices.Contains(c.Groups, d.Group) {
				continue
			}
			d.Contacts = append(d.Contacts, templates.ContactRow{Name: c.DisplayName(), Reading: c.Reading(), Emails: c.Emails,
				Phones: c.Phones, Org: c.Org, Groups: c.Groups, Path: c.Path,
				EditURL: "/contacts/edit?" + url.Values{"path": {c.Path}, "book": {d.Book}}.Encode()})
		}
	}
	h.render(w, r, http.StatusOK, templates.Contacts(d))
}

var contactFlash = map[string]string{"saved": "ct.saved", "deleted": "ct.deleted", "imported": "ct.imported"}

var contactProblems = map[string]string{"file": "ct.err.file", "toomany": "ct.err.toomany", "server": "ct.err.server"}

// ContactEditPage shows the form for ?path= (a new contact when empty).
func (h *Handlers) ContactEditPage(w http.ResponseWriter, r *http.Request) {
	d, ok := h.contactEditShell(w, r)
	if !ok {
		return
	}
	d.Book = bookParam(r)
	if p := r.FormValue("path"); p != "" {
		cc, err := h.cardClient(r)
		if err != nil {
			h.contactsFailed(w, r, err)
			return
		}
		c, err := cc.Get(r.Context(), p)
		if err != nil {
			h.contactsFailed(w, r, err)
			return
		}
		fillEdit(&d, c)
	}
	h.render(w, r, http.StatusOK, templates.ContactEdit(d))
}

func (h *Handlers) contactEditShell(w http.ResponseWriter, r *http.Request) (templates.ContactEditData, bool) {
	if !h.Contacts.Available() {
		h.Error(w, r, http.StatusServiceUnavailable, "ct.unavailable")
		return templates.ContactEditData{}, false
	}
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return templates.ContactEditData{}, false
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("ct.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return templates.ContactEditData{}, false
	}
	return templates.ContactEditData{Shell: sh}, true
}

func fillEdit(d *templates.ContactEditData, c addressbook.Contact) {
	d.Path, d.ETag, d.Book = c.Path, c.ETag, c.Book
	d.Name, d.Family, d.Given, d.FamilyKana, d.GivenKana = c.Name, c.Family, c.Given, c.FamilyKana, c.GivenKana
	d.Emails, d.Phones = strings.Join(c.Emails, "\n"), strings.Join(c.Phones, "\n")
	d.Org, d.Note, d.Groups = c.Org, c.Note, strings.Join(c.Groups, ", ")
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ContactSave creates or updates a contact from the form. An existing card is read
// first and only the form's properties are replaced (addressbook.Contact.Card), so
// a photo or postal address a phone wrote stays.
func (h *Handlers) ContactSave(w http.ResponseWriter, r *http.Request) {
	if !h.Contacts.Available() {
		h.Error(w, r, http.StatusServiceUnavailable, "ct.unavailable")
		return
	}
	form := addressbook.Contact{Book: bookParam(r), Name: strings.TrimSpace(r.PostFormValue("name")),
		Family: strings.TrimSpace(r.PostFormValue("family")), Given: strings.TrimSpace(r.PostFormValue("given")),
		FamilyKana: strings.TrimSpace(r.PostFormValue("family_kana")), GivenKana: strings.TrimSpace(r.PostFormValue("given_kana")),
		Phones: lines(r.PostFormValue("phones")), Org: strings.TrimSpace(r.PostFormValue("org")),
		Note: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n"))}
	for _, g := range strings.Split(r.PostFormValue("groups"), ",") {
		if g = strings.TrimSpace(g); g != "" && !slices.Contains(form.Groups, g) {
			form.Groups = append(form.Groups, g)
		}
	}
	problem := ""
	for _, e := range lines(r.PostFormValue("emails")) {
		as, err := compose.ParseAddressList(e)
		if err != nil || len(as) != 1 {
			problem = "ct.err.email"
			continue
		}
		form.Emails = append(form.Emails, as[0].Email)
	}
	if problem == "" && form.Name == "" && form.Family == "" && form.Given == "" && len(form.Emails) == 0 {
		problem = "ct.err.empty"
	}
	p := r.PostFormValue("path")
	if problem != "" {
		d, ok := h.contactEditShell(w, r)
		if !ok {
			return
		}
		fillEdit(&d, form)
		d.Path, d.Emails, d.Problem = p, r.PostFormValue("emails"), problem
		h.render(w, r, http.StatusBadRequest, templates.ContactEdit(d))
		return
	}
	cc, err := h.cardClient(r)
	if err != nil {
		h.contactsFailed(w, r, err)
		return
	}
	c := form
	if p != "" {
		old, err := cc.Get(r.Context(), p)
		if err != nil {
			h.contactsFailed(w, r, err)
			return
		}
		c = old
		c.Name, c.Family, c.Given, c.FamilyKana, c.GivenKana = form.Name, form.Family, form.Given, form.FamilyKana, form.GivenKana
		c.Emails, c.Phones, c.Org, c.Note, c.Groups = form.Emails, form.Phones, form.Org, form.Note, form.Groups
	}
	if _, err := cc.Save(r.Context(), c); err != nil {
		h.contactsFailed(w, r, err)
		return
	}
	h.forgetContacts(r)
	http.Redirect(w, r, "/contacts?book="+url.QueryEscape(c.Book)+"&ok=saved", http.StatusSeeOther)
}

// ContactDelete removes one contact.
func (h *Handlers) ContactDelete(w http.ResponseWriter, r *http.Request) {
	cc, err := h.cardClient(r)
	if err != nil {
		h.contactsFailed(w, r, err)
		return
	}
	if err := cc.Delete(r.Context(), r.PostFormValue("path")); err != nil {
		h.contactsFailed(w, r, err)
		return
	}
	h.forgetContacts(r)
	http.Redirect(w, r, "/contacts?book="+url.QueryEscape(bookParam(r))+"&ok=deleted", http.StatusSeeOther)
}

// ContactImport adds the contacts of an uploaded .vcf or CSV file to a book.
func (h *Handlers) ContactImport(w http.ResponseWriter, r *http.Request) {
	book := bookParam(r)
	back := "/contacts?book=" + url.QueryEscape(book)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		http.Redirect(w, r, back+"&err=file", http.StatusSeeOther)
		return
	}
	defer f.Close()
	var cs []addressbook.Contact
	if strings.EqualFold(path.Ext(hdr.Filename), ".csv") || strings.HasPrefix(hdr.Header.Get("Content-Type"), "text/csv") {
		cs, err = addressbook.ReadCSV(f, MaxImportBytes, MaxImportContacts)
	} else {
		cs, err = addressbook.ReadVCF(f, MaxImportBytes, MaxImportContacts)
	}
	switch {
	case errors.Is(err, addressbook.ErrTooMany), errors.Is(err, addressbook.ErrTooLarge):
		http.Redirect(w, r, back+"&err=toomany", http.StatusSeeOther)
		return
	case err != nil || len(cs) == 0:
		http.Redirect(w, r, back+"&err=file", http.StatusSeeOther)
		return
	}
	cc, err := h.cardClient(r)
	if err != nil {
		h.contactsFailed(w, r, err)
		return
	}
	defer h.forgetContacts(r)
	for _, c := range cs {
		c.Book, c.Path = book, ""
		if _, err := cc.Save(r.Context(), c); err != nil {
			h.Log.Warn("webmail contacts: import stopped", "ip", ClientIP(r), "err", err)
			http.Redirect(w, r, back+"&err=server", http.StatusSeeOther)
			return
		}
	}
	h.Log.Info("webmail contacts imported", "ip", ClientIP(r), "user", session.FromContext(r.Context()).User, "count", len(cs))
	http.Redirect(w, r, back+"&ok=imported", http.StatusSeeOther)
}

// ContactExport downloads a book as .vcf or CSV.
func (h *Handlers) ContactExport(w http.ResponseWriter, r *http.Request) {
	all, err := h.allContacts(r)
	if err != nil {
		h.contactsFailed(w, r, err)
		return
	}
	book := bookParam(r)
	var cs []addressbook.Contact
	for _, c := range all {
		if c.Book == book {
			cs = append(cs, c)
		}
	}
	addressbook.SortByName(cs)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.FormValue("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+book+`.csv"`)
		addressbook.WriteCSV(w, cs)
		return
	}
	w.Header().Set("Content-Type", "text/vcard; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+book+`.vcf"`)
	addressbook.WriteVCF(w, cs)
}

// ContactSuggest answers the compose form's autocomplete (static/contacts.js):
// JSON suggestions for ?q= from both books, groups first.
func (h *Handlers) ContactSuggest(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	q := r.FormValue("q")
	if !h.Contacts.Available() || strings.TrimSpace(q) == "" || len(q) > 200 {
		io.WriteString(w, "[]")
		return
	}
	all, err := h.allContacts(r)
	if err != nil {
		h.Log.Warn("webmail contacts: suggest failed", "ip", ClientIP(r), "err", err)
		io.WriteString(w, "[]")
		return
	}
	out := addressbook.Suggest(all, q, maxSuggestions)
	if out == nil {
		out = []addressbook.Suggestion{}
	}
	json.NewEncoder(w).Encode(out)
}

// forgetContacts follows a change the webmail made to the user's contacts: the
// cache is emptied and an out-of-office reply for contacts only is rewritten.
func (h *Handlers) forgetContacts(r *http.Request) {
	if s := session.FromContext(r.Context()); s != nil {
		h.ContactCache.Forget(s.User)
	}
	h.refreshSenders(r)
}

// contactsFailed maps a CardDAV failure to an error page; details go to the log.
func (h *Handlers) contactsFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errNoSession) {
		h.fail(w, r, err)
		return
	}
	h.Log.Warn("webmail contacts request failed", "path", r.URL.Path, "ip", ClientIP(r), "err", err)
	if errors.Is(err, cardclient.ErrNoBook) {
		h.Error(w, r, http.StatusNotFound, "err.notfound")
		return
	}
	h.Error(w, r, http.StatusBadGateway, "ct.err.server")
}

// collectRecipients adds every recipient of a sent message that is in neither
// book to "Collected addresses" (issue 15: everyone you send to). It runs after
// the message is handed over and never fails the send: a CardDAV hiccup is logged.
func (h *Handlers) collectRecipients(r *http.Request, lists ...string) {
	if !h.Contacts.Available() {
		return
	}
	var addrs []compose.Address
	for _, l := range lists {
		as, err := compose.ParseAddressList(l)
		if err == nil {
			addrs = append(addrs, as...)
		}
	}
	if len(addrs) == 0 {
		return
	}
	all, err := h.allContacts(r)
	if err != nil {
		h.Log.Warn("webmail contacts: collecting recipients failed", "ip", ClientIP(r), "err", err)
		return
	}
	var cc *cardclient.Client
	added := false
	for _, a := range addrs {
		if addressbook.Known(all, a.Email) {
			continue
		}
		if cc == nil {
			if cc, err = h.cardClient(r); err != nil || !cc.HasBook(cardclient.KindCollected) {
				if err != nil {
					h.Log.Warn("webmail contacts: collecting recipients failed", "ip", ClientIP(r), "err", err)
				}
				return
			}
		}
		c := addressbook.Contact{Book: cardclient.KindCollected, Name: a.Name, Emails: []string{a.Email}}
		if _, err := cc.Save(context.WithoutCancel(r.Context()), c); err != nil {
			h.Log.Warn("webmail contacts: collecting recipient failed", "ip", ClientIP(r), "err", err)
			return
		}
		all = append(all, c)
		added = true
	}
	if added {
		// Collected addresses are not contacts: the out-of-office list stays as it is.
		h.ContactCache.Forget(session.FromContext(r.Context()).User)
	}
}
